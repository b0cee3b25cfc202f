/**
 * Entry for Deno (the `deno` export condition): the browser entry's loading (fetch reads the
 * file: URL next to this file, with --allow-read), and threads as worker_threads through
 * Deno's Node compatibility, because a Web Worker cannot be unref'd there and would keep the
 * process from exiting.
 */
import { initWith, type Backend, type InitOptions } from './backend.js';

export * from './api.js';

/**
 * Loads and starts the wasm backend; idempotent. Layers, optimizers, models and the echo
 * state network need it first; the plain-JavaScript helpers (`tensor`, `nrmse`, `narma10`,
 * `mackeyGlass`, `Random`, `runtimeSupport`, ...) do not.
 */
export async function init(options?: InitOptions): Promise<Backend> {
  const host = options?.threads !== undefined && options.threads !== 1 ? (await import('./threads/node-host.js')).nodeThreads() : undefined;
  return initWith(options, (mode, threads) => fetch(new URL(`../wasm/simd-rnn.${mode}${threads ? '-threads' : ''}.wasm`, import.meta.url)), host);
}
