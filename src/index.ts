/**
 * Entry for browsers, Deno, web workers and bundlers (the `default`, `browser` and `deno`
 * export conditions): the wasm is fetched next to this file. The literal
 * `new URL('...', import.meta.url)` form is the one bundlers recognise and copy (the threads'
 * worker likewise, threads/web-host.ts).
 */
import { initWith, type Backend, type InitOptions } from './backend.js';

export * from './api.js';

/**
 * Loads and starts the wasm backend; idempotent. Layers, optimizers, models and the echo
 * state network need it first; the plain-JavaScript helpers (`tensor`, `nrmse`, `narma10`,
 * `mackeyGlass`, `Random`, `runtimeSupport`, ...) do not.
 */
export async function init(options?: InitOptions): Promise<Backend> {
  // the worker code is loaded only when threads are asked for
  const host = options?.threads !== undefined && options.threads !== 1 && typeof Worker === 'function'
    ? (await import('./threads/web-host.js')).webThreads : undefined;
  return initWith(options, (mode, threads) => {
    const url = threads
      ? (mode === 'relaxed'
        ? new URL('../wasm/simd-rnn.relaxed-threads.wasm', import.meta.url)
        : new URL('../wasm/simd-rnn.baseline-threads.wasm', import.meta.url))
      : (mode === 'relaxed'
        ? new URL('../wasm/simd-rnn.relaxed.wasm', import.meta.url)
        : new URL('../wasm/simd-rnn.baseline.wasm', import.meta.url));
    return fetch(url);
  }, host);
}
