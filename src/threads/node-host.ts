/**
 * Starting pool workers in Node and Bun: worker_threads running node-worker.js, unref'd once
 * started so they never keep the process alive (at exit the runtime ends them).
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism, cpus } from 'node:os';
import type { HostWorker, ThreadHost } from './pool.js';
import type { ReadyMessage } from './protocol.js';

/** The host; `script`: the worker file (tests point it at the built one). */
export function nodeThreads(script = new URL('./node-worker.js', import.meta.url)): ThreadHost {
  return {
    cores: () => (typeof availableParallelism === 'function' ? availableParallelism() : cpus().length),
    spawn(): HostWorker {
      // No Node options of the parent's (they default to process.execArgv, and one such as
      // --input-type stops a file worker from starting); V8's flags, such as
      // --experimental-wasm-relaxed-simd, are the process's and hold in every worker anyway.
      const worker = new Worker(script, { execArgv: [] });
      const first = new Promise<ReadyMessage>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('exit', (code) => reject(new Error(`a worker exited with code ${code} before it started`)));
        // kept for the worker's lifetime: an 'error' event without a listener would end the process
        worker.on('error', reject);
      });
      return {
        post: (m) => worker.postMessage(m),
        first,
        unref: () => worker.unref(),
        terminate: () => void worker.terminate(),
      };
    },
  };
}
