// The gradient-flow experiment in one command (npm run example:gradient-flow): prints the
// numbers and writes SVG charts (to examples/gradient-flow/out, or the directory given with
// --out DIR). See experiments.js for what each part does and why.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lineChart } from 'simd-rnn';
import { T, exploding, initialisations, vanishing } from './experiments.js';

const at = process.argv.indexOf('--out');
const out = resolve(at > 0 ? process.argv[at + 1] : new URL('./out', import.meta.url).pathname);
mkdirSync(out, { recursive: true });
const written = [];
const chart = (file, options) => {
  writeFileSync(join(out, file), lineChart({ width: 860, ...options }));
  written.push(join(out, file));
};
const e = (v) => (Number.isFinite(v) ? v.toExponential(2) : String(v));

console.log(`1. Vanishing gradients: a loss on the last of T = ${T} steps, ||dL/dh(t)|| at t = 0 over t = ${T - 1}`);
const vanish = await vanishing();
for (const r of vanish) console.log(`   ${r.name.padEnd(40)} ${e(r.ratio)}`);
chart('vanishing.svg', {
  title: `Gradient flow over ${T} steps (loss on the last step)`, xLabel: 'time step t', yLabel: '||dL/dh(t)||', logY: true,
  series: vanish.map((r) => ({ name: r.name, y: r.norms })),
});

console.log('\n2. Exploding gradients: the RNN with W_hh x 3');
const explode = await exploding();
console.log(`   largest singular value of W_hh ${explode.sigmaMax.toFixed(2)} (> 1 / gamma = 1: may explode); ||dL/dh(0)|| / ||dL/dh(${T - 1})|| = ${e(explode.ratio)}`);
const report = (name, r) => console.log(`   ${name.padEnd(28)} ${r.divergedAt >= 0 ? `diverged at step ${r.divergedAt} (loss ${e(r.losses[r.losses.length - 1])}, gradient norm ${e(r.gradNorms[r.gradNorms.length - 1])})` : `test MSE ${r.testMse.toFixed(3)} after ${r.losses.length} steps (largest gradient norm ${e(Math.max(...r.gradNorms))})`}`);
report('adding problem, plain SGD', explode.plain);
report('with clipGradNorm(1)', explode.clipped);
chart('exploding.svg', {
  title: `Gradient flow, W_hh x 3 (largest singular value ${explode.sigmaMax.toFixed(2)})`, xLabel: 'time step t', yLabel: '||dL/dh(t)||', logY: true,
  series: [{ name: 'RNN (tanh), W_hh x 3', y: explode.norms }],
});
chart('clipping.svg', {
  title: 'Adding problem (T = 50), RNN with W_hh x 3, SGD', xLabel: 'training step', yLabel: 'loss (MSE)', logY: true,
  series: [{ name: 'plain SGD', y: explode.plain.losses }, { name: 'clipGradNorm(1)', y: explode.clipped.losses }],
});

console.log('\n3. Initialisation: gradient flow at init');
const inits = await initialisations();
for (const r of inits) console.log(`   ${r.name.padEnd(28)} sigma_max(W_hh) ${r.sigmaMax.toFixed(3)} (${r.regime}), ratio ${e(r.ratio)}`);
chart('initialisation.svg', {
  title: `Gradient flow at initialisation over ${T} steps`, xLabel: 'time step t', yLabel: '||dL/dh(t)||', logY: true,
  series: inits.map((r) => ({ name: r.name, y: r.norms })),
});

console.log(`\nCharts:\n${written.map((f) => `   ${f}`).join('\n')}`);
