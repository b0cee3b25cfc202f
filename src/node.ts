/**
 * Entry for Node and Bun (the `node` and `bun` export conditions): the wasm file is read
 * from disk next to this file, since Node's fetch does not read file: URLs. A file: URL given
 * as `options.wasm` is read the same way.
 */
import { readFile } from 'node:fs/promises';
import { initWith, type Backend, type InitOptions } from './backend.js';

export * from './api.js';

/**
 * Loads and starts the wasm backend; idempotent. Layers, optimizers, models and the echo
 * state network need it first; the plain-JavaScript helpers (`tensor`, `nrmse`, `narma10`,
 * `mackeyGlass`, `Random`, `runtimeSupport`, ...) do not.
 */
export function init(options?: InitOptions): Promise<Backend> {
  const wasm = options?.wasm;
  if (wasm instanceof URL && wasm.protocol === 'file:') {
    return readFile(wasm).then((bytes) => init({ ...options, wasm: bytes }));
  }
  return initWith(options, (mode) => readFile(new URL(`../wasm/simd-rnn.${mode}.wasm`, import.meta.url)));
}
