/**
 * Entry for browsers, Deno, web workers and bundlers (the `default`, `browser` and `deno`
 * export conditions): the wasm is fetched next to this file. The literal
 * `new URL('...', import.meta.url)` form is the one bundlers recognise and copy.
 */
import { initWith, type Backend, type InitOptions } from './backend.js';

export * from './api.js';

/**
 * Loads and starts the wasm backend; idempotent. Layers, optimizers, models and the echo
 * state network need it first; the plain-JavaScript helpers (`tensor`, `nrmse`, `narma10`,
 * `mackeyGlass`, `Random`, `runtimeSupport`, ...) do not.
 */
export function init(options?: InitOptions): Promise<Backend> {
  return initWith(options, (mode) => {
    const url = mode === 'relaxed'
      ? new URL('../wasm/simd-rnn.relaxed.wasm', import.meta.url)
      : new URL('../wasm/simd-rnn.baseline.wasm', import.meta.url);
    return fetch(url);
  });
}
