/**
 * A pool worker as a module Web Worker (browsers, Deno): takes the start message, answers,
 * and runs tasks until told to stop (worker-loop.ts). Started by the default entry (index.ts).
 */
import { start } from './worker-loop.js';
import type { ReadyMessage, StartMessage } from './protocol.js';

/** The worker's global scope, as far as this file uses it (the DOM typings describe a window). */
const scope = globalThis as unknown as {
  onmessage: ((event: { data: StartMessage }) => void) | null;
  postMessage(message: ReadyMessage): void;
  close(): void;
};

scope.onmessage = (event) => {
  scope.onmessage = null;
  const loop = start(event.data, (m) => scope.postMessage(m));
  loop?.();
  scope.close();
};
