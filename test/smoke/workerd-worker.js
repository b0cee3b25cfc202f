// A workerd test worker: runs the smoke suite through the workerd entry. Bindings: SIMD
// ('baseline' or 'auto') and EXPECTED (Node's digest of the baseline build in this test run).
// 'auto' also asks for threads: 'auto', which workerd (no shared memory workers) answers with
// one thread and no error.
import * as api from '../../dist/workerd.js';
import { runSmoke } from './smoke.js';

export default {
  async test(_controller, env) {
    const backend = await api.init(env.SIMD === 'auto' ? { threads: 'auto' } : { simd: env.SIMD });
    if (backend.threads !== 1) throw new Error(`workerd runs ${backend.threads} threads, expected 1`);
    const result = { ...runSmoke(backend, api), relaxedSupported: api.runtimeSupport().relaxed };
    console.log(JSON.stringify(result));
    if (!result.ok) throw new Error(`out of tolerance: ${JSON.stringify(result.errors)}`);
    if (env.SIMD === 'baseline' && result.digest !== env.EXPECTED) {
      throw new Error(`baseline digest ${result.digest} differs from Node's ${env.EXPECTED}`);
    }
    if (env.SIMD === 'auto' && result.simd !== 'relaxed') {
      throw new Error(`init() chose ${result.simd}; workerd supports relaxed SIMD`);
    }
  },
};
