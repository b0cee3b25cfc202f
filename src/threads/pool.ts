/**
 * The worker pool behind `init({ threads })`: W workers, each with its own instance of the
 * threads build over the one shared memory, and the main thread as thread 0. A kernel call
 * that split.ts cuts into pieces runs fork-join: the main thread posts pieces 1..n-1 to
 * workers 0..n-2 (protocol.ts), runs piece 0 itself, then waits until those workers are done.
 * Nothing returns before every piece has finished, so to the caller a split call is the same
 * synchronous call it always was.
 *
 * Waiting: both sides spin first (a recurrent step's pieces take microseconds; a sleeping
 * thread takes tens to wake), then sleep in Atomics.wait with a flag the other side checks
 * before notifying. A browser's main thread may not Atomics.wait; there the main thread only
 * spins.
 *
 * Runtime-neutral: the entry supplies a ThreadHost that starts workers (worker_threads in
 * node.ts, Web Workers in index.ts).
 */
import { RnnError } from '../errors.js';
import { DONE, FAILED, GEN, MAIN_WAITING, MAX_ARGS, SLEEPING, STOP, controlBytes, doneLine, genLine, taskAt, type ReadyMessage, type StartMessage } from './protocol.js';

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

/** Polls of a DONE word before the main thread sleeps (where it may). */
const SPIN = 1 << 14;

export class Pool {
  /** Worker count (the pool runs up to workers + 1 threads with the main thread). */
  readonly workers: number;
  /**
   * The least work (multiply-adds or the like) worth a piece of its own: a hand-over costs
   * about a microsecond when both sides spin, so a piece should take several. 0 cuts every
   * call that can be cut (tests use it to reach every rule with small sizes).
   */
  minWork = 1 << 15;
  /** Tasks handed to workers so far (tests check that work was in fact split). */
  handedOut = 0;
  private running: number;
  private readonly ctl: Int32Array;
  private readonly tasks: Float64Array[];
  private readonly posted: Int32Array;
  private readonly handles: HostWorker[];
  private readonly mainMayWait: boolean;

  private constructor(control: SharedArrayBuffer, handles: HostWorker[]) {
    this.workers = handles.length;
    this.running = this.workers + 1;
    this.handles = handles;
    this.ctl = new Int32Array(control);
    this.tasks = handles.map((_, w) => new Float64Array(control, taskAt(this.workers, w), 2 + MAX_ARGS));
    this.posted = new Int32Array(this.workers);
    this.mainMayWait = mayWait(this.ctl);
  }

  /**
   * Starts `workers` workers on `module` over `memory` and resolves once each has built its
   * instance. `names`: the kernels tasks may name, by index.
   */
  static async start(host: ThreadHost, module: WebAssembly.Module, memory: WebAssembly.Memory,
    workers: number, names: readonly string[]): Promise<Pool> {
    const control = new SharedArrayBuffer(controlBytes(workers));
    const handles: HostWorker[] = [];
    try {
      for (let index = 0; index < workers; index++) {
        const worker = host.spawn();
        handles.push(worker);
        worker.post({ module, memory, control, index, workers, names });
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

  /** Uses `n` threads from now on (1 .. workers + 1); the others stay idle. */
  setThreads(n: number): void {
    this.running = Math.max(1, Math.min(n, this.handles.length + 1));
  }

  /** Hands worker w a task: kernel `id` (an index into the start message's names) with `args`. */
  post(w: number, id: number, args: ArrayLike<number>): void {
    const task = this.tasks[w], n = args.length;
    task[0] = id;
    task[1] = n;
    for (let i = 0; i < n; i++) task[2 + i] = args[i];
    const gen = genLine(w);
    const next = (Atomics.load(this.ctl, gen + GEN) + 1) | 0;
    Atomics.store(this.ctl, gen + GEN, next);
    this.posted[w] = next;
    this.handedOut++;
    if (Atomics.load(this.ctl, gen + SLEEPING)) Atomics.notify(this.ctl, gen + GEN);
  }

  /** Returns once workers 0 .. n-1 have finished the tasks last posted to them. */
  join(n: number): void {
    const ctl = this.ctl;
    let failed = false;
    for (let w = 0; w < n; w++) {
      const done = doneLine(this.workers, w) + DONE, want = this.posted[w];
      let now = Atomics.load(ctl, done);
      for (let spins = 0; now !== want; now = Atomics.load(ctl, done)) {
        if (++spins < SPIN || !this.mainMayWait) continue;
        Atomics.store(ctl, MAIN_WAITING, 1);
        Atomics.wait(ctl, done, now, 50);
        Atomics.store(ctl, MAIN_WAITING, 0);
        spins = 0;
      }
      if (Atomics.load(ctl, doneLine(this.workers, w) + FAILED)) failed = true;
    }
    if (failed) throw new Error('simd-rnn: a kernel failed on a worker thread; the results of this call are incomplete');
  }

  /** Stops and ends every worker; later calls run on the main thread alone. Idempotent. */
  dispose(): void {
    if (this.handles.length === 0) return;
    this.handles.forEach((h, w) => this.post(w, STOP, []));
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
