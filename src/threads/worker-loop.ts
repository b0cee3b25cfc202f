/**
 * What every worker runs, in Node (worker_threads) and in Web Workers (browsers, Deno): build
 * an instance of the threads build over the shared memory, say so, then run tasks from the
 * control block (protocol.ts) until told to stop. Imports nothing of the library, so a worker
 * loads only this file, protocol.ts and its entry.
 *
 * Waiting: after a task the worker spins on its GEN word for SPIN polls (a recurrent layer
 * hands out a task every few microseconds, and waking a sleeping thread costs tens of them),
 * then sleeps in Atomics.wait with SLEEPING set so the main thread knows to notify.
 */
import { DONE, FAILED, GEN, MAIN_WAITING, MAX_ARGS, SLEEPING, STOP, doneLine, genLine, taskAt, type ReadyMessage, type StartMessage } from './protocol.js';

/** Polls of GEN before sleeping: roughly 0.1-0.5 ms. */
const SPIN = 1 << 16;

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
  post({ ready: true });
  return () => serve(message, kernels);
}

function serve(message: StartMessage, kernels: Kernel[]): void {
  const ctl = new Int32Array(message.control);
  const task = new Float64Array(message.control, taskAt(message.workers, message.index), 2 + MAX_ARGS);
  const gen = genLine(message.index) + GEN, sleeping = genLine(message.index) + SLEEPING;
  const done = doneLine(message.workers, message.index) + DONE, failed = doneLine(message.workers, message.index) + FAILED;
  const argv: number[] = [];
  let seen = Atomics.load(ctl, gen);
  for (;;) {
    let now = Atomics.load(ctl, gen);
    for (let spins = 0; now === seen; now = Atomics.load(ctl, gen)) {
      if (++spins < SPIN) continue;
      Atomics.store(ctl, sleeping, 1);
      Atomics.wait(ctl, gen, seen);
      Atomics.store(ctl, sleeping, 0);
      spins = 0;
    }
    seen = now;
    const id = task[0];
    if (id === STOP) return;
    const argc = task[1];
    argv.length = argc;
    for (let i = 0; i < argc; i++) argv[i] = task[2 + i];
    try {
      kernels[id](...argv);
    } catch {
      Atomics.store(ctl, failed, 1);
    }
    Atomics.store(ctl, done, seen);
    if (Atomics.load(ctl, MAIN_WAITING)) Atomics.notify(ctl, done);
  }
}
