/**
 * What every worker runs, in Node (worker_threads) and in Web Workers (browsers): build an
 * instance of the threads build over the shared memory, say so, then take chunks of each
 * posted task (protocol.ts) until told to stop. Imports nothing of the library but the
 * protocol, so a worker loads only this file, protocol.ts and its entry.
 *
 * Waiting: after a task the worker spins on GEN for SPIN polls (a recurrent layer posts a
 * task every few microseconds, and waking a sleeping thread costs tens of them), then sleeps
 * in Atomics.wait, counted in SLEEPERS so the main thread knows to notify.
 */
import { FAILED, FINISHED, GEN, HEADER, MAIN_WAITING, SLEEPERS, STOP, TASK_AT, takeChunks, type ReadyMessage, type StartMessage } from './protocol.js';

/** Polls of GEN (about 6 ns each) before sleeping: about 50 us, longer than the gaps between the calls of one forward. */
const SPIN = 1 << 13;

type Kernel = (...args: number[]) => unknown;

/** Builds the instance and reports through `post`; returns the loop to run (or null after a failure). */
export function start(message: StartMessage, post: (m: ReadyMessage) => void): (() => void) | null {
  let kernels: Kernel[];
  try {
    const { exports } = new WebAssembly.Instance(message.module, { env: { memory: message.memory } });
    kernels = message.names.map((name) => exports[name] as Kernel);
  } catch (e) {
    post({ ready: false, error: String((e as Error)?.message ?? e) });
    return null;
  }
  // The task number is read before the answer: the main thread posts nothing until it has
  // every answer, so a task posted the moment init resolves is one this loop has not seen.
  // (Read after the answer, it could already be that task's number, which would be skipped.)
  const seen = Atomics.load(new Int32Array(message.control), GEN);
  post({ ready: true });
  return () => serve(message, kernels, seen);
}

function serve(message: StartMessage, kernels: Kernel[], seen: number): void {
  const ctl = new Int32Array(message.control);
  const task = new Float64Array(message.control, TASK_AT);
  const me = message.thread, argv: number[] = [];
  const run = (c: number) => {
    // the header and the arguments are read after the claim: they belong to the claimed task
    const argc = task[1], at = HEADER + c * argc;
    argv.length = argc;
    for (let i = 0; i < argc; i++) argv[i] = task[at + i];
    try {
      kernels[task[0]](...argv);
    } catch {
      Atomics.store(ctl, FAILED, 1);
    }
    Atomics.add(ctl, FINISHED, 1);
    if (Atomics.load(ctl, MAIN_WAITING)) Atomics.notify(ctl, FINISHED);
  };
  for (;;) {
    let now = Atomics.load(ctl, GEN);
    for (let spins = 0; now === seen; now = Atomics.load(ctl, GEN)) {
      if (++spins < SPIN) continue;
      Atomics.add(ctl, SLEEPERS, 1);
      Atomics.wait(ctl, GEN, seen);
      Atomics.sub(ctl, SLEEPERS, 1);
      spins = 0;
    }
    seen = now;
    if (task[0] === STOP) return;
    const threads = task[3];
    if (me < threads) takeChunks(ctl, me, task[2], threads, run);
  }
}
