/**
 * The lab worker: the gradient-flow lab (examples/gradient-flow's own `gradientFlow` and
 * `trainAdding`, so the page shows the numbers the example prints) and the in-page benchmark.
 * A worker of its own, so a lab run answers while a model trains.
 */
/// <reference lib="webworker" />
import { RnnError, init, type Backend, type RecurrentLayer } from 'simd-rnn';
import { D, H, gradientFlow, trainAdding } from '../../examples/gradient-flow/experiments.js';
import { runBench } from './bench.js';
import { buildCell } from './build-cell.js';
import type { FromLab, LabConfig, LabResult, ToLab } from './protocol.js';

const post = (m: FromLab) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m);

/** The lab's layer: the chosen cell at the example's sizes, seed 1, W_hh scaled. */
function labLayer(c: LabConfig, inputSize: number): RecurrentLayer {
  const layer = buildCell(c.cell, { inputSize, hiddenSize: H, seed: 1, init: c.init, ...(c.gateBias !== null ? { gateBias: c.gateBias } : {}) });
  if (c.scale !== 1) {
    const dict = layer.stateDict();
    for (const [name, t] of Object.entries(dict)) if (name.startsWith('weight_hh')) t.data.forEach((v, i, a) => { a[i] = v * c.scale; });
    layer.loadStateDict(dict);
  }
  return layer;
}

function flow(c: LabConfig): LabResult {
  const layer = labLayer(c, D);
  try {
    const { norms, spectrum } = gradientFlow(layer, c.T) as { norms: number[]; spectrum: LabResult['spectrum'] };
    const gates = layer.gateStats()[0].gates.map((g) => ({ gate: g.gate, mean: g.mean, saturatedLow: g.saturatedLow, saturatedHigh: g.saturatedHigh }));
    return { norms, ratio: norms[0] / norms[c.T - 1], spectrum: spectrum.map((s) => ({ ...s })), gates };
  } finally {
    layer.dispose();
  }
}

let backend: Backend | undefined;
const ready = init().then((b) => { backend = b; post({ type: 'ready', simd: b.simd }); }, (e) => { post({ type: 'error', where: 'init', message: String(e?.message ?? e) }); throw e; });

self.onmessage = async (event: MessageEvent<ToLab>) => {
  await ready;
  const m = event.data;
  try {
    if (m.type === 'flow') post({ type: 'flow', result: flow(m.config) });
    else if (m.type === 'adding') {
      const opts = { steps: 50, iterations: 150, lr: 0.05, seed: 7 };
      const plain = trainAdding(() => labLayer(m.config, 2), { ...opts, clip: 0 });
      const clipped = trainAdding(() => labLayer(m.config, 2), { ...opts, clip: m.config.clip > 0 ? m.config.clip : 1 });
      post({ type: 'adding', result: { plain: plain.losses, clipped: clipped.losses, clip: m.config.clip > 0 ? m.config.clip : 1, plainDiverged: plain.divergedAt, clippedDiverged: clipped.divergedAt } });
    } else if (m.type === 'bench') {
      runBench(backend!, (row) => post({ type: 'bench-row', row }));
      post({ type: 'bench-done' });
    }
  } catch (e) {
    post({ type: 'error', where: m.type, message: e instanceof RnnError ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e) });
  }
};
