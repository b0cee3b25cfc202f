// onnxruntime-web with its own thread count, in a child process: ort.env.wasm.numThreads is
// read once per process (onnxruntime-common registers the backend globally), when the first
// session starts its wasm, so the layers benchmark keeps its one-thread onnxruntime-web in its
// own process and runs the multi-threaded one here (started with child_process.fork and
// serialization 'advanced', so typed arrays pass as they are; its timings are taken here, so
// the message round trip is not in them).
//
// Protocol (every message from the parent gets one reply, in order):
//   { op: 'session', id, file, bin, threads }  -> { ok }      creates a session (models/ file)
//   { op: 'forward', id, key, x, shape }        -> { ok }      registers a forward call
//   { op: 'stream', id, key, inputs, D, H, lstm } -> { ok }    registers a T = 1 step loop
//   { op: 'check', key, steps }                 -> { outputs } runs once; forward: { output,
//                                                              h_n, c_n } each { data }; stream:
//                                                              { hs }, h after each step
//   { op: 'time', key, calls }                  -> { ms }      ms per call over `calls` calls
// A stream call is `inputs.length` steps carrying h (and c) from call to call, as on the main
// thread; `check` starts it again from zero state.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const requirePeer = createRequire(new URL('./peers/package.json', import.meta.url));
const ort = requirePeer('onnxruntime-web');
const MODELS = new URL('./peers/models/', import.meta.url);
ort.env.wasm.simd = true;
ort.env.logLevel = 'error';

const sessions = new Map(), calls = new Map();

function forwardCall(sess, x, shape) {
  const feeds = { x: new ort.Tensor('float32', x, shape) };
  return {
    run: () => sess.run(feeds),
    async check() {
      const out = await sess.run(feeds);
      const data = (t) => t && { data: t.data };
      return { output: data(out.output), h_n: data(out.h_n), c_n: data(out.c_n) };
    },
  };
}

function streamCall(sess, inputs, D, H, lstm) {
  const xs = inputs.map((v) => new ort.Tensor('float32', v, [1, 1, D]));
  const zero = () => new ort.Tensor('float32', new Float32Array(H), [1, 1, H]);
  let feeds;
  const reset = () => { feeds = { x: null, h0: zero(), ...(lstm && { c0: zero() }) }; };
  reset();
  async function step(i) {
    feeds.x = xs[i];
    const out = await sess.run(feeds);
    feeds.h0 = out.h_n;
    if (lstm) feeds.c0 = out.c_n;
    return out.h_n.data;
  }
  return {
    async run() { for (let i = 0; i < xs.length; i++) await step(i); },
    async check(steps) {
      reset();
      const hs = [];
      for (let i = 0; i < steps; i++) hs.push(Float32Array.from(await step(i)));
      return { hs };
    },
  };
}

async function handle(m) {
  switch (m.op) {
    case 'session': {
      ort.env.wasm.numThreads = m.threads;
      const bin = { path: m.bin, data: new Uint8Array(readFileSync(new URL(m.bin, MODELS))) };
      sessions.set(m.id, await ort.InferenceSession.create(readFileSync(new URL(m.file, MODELS)), { executionProviders: ['wasm'], externalData: [bin], ...(process.env.NOSPIN && { extra: { session: { intra_op: { allow_spinning: '0' } } } }) }));
      return { ok: true };
    }
    case 'forward': calls.set(m.key, forwardCall(sessions.get(m.id), m.x, m.shape)); return { ok: true };
    case 'stream': calls.set(m.key, streamCall(sessions.get(m.id), m.inputs, m.D, m.H, m.lstm)); return { ok: true };
    case 'check': return { outputs: await calls.get(m.key).check(m.steps) };
    case 'time': {
      const c = calls.get(m.key), t0 = performance.now();
      for (let i = 0; i < m.calls; i++) await c.run();
      return { ms: (performance.now() - t0) / m.calls };
    }
    default: throw new Error(`unknown op ${m.op}`);
  }
}

// one message at a time, in order, however long a reply takes
let queue = Promise.resolve();
process.on('message', (m) => {
  queue = queue.then(async () => {
    try {
      process.send({ reply: await handle(m) });
    } catch (e) {
      process.send({ error: String(e?.stack ?? e) });
    }
  });
});
