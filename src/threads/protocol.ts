/**
 * The control block the main thread and the workers share: one SharedArrayBuffer, separate
 * from wasm memory (so growing the memory never moves it), read and written with Atomics.
 *
 * Every word one side spins on sits alone in its 64-byte cache line, so a worker polling its
 * `gen` never contends with another worker's `done`:
 *
 *   line 0                 [MAIN_WAITING]      1 while the main thread sleeps in Atomics.wait
 *   line 1 + w             [GEN, SLEEPING]     worker w's task number (main writes); 1 while
 *                                              worker w sleeps in Atomics.wait (worker writes)
 *   line 1 + W + w         [DONE, FAILED]      the last task number worker w finished; 1 once
 *                                              a task threw there (worker writes)
 *   byte ARGS_AT(W) + w * ARG_BYTES, as float64: [kernel, argc, arg 0, arg 1, ...]
 *                                              worker w's task (main writes): the index of
 *                                              the kernel in the start message's `names`
 *                                              (STOP: leave the loop) and its arguments
 *
 * A task is handed over by writing its arguments, then storing a new GEN (sequentially
 * consistent, so the arguments are visible before the worker sees the number); the worker
 * stores DONE = GEN when it has run it. Float64 holds every argument exactly: pointers and
 * sizes are integers below 2^32, and f32 scalars widen to f64 without loss.
 */

/** Int32 words per cache line. */
export const LINE = 16;
/** Word of line 0: the main thread sleeps on a DONE word and wants a notify. */
export const MAIN_WAITING = 0;
/** Offsets within a worker's lines. */
export const GEN = 0;
export const SLEEPING = 1;
export const DONE = 0;
export const FAILED = 1;
/** Kernel index that tells a worker to leave its loop. */
export const STOP = -1;
/** Arguments a task may carry (the widest kernel takes 22). */
export const MAX_ARGS = 30;
/** Bytes of one worker's task: kernel, argc and MAX_ARGS arguments, a whole number of lines. */
export const ARG_BYTES = 256;

/** Index of worker w's GEN line (Int32 words). */
export function genLine(w: number): number {
  return (1 + w) * LINE;
}

/** Index of worker w's DONE line among `workers` (Int32 words). */
export function doneLine(workers: number, w: number): number {
  return (1 + workers + w) * LINE;
}

/** Byte offset of the task area. */
export function argsAt(workers: number): number {
  return (1 + 2 * workers) * LINE * 4;
}

/** Byte offset of worker w's task among `workers`. */
export function taskAt(workers: number, w: number): number {
  return argsAt(workers) + w * ARG_BYTES;
}

/** Bytes of the control block for `workers` workers. */
export function controlBytes(workers: number): number {
  return argsAt(workers) + workers * ARG_BYTES;
}

/** What a worker receives once, before its loop starts. */
export interface StartMessage {
  /** The compiled threads build (the same module the main thread runs). */
  module: WebAssembly.Module;
  /** The shared memory every instance imports as env.memory. */
  memory: WebAssembly.Memory;
  /** The control block. */
  control: SharedArrayBuffer;
  /** This worker's index, 0 .. workers - 1. */
  index: number;
  workers: number;
  /** Kernel names by index, as tasks name them. */
  names: readonly string[];
}

/** The worker's answer once its instance is built (or why it could not be). */
export type ReadyMessage = { ready: true } | { ready: false; error: string };
