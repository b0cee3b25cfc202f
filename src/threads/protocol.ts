/**
 * The control block the main thread and the workers share: one SharedArrayBuffer, separate
 * from wasm memory (so growing the memory never moves it), read and written with Atomics.
 *
 * A task is one kernel call cut into K chunks (split.ts), each a complete call of the same
 * kernel on its own part of the output. Every thread that takes part (the main thread is
 * thread 0, worker w is thread w + 1) runs the chunks it owns, then any chunk still
 * unclaimed, taking each with a compare-exchange on its CLAIM word: a chunk runs exactly once,
 * on whichever thread gets there first. Owning keeps each thread on the same part of the
 * weights from step to step (its cache holds them); taking the rest keeps a thread that the
 * operating system has not scheduled from holding up the others.
 *
 *   line 0   [GEN]               task number; the main thread bumps it to post a task
 *   line 1   [SLEEPERS]          workers asleep in Atomics.wait on GEN (notify only then)
 *   line 2   [FINISHED, FAILED]  chunks finished in this task; 1 once a chunk threw
 *   line 3   [MAIN_WAITING]      1 while the main thread sleeps on FINISHED
 *   lines 4-7  CLAIM[c]          0: chunk c of the posted task is free; 1: taken
 *   byte TASK_AT, float64: [kernel, argc, chunks, threads, chunk 0's args, chunk 1's, ...]
 *
 * Posting (main thread): write the task, FINISHED = 0, CLAIM[0 .. K) = 0, then bump GEN; the
 * main thread waits until FINISHED = K before it writes another task. Every CLAIM word starts
 * at 1, and every posted chunk ends taken, so a late worker still looking for chunks of an
 * old task finds only chunks of the current one, and reads that task's header and arguments
 * after its claim (they were written before the claim was freed). Float64 holds every argument
 * exactly: pointers and sizes are integers below 2^32, and f32 scalars widen without loss.
 */

import type { WasmMemory } from '../arena.js';

/**
 * `WebAssembly.Module`, named through `globalThis` like arena.ts's WasmMemory, so that the
 * published declarations type-check where no lib declares WebAssembly.
 */
export type WasmModule = typeof globalThis extends Record<'WebAssembly', Record<'Module', abstract new (...args: never) => infer M>> ? M : never;

/** Int32 words per cache line. */
const LINE = 16;
export const GEN = 0;
export const SLEEPERS = LINE;
export const FINISHED = 2 * LINE;
export const FAILED = 2 * LINE + 1;
export const MAIN_WAITING = 3 * LINE;
export const CLAIM = 4 * LINE;
/** Chunks a task may have. */
export const MAX_CHUNKS = 4 * LINE;
/** Arguments a kernel may take (the widest takes 22). */
export const MAX_ARGS = 30;
/** Byte offset of the task (float64). */
export const TASK_AT = 8 * LINE * 4;
/** Float64 words of the task before the chunks' arguments: kernel, argc, chunks, threads. */
export const HEADER = 4;
/** Kernel index that tells the workers to leave their loop. */
export const STOP = -1;
/** Bytes of the control block. */
export const CONTROL_BYTES = TASK_AT + 8 * (HEADER + MAX_CHUNKS * MAX_ARGS);

/** Runs chunk c of the posted task: read its kernel and arguments and call it. */
export type ChunkRunner = (c: number) => void;

/**
 * Takes and runs chunks of the posted task as thread t: the chunks it owns (its share of
 * [0, K) by thread order) in order, then (with `others`) the others from the last down. `chunks` and
 * `threads` come from the task as this thread last read it; a stale pair only changes which
 * chunks it tries, since only chunks of the current task can be claimed.
 */
export function takeChunks(ctl: Int32Array, t: number, chunks: number, threads: number, run: ChunkRunner, others = true): void {
  const lo = Math.floor((t * chunks) / threads), hi = Math.floor(((t + 1) * chunks) / threads);
  for (let c = lo; c < hi; c++) if (Atomics.compareExchange(ctl, CLAIM + c, 0, 1) === 0) run(c);
  if (!others) return;
  for (let c = chunks - 1; c >= 0; c--) {
    if ((c < lo || c >= hi) && Atomics.compareExchange(ctl, CLAIM + c, 0, 1) === 0) run(c);
  }
}

/** What a worker receives once, before its loop starts. */
export interface StartMessage {
  /** The compiled threads build (the same module the main thread runs). */
  module: WasmModule;
  /** The shared memory every instance imports as env.memory. */
  memory: WasmMemory;
  /** The control block. */
  control: SharedArrayBuffer;
  /** This worker's thread number, 1 .. workers (the main thread is 0). */
  thread: number;
  /** Kernel names by index, as tasks name them. */
  names: readonly string[];
}

/** The worker's answer once its instance is built (or why it could not be). */
export type ReadyMessage = { ready: true } | { ready: false; error: string };
