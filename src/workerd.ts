/**
 * Entry for Cloudflare workerd (the `workerd` export condition). workerd refuses to compile
 * wasm from bytes at run time, so both builds are imported as wasm modules, which workerd
 * (and wrangler's bundler) compile ahead of time.
 */
import baseline from '../wasm/simd-rnn.baseline.wasm';
import relaxed from '../wasm/simd-rnn.relaxed.wasm';
import { initWith, type Backend, type InitOptions } from './backend.js';

export * from './api.js';

/**
 * Loads and starts the wasm backend; idempotent. Layers, optimizers, models and the echo
 * state network need it first; the plain-JavaScript helpers (`tensor`, `nrmse`, `narma10`,
 * `mackeyGlass`, `Random`, `runtimeSupport`, ...) do not.
 */
export function init(options?: InitOptions): Promise<Backend> {
  return initWith(options, (mode) => (mode === 'relaxed' ? relaxed : baseline));
}
