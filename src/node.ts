/**
 * Entry for Node and Bun (the `node` and `bun` export conditions): the wasm file is read
 * from disk next to this file, since Node's fetch does not read file: URLs. A file: URL given
 * as `options.wasm` is read the same way. Threads are worker_threads (threads/node-host.ts).
 */
import { readFile } from 'node:fs/promises';
import { initWith, type Backend, type InitOptions } from './backend.js';

export * from './api.js';

/**
 * Loads and starts the wasm backend; idempotent. Layers, optimizers, models and the echo
 * state network need it first; the plain-JavaScript helpers (`tensor`, `nrmse`, `narma10`,
 * `mackeyGlass`, `Random`, `runtimeSupport`, ...) do not.
 */
export async function init(options?: InitOptions): Promise<Backend> {
  const wasm = options?.wasm;
  if (wasm instanceof URL && wasm.protocol === 'file:') {
    return init({ ...options, wasm: await readFile(wasm) });
  }
  // worker_threads is loaded only when threads are asked for: one thread starts as before
  const host = options?.threads !== undefined && options.threads !== 1 ? (await import('./threads/node-host.js')).nodeThreads() : undefined;
  return initWith(options, (mode, threads) => readFile(new URL(`../wasm/simd-rnn.${mode}${threads ? '-threads' : ''}.wasm`, import.meta.url)), host);
}
