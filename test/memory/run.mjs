// Memory checks that need the garbage collector, run in a process of their own:
//   node --expose-gc --experimental-wasm-relaxed-simd test/memory/run.mjs forgotten
//   node --expose-gc --experimental-wasm-relaxed-simd test/memory/run.mjs stream [steps]
// against dist/node.js (npm test builds first); prints one JSON line for test/memory.test.ts.
//
// forgotten: every kind of owner of wasm memory (layers with work memory and streams, Linear,
//   Embedding, ScalarMix, Sequential, EchoStateNetwork and its stream, optimizers with state)
//   is built, used and dropped without dispose(); collecting returns the arena to its
//   baseline. What something reachable still uses stays: a layer held only by its stream, a
//   Linear held only by its optimizer, a layer whose forgotten streams are collected.
// stream: steps one stream many times and reports the arena and the process memory around it.
const api = await import(new URL('../../dist/node.js', import.meta.url).href);
const { init, LSTM, GRU, RNN, CEC, Linear, Embedding, ScalarMix, Sequential, EchoStateNetwork, SGD, Adam, AdamW, RMSprop, fit } = api;

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const backend = await init();
const arena = backend.arena;
const [mode, stepsArg] = process.argv.slice(2);

const tensor = (shape, f = (i) => Math.sin(i)) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: n }, (_, i) => f(i)), shape };
};

/**
 * Collects until the arena holds `target` bytes, at most `rounds` times: a finalization
 * callback runs in a task after the collection that found its object, so each round collects
 * and then yields to the event loop. Returns the round that got there, or -1.
 */
async function collectTo(target, rounds = 100) {
  for (let round = 1; round <= rounds; round++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (arena.usedBytes === target) return round;
  }
  return -1;
}

/** Builds and uses every owner kind, keeps none, and returns the bytes they held. */
function forgetEverything() {
  for (const Layer of [LSTM, GRU, RNN, CEC]) {
    const layer = new Layer({ inputSize: 3, hiddenSize: 8, numLayers: 2, seed: 1 });
    layer.forward(tensor([5, 2, 3]), undefined, { train: true });
    layer.backward(tensor([5, 2, 8]));
    layer.forward(tensor([7, 1, 3])); // inference work memory too
    layer.stream(2).step(new Float32Array(6));
    new Adam(layer, { lr: 0.01 }).step();
  }
  const lin = new Linear({ inFeatures: 4, outFeatures: 3, seed: 1 });
  lin.forward(tensor([6, 4]), { train: true });
  lin.backward(tensor([6, 3]));
  new SGD(lin, { lr: 0.1, momentum: 0.9 }).step();
  const emb = new Embedding({ numEmbeddings: 5, embeddingDim: 3, seed: 1 });
  emb.forward({ data: Int32Array.of(1, 2, 4), shape: [3] }, { train: true });
  emb.backward(tensor([3, 3]));
  const mix = new ScalarMix({ numLayers: 2 });
  mix.forward([tensor([2, 3]), tensor([2, 3])], { train: true });
  mix.backward(tensor([2, 3]));
  new RMSprop(mix, { lr: 0.1, momentum: 0.5 }).step();
  const model = new Sequential([new Embedding({ numEmbeddings: 4, embeddingDim: 3, seed: 2 }), new GRU({ inputSize: 3, hiddenSize: 5, seed: 2 }), new Linear({ inFeatures: 5, outFeatures: 4, seed: 2 })]);
  const x = { data: Int32Array.of(0, 1, 2, 3, 1, 2), shape: [3, 2] };
  fit(model, { x, y: Int32Array.of(1, 2, 3, 0, 2, 3) }, { optimizer: new AdamW(model, { lr: 0.01 }), epochs: 2 });
  const esn = new EchoStateNetwork({ inputSize: 1, reservoirSize: 20, outputSize: 1, seed: 1 });
  esn.fit(tensor([40, 1]), tensor([40, 1], (i) => Math.sin(i + 1)));
  esn.stream(3).step(new Float32Array(3));
  return arena.usedBytes;
}

/**
 * A Linear reachable only through its optimizer, and an LSTM only through its stream; then
 * the same again, dropped (that they are collected shows collections ran while the kept ones
 * stayed). Returns the kept objects and the bytes they hold.
 */
function keepThroughOthers() {
  const opt = new SGD(new Linear({ inFeatures: 16, outFeatures: 16, seed: 3 }), { lr: 0.1 });
  opt.step();
  const stream = new LSTM({ inputSize: 2, hiddenSize: 16, seed: 3 }).stream(1);
  stream.step(new Float32Array(2));
  const bytes = arena.usedBytes;
  new SGD(new Linear({ inFeatures: 16, outFeatures: 16, seed: 3 }), { lr: 0.1 }).step();
  new LSTM({ inputSize: 2, hiddenSize: 16, seed: 3 }).stream(1).step(new Float32Array(2));
  return { kept: { opt, stream }, bytes };
}

/** A layer kept while 100 streams over it are forgotten. */
function forgetStreams(layer) {
  for (let i = 0; i < 100; i++) layer.stream(4).step(new Float32Array(8));
}

if (mode === 'forgotten') {
  const baseline = arena.usedBytes;
  const out = { baseline, capacityBefore: arena.capacityBytes };

  out.held = forgetEverything() - baseline;
  out.rounds = await collectTo(baseline);
  out.afterForgotten = arena.usedBytes;

  let { kept, bytes } = keepThroughOthers();
  out.keptHeld = bytes - baseline;
  out.withDroppedTwins = arena.usedBytes - baseline;
  out.keptRounds = await collectTo(bytes);
  out.keptAfter = arena.usedBytes - baseline;
  out.keptStep = kept.opt.step();
  out.keptStream = Array.from(kept.stream.step(Float32Array.of(0.5, -0.5)).data).every(Number.isFinite);
  kept = null;
  out.droppedRounds = await collectTo(baseline);

  const layer = new LSTM({ inputSize: 2, hiddenSize: 8, seed: 4 });
  const layerBytes = layer.memoryBytes();
  forgetStreams(layer);
  out.streamsHeld = arena.usedBytes - baseline - layerBytes;
  out.streamRounds = await collectTo(baseline + layerBytes);
  out.layerAfterStreams = layer.memoryBytes() === layerBytes;
  layer.dispose();

  // disposed objects are unregistered: collecting them frees nothing twice (a double free
  // would throw inside the finalization callback and end this process)
  for (let i = 0; i < 50; i++) {
    const l = new LSTM({ inputSize: 2, hiddenSize: 4, seed: i });
    const s = l.stream(1);
    s.step(new Float32Array(2));
    const o = new Adam(l, { lr: 0.1 });
    o.step();
    if (i % 2) { s.dispose(); l.dispose(); o.dispose(); } else { l.dispose(); s.dispose(); o.dispose(); }
  }
  out.afterDisposed = arena.usedBytes;
  for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((resolve) => setTimeout(resolve, 0)); }
  out.afterDisposedCollected = arena.usedBytes;
  out.capacityAfter = arena.capacityBytes;
  console.log(JSON.stringify(out));
} else if (mode === 'stream') {
  const steps = Number(stepsArg ?? 1e6);
  const layer = new LSTM({ inputSize: 4, hiddenSize: 16, seed: 1 });
  const stream = layer.stream(1);
  const x = new Float32Array(4);
  const step = (i) => { x[0] = Math.sin(i * 0.01); x[1] = Math.cos(i * 0.003); return stream.step(x); };
  for (let i = 0; i < 10_000; i++) step(i); // warm up the JIT before measuring
  const measure = () => {
    globalThis.gc();
    const m = process.memoryUsage();
    return { used: arena.usedBytes, capacity: arena.capacityBytes, heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
  };
  const before = measure();
  const t0 = performance.now();
  let last;
  for (let i = 0; i < steps; i++) last = step(i);
  const ms = performance.now() - t0;
  const finite = Array.from(last.data).every(Number.isFinite);
  const after = measure();
  console.log(JSON.stringify({ steps, ms, before, after, finite }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
