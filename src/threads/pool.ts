/**
 * The worker pool behind `init({ threads })`: W workers, each with its own instance of the
 * threads build over the one shared memory, and the main thread as thread 0. A kernel call
 * that split.ts cuts into chunks runs as one task (protocol.ts): the main thread posts it,
 * takes its own chunks and any the workers have not taken, and returns once every chunk has
 * finished, so to the caller a cut call is the same synchronous call it always was. A worker
 * the operating system has not scheduled in time costs its share of one call, not a stall.
 *
 * Waiting: both sides spin first (a recurrent step's chunks take microseconds; a sleeping
 * thread takes tens to wake), then sleep in Atomics.wait with a flag the other side checks
 * before notifying. A browser's main thread may not Atomics.wait; there it only spins.
 *
 * Runtime-neutral: the entry supplies a ThreadHost that starts workers (worker_threads in
 * threads/node-host.ts, Web Workers in threads/web-host.ts).
 */
import type { WasmMemory } from '../arena.js';
import { RnnError } from '../errors.js';
import { CLAIM, CONTROL_BYTES, FAILED, FINISHED, GEN, HEADER, MAIN_WAITING, MAX_CHUNKS, SLEEPERS, STOP, TASK_AT, takeChunks, type ReadyMessage, type StartMessage, type WasmModule } from './protocol.js';

/** One started worker, as the entry's ThreadHost hands it over. */
export interface HostWorker {
  /** Sends the start message (the module and memory are cloned, the control block shared). */
  post(message: StartMessage): void;
  /** The worker's first message; rejects when the worker fails or exits before sending it. */
  readonly first: Promise<ReadyMessage>;
  /** Lets the process exit while this worker waits (Node); a no-op where workers die with the page. */
  unref(): void;
  terminate(): void;
}

/** What a runtime entry offers for threads. */
export interface ThreadHost {
  /** The cores the runtime reports: what `threads: 'auto'` asks for. */
  cores(): number;
  /** Starts one pool worker. */
  spawn(): HostWorker;
}

/**
 * Polls of FINISHED (about 6 ns each) before the main thread sleeps, where it may: about
 * 10 us, longer than a worker's chunk outlasts the main thread's on an idle machine; a longer
 * wait means the worker lost its core, and spinning on would only keep it off this one.
 */
const SPIN = 1 << 11;

/**
 * Calls per look at whether the workers pay: over WINDOW cut calls, the time the main
 * thread waited for the workers' chunks against the time those chunks would have taken it.
 * When waiting cost more (the workers share a core with the main thread or with other
 * programs: a busy machine), the next calls run on the main thread alone for SOLO_MS, twice as
 * long after each window that still loses, up to MAX_SOLO_MS, and then the workers are tried
 * again. Results are the same either way; only the time changes.
 */
const WINDOW = 32;
const SOLO_MS = 10;
const MAX_SOLO_MS = 640;

export class Pool {
  /** Worker count (the pool runs up to workers + 1 threads with the main thread). */
  readonly workers: number;
  /**
   * The least work (multiply-adds or the like) worth a chunk of its own, about 2-3 us here:
   * a hand-over costs about a microsecond when both sides spin, and much more when the
   * machine is busy, so a streaming step (an LSTM's 64K multiply-adds at H = 128) stays on one
   * thread. 0 cuts every call that can be cut (tests use it to reach every rule with small
   * sizes).
   */
  minWork = 3 << 14;
  /** Tasks posted so far, and chunks run by the workers (tests check that work was in fact split). */
  handedOut = 0;
  workerChunks = 0;
  /**
   * Whether the main thread takes the workers' chunks when it is done with its own (tests
   * turn it off so that every worker runs its share).
   */
  takeOthers = true;
  /**
   * Whether calls fall back to the main thread alone when the workers cost more than they
   * save (see WINDOW); tests turn it off so that every cut call reaches the workers.
   */
  adaptive = true;
  private running: number;
  private soloUntil = 0;
  private soloMs = SOLO_MS;
  private windowCalls = 0;
  private windowWaited = 0;
  private windowSaved = 0;
  private readonly ctl: Int32Array;
  private readonly task: Float64Array;
  private readonly handles: HostWorker[];
  private readonly mainMayWait: boolean;

  private constructor(control: SharedArrayBuffer, handles: HostWorker[]) {
    this.workers = handles.length;
    this.running = this.workers + 1;
    this.handles = handles;
    this.ctl = new Int32Array(control);
    this.task = new Float64Array(control, TASK_AT);
    this.mainMayWait = mayWait(this.ctl);
  }

  /**
   * Starts `workers` workers on `module` over `memory` and resolves once each has built its
   * instance. `names`: the kernels tasks may name, by index.
   */
  static async start(host: ThreadHost, module: WasmModule, memory: WasmMemory,
    workers: number, names: readonly string[]): Promise<Pool> {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    new Int32Array(control).fill(1, CLAIM, CLAIM + MAX_CHUNKS); // no chunk to take before a task
    const handles: HostWorker[] = [];
    try {
      for (let w = 0; w < workers; w++) {
        const worker = host.spawn();
        handles.push(worker);
        worker.post({ module, memory, control, thread: w + 1, names });
      }
      const answers = await Promise.all(handles.map((h) => h.first));
      const failed = answers.find((a) => !a.ready);
      if (failed && !failed.ready) throw new Error(failed.error);
    } catch (cause) {
      for (const h of handles) h.terminate();
      throw new RnnError('UNSUPPORTED', `init: could not start ${workers} worker thread${workers === 1 ? '' : 's'} (${(cause as Error)?.message ?? cause})`, { cause });
    }
    for (const h of handles) h.unref();
    return new Pool(control, handles);
  }

  /** Threads in use, the main thread included: 1 after dispose. */
  get threads(): number {
    return this.running;
  }

  /**
   * Threads the next cut call may use: `threads`, or 1 for a while after the workers cost
   * more than they saved (a busy machine).
   */
  get usable(): number {
    return this.running > 1 && this.soloUntil !== 0 && performance.now() < this.soloUntil ? 1 : this.running;
  }

  /** Uses `n` threads from now on (1 .. workers + 1); the others stay idle. */
  setThreads(n: number): void {
    this.running = Math.max(1, Math.min(n, this.handles.length + 1));
  }

  /**
   * Runs kernel `id` as `chunks.length` chunks (each a complete argument list, at most
   * MAX_CHUNKS) on the threads in use; `kernel` is the main thread's own instance of it.
   * Returns when every chunk has run.
   */
  run(id: number, kernel: (...args: number[]) => unknown, chunks: readonly (readonly number[])[]): void {
    const ctl = this.ctl, task = this.task, K = chunks.length, argc = chunks[0].length;
    task[0] = id; task[1] = argc; task[2] = K; task[3] = this.running;
    for (let c = 0; c < K; c++) task.set(chunks[c], HEADER + c * argc);
    Atomics.store(ctl, FINISHED, 0);
    for (let c = 0; c < K; c++) Atomics.store(ctl, CLAIM + c, 0);
    Atomics.add(ctl, GEN, 1);
    this.handedOut++;
    if (Atomics.load(ctl, SLEEPERS) > 0) Atomics.notify(ctl, GEN);

    let failed = false, own = 0;
    const t0 = performance.now();
    takeChunks(ctl, 0, K, this.running, (c) => {
      try {
        kernel(...chunks[c]);
      } catch {
        failed = true;
      }
      own++;
      Atomics.add(ctl, FINISHED, 1);
    }, this.takeOthers);
    this.workerChunks += K - own;
    // the chunks the workers took
    const t1 = performance.now();
    let now = Atomics.load(ctl, FINISHED);
    for (let spins = 0; now !== K; now = Atomics.load(ctl, FINISHED)) {
      if (++spins < SPIN || !this.mainMayWait) continue;
      Atomics.store(ctl, MAIN_WAITING, 1);
      Atomics.wait(ctl, FINISHED, now, 50);
      Atomics.store(ctl, MAIN_WAITING, 0);
      spins = 0;
    }
    if (this.adaptive) this.account(t0, t1, performance.now(), own, K - own);
    if (Atomics.exchange(ctl, FAILED, 0) || failed) {
      throw new Error('simd-rnn: a kernel failed on a thread; the results of this call are incomplete');
    }
  }

  /**
   * One cut call's times: [t0, t1) the main thread's own chunks, [t1, t2) its wait for the
   * `lent` chunks the workers ran (each about as long as one of its own).
   */
  private account(t0: number, t1: number, t2: number, own: number, lent: number): void {
    // A call the workers took no part in cost no wait (what was measured is the clock): it
    // counts for neither side, so a window in which the workers were still waking up (after
    // a spell on the main thread alone) does not send the pool back to it.
    if (lent > 0 && own > 0) {
      this.windowWaited += t2 - t1;
      this.windowSaved += ((t1 - t0) * lent) / own;
    }
    if (++this.windowCalls < WINDOW) return;
    if (this.windowWaited > this.windowSaved) {
      this.soloUntil = t2 + this.soloMs;
      this.soloMs = Math.min(2 * this.soloMs, MAX_SOLO_MS);
    } else {
      this.soloUntil = 0;
      this.soloMs = SOLO_MS;
    }
    this.windowCalls = 0; this.windowWaited = 0; this.windowSaved = 0;
  }

  /** Stops and ends every worker; later calls run on the main thread alone. Idempotent. */
  dispose(): void {
    if (this.handles.length === 0) return;
    this.task[0] = STOP;
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const h of this.handles) h.terminate();
    this.handles.length = 0;
    this.running = 1;
  }
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function mayWait(ctl: Int32Array): boolean {
  try {
    Atomics.wait(ctl, MAIN_WAITING, 1, 0); // the word is 0: returns at once where waiting is allowed
    return true;
  } catch {
    return false;
  }
}
