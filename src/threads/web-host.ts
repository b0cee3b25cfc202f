/**
 * Starting pool workers in browsers and Deno: module Web Workers running web-worker.js. The
 * literal `new Worker(new URL(...), { type: 'module' })` is the form bundlers recognise, so
 * they emit the worker next to the bundle. Workers end with the page (or `dispose`).
 */
import type { HostWorker, ThreadHost } from './pool.js';
import type { ReadyMessage } from './protocol.js';

export const webThreads: ThreadHost = {
  cores: () => (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1,
  spawn(): HostWorker {
    const worker = new Worker(new URL('./web-worker.js', import.meta.url), { type: 'module' });
    const first = new Promise<ReadyMessage>((resolve, reject) => {
      worker.addEventListener('message', (e) => resolve(e.data as ReadyMessage), { once: true });
      worker.addEventListener('error', (e) => reject(new Error((e as ErrorEvent).message || 'the worker script did not load')), { once: true });
    });
    return {
      post: (m) => worker.postMessage(m),
      first,
      unref() {},
      terminate: () => worker.terminate(),
    };
  },
};
