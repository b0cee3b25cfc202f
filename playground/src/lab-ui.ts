/**
 * Sections 4 and 5 of the page: the gradient-flow lab and the benchmark (run by the lab
 * worker), and the trained model's insides (measured by the training worker, shown here).
 */
import { CELLS, cellById } from './cells.js';
import { clearChart, showChart } from './charts.js';
import { $, fillTable, percent, sig } from './format.js';
import type { FromLab, Inside, LabConfig, LabResult, ToLab } from './protocol.js';

const MAX_RUNS = 6;
/** The benchmark's columns: the median first (what a phone shows without scrolling the table). */
const BENCH_HEAD = ['workload', 'median', 'throughput', 'min – max of 5 samples'];

export interface LabView {
  setBuild(simd: string): void;
  setModelTask(task: string): void;
  showInside(inside: Inside): void;
  insideBusy(): void;
  insideError(message: string): void;
}

export function setupLab(onReady: (text: string) => void): LabView {
  const worker = new Worker(new URL('./lab.worker.ts', import.meta.url), { type: 'module', name: 'simd-rnn lab' });
  const send = (m: ToLab) => worker.postMessage(m);

  const cell = $<HTMLSelectElement>('lab-cell');
  for (const c of CELLS) cell.add(new Option(c.label, c.id));
  cell.value = 'rnn';
  const biasInput = $<HTMLInputElement>('lab-bias'), biasHint = $('lab-bias-hint');
  const syncBias = () => {
    const gate = cellById(cell.value).gate;
    biasInput.disabled = !gate;
    biasHint.textContent = gate === 'forget' ? 'forget gate' : gate === 'update' ? 'update gate z' : 'no such gate';
  };
  cell.addEventListener('change', syncBias);
  syncBias();

  const config = (): LabConfig => {
    const bias = biasInput.value.trim();
    return {
      cell: cell.value, T: Number($<HTMLInputElement>('lab-T').value), init: $<HTMLSelectElement>('lab-init').value as LabConfig['init'],
      gateBias: bias === '' || biasInput.disabled ? null : Number(bias), scale: Number($<HTMLInputElement>('lab-scale').value),
      clip: Number($<HTMLInputElement>('lab-clip').value),
    };
  };
  const runs: { name: string; norms: number[]; n: number }[] = [];
  let runCount = 0;
  const describe = (c: LabConfig) => [
    cellById(c.cell).label, c.init !== 'pytorch' ? `${c.init} init` : '', c.gateBias !== null ? `bias ${c.gateBias}` : '', c.scale !== 1 ? `W_hh × ${c.scale}` : '',
  ].filter(Boolean).join(', ');
  let pending: LabConfig | null = null;
  const flowButton = $<HTMLButtonElement>('flow-run'), addingButton = $<HTMLButtonElement>('adding-run');

  $<HTMLFormElement>('lab-form').addEventListener('submit', (e) => {
    e.preventDefault();
    pending = config();
    flowButton.disabled = true;
    $('flow-ratio').textContent = '…';
    send({ type: 'flow', config: pending });
  });
  addingButton.addEventListener('click', () => {
    const form = $<HTMLFormElement>('lab-form');
    if (!form.reportValidity()) return;
    addingButton.disabled = true;
    $('adding-info').textContent = 'Training twice on the adding problem (T = 50, 150 steps of SGD)…';
    send({ type: 'adding', config: config() });
  });

  function showFlow(r: LabResult, c: LabConfig): void {
    runs.push({ name: `${describe(c)}, T=${c.T}`, norms: r.norms, n: ++runCount });
    if (runs.length > MAX_RUNS) runs.shift();
    $('flow-ratio').textContent = sig(r.ratio);
    $('flow-ratio').dataset.value = String(r.ratio); // full precision, for tests and the curious
    const top = r.spectrum.reduce((a, s) => (s.sigmaMax * s.gamma > a.sigmaMax * a.gamma ? s : a), r.spectrum[0]);
    $('flow-sigma').textContent = top ? sig(top.sigmaMax * top.gamma) : '–';
    $('flow-regime').textContent = top ? top.regime : '–';
    showChart($('flow-chart'), {
      title: `Gradient flow, loss on the last step (the last ${runs.length > 1 ? `${runs.length} runs` : 'run'})`, shortTitle: 'Gradient flow', xLabel: 'time step t', yLabel: '‖dL/dh(t)‖', logY: true,
      series: runs.map((run) => ({ name: run.name, short: `run ${run.n}`, y: run.norms })).reverse(),
    });
    const list = $('flow-runs');
    list.replaceChildren(...runs.map((run) => Object.assign(document.createElement('li'), { textContent: `run ${run.n}: ${run.name}` })).reverse());
    spectrumTable($<HTMLTableElement>('flow-spectrum'), r.spectrum);
    fillTable($<HTMLTableElement>('flow-gates'), ['gate', 'mean', 'saturated low', 'saturated high'],
      r.gates.map((g) => [g.gate, sig(g.mean), percent(g.saturatedLow), percent(g.saturatedHigh)]));
  }

  let simd = '';
  const benchButton = $<HTMLButtonElement>('bench-run'), benchRows: string[][] = [];
  benchButton.addEventListener('click', () => {
    benchButton.disabled = true;
    benchRows.length = 0;
    fillTable($<HTMLTableElement>('bench-table'), BENCH_HEAD, [['running…', '', '', '']]);
    send({ type: 'bench' });
  });
  const ms = (v: number) => (v < 0.1 ? `${(v * 1000).toFixed(1)} µs` : `${v.toFixed(v < 10 ? 2 : 1)} ms`);

  worker.onmessage = (event: MessageEvent<FromLab>) => {
    const m = event.data;
    switch (m.type) {
      case 'ready': onReady(m.simd); break;
      case 'flow': if (pending) showFlow(m.result, pending); flowButton.disabled = false; break;
      case 'adding': {
        const r = m.result;
        showChart($('adding-chart'), {
          title: 'Adding problem (T = 50), SGD: loss per step', shortTitle: 'Adding problem, SGD', xLabel: 'training step', yLabel: 'loss (MSE)', logY: true,
          series: [{ name: 'no clipping', short: 'plain', y: r.plain }, { name: `clipGradNorm(${r.clip})`, short: 'clipped', y: r.clipped }],
        });
        const end = (losses: number[], diverged: number) => (diverged >= 0 ? `diverged at step ${diverged}` : `loss ${sig(losses[losses.length - 1])} after ${losses.length} steps`);
        $('adding-info').textContent = `No clipping: ${end(r.plain, r.plainDiverged)}. With clipGradNorm(${r.clip}): ${end(r.clipped, r.clippedDiverged)}. Always answering 1 scores about 0.167.`;
        addingButton.disabled = false;
        break;
      }
      case 'bench-row':
        benchRows.push([m.row.name, ms(m.row.median), m.row.throughput, `${ms(m.row.min)} – ${ms(m.row.max)}`]);
        fillTable($<HTMLTableElement>('bench-table'), BENCH_HEAD, benchRows);
        break;
      case 'bench-done': benchButton.disabled = false; break;
      case 'error':
        if (m.where === 'flow') { $('flow-ratio').textContent = '–'; flowButton.disabled = false; }
        if (m.where === 'adding') addingButton.disabled = false;
        if (m.where === 'bench') benchButton.disabled = false;
        $(m.where === 'adding' ? 'adding-info' : m.where === 'bench' ? 'build-info' : 'flow-regime').textContent = m.message;
        break;
    }
  };
  worker.onerror = (e) => { $('status').textContent = `The lab worker failed: ${e.message}`; };

  function spectrumTable(table: HTMLTableElement, spectrum: LabResult['spectrum'], withLayer = false): void {
    fillTable(table, ['matrix', 'gate', 'σ max', 'γ', 'σ γ', 'regime'],
      spectrum.map((s) => [s.name, s.gate, sig(s.sigmaMax), sig(s.gamma), sig(s.sigmaMax * s.gamma), s.regime]),
      spectrum.map((s) => [undefined, undefined, undefined, undefined, undefined, `regime-${s.regime.replace(/ /g, '-')}`]));
    void withLayer;
  }

  const insideChart = $('inside-chart');
  return {
    setBuild(s) {
      simd = s;
      const threads = navigator.hardwareConcurrency ?? 1;
      $('build-info').textContent = `Build: ${simd === 'relaxed' ? 'relaxed SIMD (f32x4.relaxed_madd: fused multiply-add where the CPU has one)' : 'baseline SIMD128 (bit-identical on every runtime)'}; one thread per worker (this machine reports ${threads} logical cores; shared-memory threads need a cross-origin-isolated page, which this one ${globalThis.crossOriginIsolated ? 'is' : 'is not'}).`;
    },
    setModelTask() { clearChart(insideChart); insideChart.hidden = true; $('inside-gates').replaceChildren(); $('inside-spectrum').replaceChildren(); },
    insideBusy() { $<HTMLButtonElement>('inside-run').textContent = 'Measuring…'; },
    insideError(message) {
      $<HTMLButtonElement>('inside-run').textContent = 'Look inside the model';
      fillTable($<HTMLTableElement>('inside-gates'), ['error'], [[message]]);
    },
    showInside(inside) {
      $<HTMLButtonElement>('inside-run').textContent = 'Look inside the model';
      showChart(insideChart, {
        title: `The trained model: loss on the last of ${inside.T} characters`, shortTitle: 'The trained model', xLabel: 'time step t', yLabel: '‖dL/dh(t)‖', logY: true,
        series: inside.norms.map((y, l) => ({ name: inside.norms.length > 1 ? `layer ${l}` : 'dL/dh(t)', y })),
      });
      fillTable($<HTMLTableElement>('inside-gates'), ['layer', 'gate', 'mean', 'saturated low', 'saturated high'],
        inside.gates.map((g) => [g.layer, g.gate, sig(g.mean), percent(g.saturatedLow), percent(g.saturatedHigh)]));
      spectrumTable($<HTMLTableElement>('inside-spectrum'), inside.spectrum);
    },
  };
}
