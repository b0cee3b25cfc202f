// The qualitative facts of examples/gradient-flow, from the same seeded experiments the
// example prints and plots (it imports the built package, so this runs after `npm run build`).
import { expect, test } from 'vitest';
// @ts-expect-error: plain JavaScript example
import { T, exploding, initialisations, vanishing } from '../examples/gradient-flow/experiments.js';

interface Flow { name: string; ratio: number; norms: number[] }

test('a vanilla RNN loses the gradient over 100 steps; open gates and the carousel keep it', async () => {
  const rows = (await vanishing()) as Flow[];
  const ratio = (name: string) => rows.find((r) => r.name.startsWith(name))!.ratio;
  console.log(rows.map((r) => `${r.name}: ||dL/dh(0)|| / ||dL/dh(${T - 1})|| = ${r.ratio.toExponential(2)}`).join('\n'));
  expect(ratio('RNN (tanh)')).toBeLessThan(1e-15);
  // with gates near 0.5 (PyTorch's initialisation) the gated cells lose it as well ...
  expect(ratio('LSTM')).toBeLessThan(1e-10);
  expect(ratio('GRU')).toBeLessThan(1e-10);
  // ... and keep it, many orders of magnitude better, with their gates open or no forget gate
  expect(ratio('LSTM, forget bias 3')).toBeGreaterThan(1e-3);
  expect(ratio('GRU, update gate')).toBeGreaterThan(1e-3);
  expect(ratio('LSTM without forget gate')).toBeGreaterThan(0.1);
  expect(ratio('CEC')).toBeGreaterThan(0.1);
  expect(ratio('LSTM, forget bias 3') / ratio('RNN (tanh)')).toBeGreaterThan(1e12);
});

test('W_hh x 3 explodes; plain SGD diverges on the adding problem, clipGradNorm keeps it finite', async () => {
  const r = await exploding();
  expect(r.sigmaMax).toBeGreaterThan(1);
  expect(r.ratio).toBeGreaterThan(100);
  expect(r.plain.divergedAt).toBeGreaterThanOrEqual(0);
  expect(r.clipped.divergedAt).toBe(-1);
  expect(Number.isFinite(r.clipped.testMse)).toBe(true);
  expect(r.clipped.testMse).toBeLessThan(0.3);
  expect(Math.max(...r.clipped.gradNorms)).toBeGreaterThan(10); // the clip had work to do
});

test('IRNN keeps the gradient at init, orthogonal tanh loses it slowly, the default fast', async () => {
  const [irnn, orth, def] = (await initialisations()) as (Flow & { sigmaMax: number; regime: string })[];
  expect(irnn.regime).toBe('marginal');
  expect(orth.sigmaMax).toBeCloseTo(1, 4);
  expect(irnn.ratio).toBeGreaterThan(1e-2);
  expect(orth.ratio).toBeLessThan(irnn.ratio);
  expect(orth.ratio).toBeGreaterThan(def.ratio * 1e6);
});
