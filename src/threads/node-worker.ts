/**
 * A pool worker under Node and Bun (worker_threads): takes the start message, answers, and
 * runs tasks until told to stop (worker-loop.ts). Started by the Node entry (node.ts).
 */
import { parentPort } from 'node:worker_threads';
import { start } from './worker-loop.js';
import type { StartMessage } from './protocol.js';

parentPort!.once('message', (message: StartMessage) => {
  const loop = start(message, (m) => parentPort!.postMessage(m));
  loop?.();
  parentPort!.close();
});
