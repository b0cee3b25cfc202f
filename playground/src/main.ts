/**
 * The page: the Train, Sample and Files sections talk to the training worker (which owns the
 * model); the lab and the benchmark (lab-ui.ts) talk to the lab worker. Workers are module
 * workers started at load, so the page has every file it needs from then on (it works
 * offline after load).
 */
import { CELLS } from './cells.js';
import { clearChart, showChart } from './charts.js';
import { $, loss } from './format.js';
import { setupLab } from './lab-ui.js';
import type { FromTrainer, ModelInfo, ToTrainer, TrainConfig } from './protocol.js';

const trainer = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'simd-rnn training' });
const send = (m: ToTrainer, transfer: Transferable[] = []) => trainer.postMessage(m, transfer);

const status = $('status');
const lab = setupLab((text) => ready('lab', text));
const readyParts: Record<string, string> = {};
function ready(part: string, text: string): void {
  readyParts[part] = text;
  status.textContent = readyParts.train && readyParts.lab
    ? `Ready: ${readyParts.train}; the training worker and the lab worker are running.`
    : 'Starting the workers…';
}

// ---- Train -----------------------------------------------------------------------------

const cellSelect = $<HTMLSelectElement>('cell');
for (const c of CELLS) cellSelect.add(new Option(c.label, c.id));
const num = (id: string) => Number($<HTMLInputElement>(id).value);
const DEFAULT_LR = { adam: 0.003, rmsprop: 0.002, sgd: 0.5 } as const;
const optimizerSelect = $<HTMLSelectElement>('optimizer');
optimizerSelect.addEventListener('change', () => { $<HTMLInputElement>('lr').value = String(DEFAULT_LR[optimizerSelect.value as keyof typeof DEFAULT_LR]); });

const textBox = $('text-box'), corpusText = $<HTMLTextAreaElement>('corpus-text'), corpusInfo = $('corpus-info');
let corpusName = 'pasted text';
const corpusKind = () => (document.querySelector<HTMLInputElement>('input[name=corpus]:checked')!.value as 'names' | 'text');
for (const r of document.querySelectorAll<HTMLInputElement>('input[name=corpus]')) r.addEventListener('change', () => { textBox.hidden = corpusKind() !== 'text'; });
corpusText.addEventListener('input', () => { corpusName = 'pasted text'; describeText(); });
function describeText(): void {
  const n = Array.from(corpusText.value).length;
  corpusInfo.textContent = n ? `${n.toLocaleString('en-US')} characters (${corpusName})` : '';
}
async function takeTextFile(file: File): Promise<void> {
  corpusText.value = await file.text();
  corpusName = file.name;
  describeText();
}
$<HTMLInputElement>('corpus-file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void takeTextFile(f);
});
dropTarget(textBox, (f) => void takeTextFile(f));

const trainMessage = $('train-message');
function say(el: HTMLElement, text: string, kind: 'bad' | 'good' | '' = ''): void {
  el.textContent = text;
  el.className = `message ${kind}`;
}

const startButton = $<HTMLButtonElement>('train-start'), pauseButton = $<HTMLButtonElement>('train-pause'), resetButton = $<HTMLButtonElement>('train-reset');
const downloadButton = $<HTMLButtonElement>('checkpoint-download'), insideButton = $<HTMLButtonElement>('inside-run');
let state: 'idle' | 'running' | 'paused' | 'loaded' = 'idle';
function setState(s: typeof state): void {
  state = s;
  pauseButton.disabled = s === 'idle' || s === 'loaded';
  pauseButton.textContent = s === 'paused' ? 'Resume' : 'Pause';
  resetButton.disabled = s === 'idle';
  downloadButton.disabled = s === 'idle';
  insideButton.disabled = s === 'idle';
}

// the run shown (-1: none; see protocol.ts) and its loss history
let shownRun = 0, runCount = 0;
let trainPoints: [number, number][] = [], valPoints: [number, number][] = [], baseline = NaN, title = '';
const lossChart = $('loss-chart');
let drawPending = false, lastDraw = 0;
function drawLoss(): void {
  if (drawPending) return;
  drawPending = true;
  setTimeout(() => {
    drawPending = false;
    lastDraw = performance.now();
    const w = Math.max(1, Math.ceil(trainPoints.length / 250)), x: number[] = [], y: number[] = [];
    for (let i = 0; i < trainPoints.length; i += w) {
      const part = trainPoints.slice(i, i + w);
      x.push(part[part.length - 1][0]); y.push(part.reduce((a, p) => a + p[1], 0) / part.length);
    }
    const last = Math.max(1, trainPoints.at(-1)?.[0] ?? 1);
    showChart(lossChart, {
      title, shortTitle: title.length > 34 ? 'Loss' : title, xLabel: 'step', yLabel: 'nats per character',
      series: [
        { name: w > 1 ? `train (mean of ${w})` : 'train', short: 'train', x, y },
        { name: 'validation', short: 'val', x: valPoints.map((p) => p[0]), y: valPoints.map((p) => p[1]) },
        ...(Number.isFinite(baseline) ? [{ name: 'unigram baseline', short: 'baseline', x: [0, last], y: [baseline, baseline] }] : []),
      ],
    });
  }, Math.max(0, 250 - (performance.now() - lastDraw)));
}

function resetView(): void {
  trainPoints = []; valPoints = []; baseline = NaN;
  for (const id of ['step-value', 'loss-value', 'val-loss-value', 'baseline-value', 'speed-value']) $(id).textContent = '–';
  clearChart(lossChart);
  $('train-samples').replaceChildren();
  $('model-info').textContent = '';
}

function showInfo(info: ModelInfo): void {
  baseline = info.baseline ?? NaN;
  $('baseline-value').textContent = Number.isFinite(baseline) ? loss(baseline) : '–';
  $('model-info').textContent = `${info.describe}; ${info.parameters.toLocaleString('en-US')} parameters, ${info.vocabSize} characters in the vocabulary.`;
  lab.setModelTask(info.task);
}

$<HTMLFormElement>('train-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const kind = corpusKind();
  if (kind === 'text' && Array.from(corpusText.value).length < 200) {
    say(trainMessage, 'Paste, pick or drop at least 200 characters of text first.', 'bad');
    corpusText.focus();
    return;
  }
  const config: TrainConfig = {
    corpus: kind === 'names' ? { kind } : { kind, text: corpusText.value, name: corpusName },
    cell: cellSelect.value, hidden: num('hidden'), layers: num('layers'), embed: num('embed'), seq: num('seq'), batch: num('batch'),
    optimizer: optimizerSelect.value as TrainConfig['optimizer'], lr: num('lr'), clip: num('clip'), seed: num('seed'),
    evalEvery: num('eval-every'), sampleEvery: num('sample-every'),
  };
  resetView();
  const cell = CELLS.find((c) => c.id === config.cell)!.label;
  title = `${cell}${config.layers > 1 ? ` ${config.layers} layers of` : ''} ${config.hidden} on ${kind === 'names' ? 'first names' : corpusName}`;
  say(trainMessage, 'Building the model…');
  send({ type: 'start', run: (shownRun = ++runCount), config });
});
pauseButton.addEventListener('click', () => send({ type: state === 'paused' ? 'resume' : 'pause' }));
resetButton.addEventListener('click', () => { shownRun = -1; send({ type: 'reset' }); resetView(); setState('idle'); say(trainMessage, ''); });

// ---- Sample ----------------------------------------------------------------------------

const output = $('sample-output');
let sampleId = 0;
$<HTMLFormElement>('sample-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const seedText = $<HTMLInputElement>('sample-seed').value.trim();
  const seed = seedText === '' ? Math.floor(Math.random() * 1e9) : Number(seedText);
  output.replaceChildren();
  output.dataset.state = 'running';
  send({ type: 'sample', id: ++sampleId, prompt: $<HTMLInputElement>('prompt').value, temperature: num('temperature'), length: num('length'), seed });
  output.setAttribute('aria-busy', 'true');
  output.title = `seed ${seed}`;
});

// ---- Files -----------------------------------------------------------------------------

const fileStatus = $('checkpoint-status');
downloadButton.addEventListener('click', () => send({ type: 'save' }));
async function loadFile(file: File): Promise<void> {
  say(fileStatus, `Reading ${file.name}…`);
  const bytes = await file.arrayBuffer();
  send({ type: 'load', bytes, name: file.name }, [bytes]);
}
const loadInput = $<HTMLInputElement>('checkpoint-load');
loadInput.addEventListener('change', () => {
  const f = loadInput.files?.[0];
  if (f) void loadFile(f);
  loadInput.value = ''; // the same file again is a new change
});
dropTarget($('drop-zone'), (f) => void loadFile(f));

function dropTarget(el: HTMLElement, take: (f: File) => void): void {
  el.addEventListener('dragover', (e) => { e.preventDefault(); el.classList.add('over'); });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', (e) => {
    e.preventDefault();
    el.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) take(f);
  });
}

// ---- messages from the training worker -------------------------------------------------

const recentLosses: number[] = [];
trainer.onmessage = (event: MessageEvent<FromTrainer>) => {
  const m = event.data;
  switch (m.type) {
    case 'ready': ready('train', `${m.simd === 'relaxed' ? 'relaxed-SIMD' : 'baseline SIMD'} build`); lab.setBuild(m.simd); break;
    case 'started':
      showInfo(m.info);
      say(trainMessage, 'Training. The page stays responsive: the model trains in a Web Worker.');
      recentLosses.length = 0;
      break;
    case 'progress': {
      if (m.run !== shownRun) break;
      trainPoints.push(...m.train);
      valPoints.push(...m.val);
      for (const [, l] of m.train) { recentLosses.push(l); if (recentLosses.length > 20) recentLosses.shift(); }
      $('step-value').textContent = String(m.step);
      if (recentLosses.length) $('loss-value').textContent = loss(recentLosses.reduce((a, b) => a + b, 0) / recentLosses.length);
      if (valPoints.length) $('val-loss-value').textContent = loss(valPoints[valPoints.length - 1][1]);
      $('speed-value').textContent = m.stepsPerSecond >= 100 ? m.stepsPerSecond.toFixed(0) : m.stepsPerSecond.toFixed(1);
      drawLoss();
      break;
    }
    case 'samples': {
      if (m.run !== shownRun) break;
      const li = document.createElement('li'), step = document.createElement('span');
      step.className = 'step';
      step.textContent = `step ${m.step} (val ${loss(m.valLoss)}): `;
      li.append(step, m.texts.map((t) => t.replace(/\n/g, '⏎')).join(', '));
      $('train-samples').prepend(li);
      break;
    }
    case 'state':
      setState(m.state);
      if (m.state === 'paused') say(trainMessage, trainMessage.classList.contains('bad') ? trainMessage.textContent! : 'Paused. Sample, download or look inside, then resume.', trainMessage.classList.contains('bad') ? 'bad' : '');
      else if (m.state === 'running') say(trainMessage, 'Training. The page stays responsive: the model trains in a Web Worker.');
      break;
    case 'sample-chunk': if (m.id === sampleId) appendSample(m.text); break;
    case 'sample-done':
      if (m.id !== sampleId) break;
      if (m.error) output.textContent = `(${m.error})`;
      output.dataset.state = m.error ? 'error' : 'done';
      output.removeAttribute('aria-busy');
      break;
    case 'checkpoint': {
      const url = URL.createObjectURL(new Blob([m.bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url; a.download = m.fileName;
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      say(fileStatus, `Saved ${m.fileName} (${(m.bytes.byteLength / 1024).toFixed(1)} KiB).`, 'good');
      break;
    }
    case 'loaded':
      shownRun = -1; // the worker has dropped the run it trained
      resetView();
      showInfo(m.info);
      title = '';
      if (m.info.log) {
        // the curve the file's own training recorded (train: the mean loss between validations)
        title = `${m.info.source}: its training record`;
        valPoints = m.info.log.map((e) => [e.step, e.valLoss]);
        trainPoints = m.info.log.filter((e) => e.loss !== null).map((e) => [e.step, e.loss!]);
        $('step-value').textContent = String(m.info.log[m.info.log.length - 1].step);
        $('val-loss-value').textContent = loss(valPoints[valPoints.length - 1][1]);
        if (trainPoints.length) $('loss-value').textContent = loss(trainPoints[trainPoints.length - 1][1]);
        drawLoss();
      }
      say(fileStatus, `Loaded ${m.info.source}: sample it (section 2) or look inside (section 4).`, 'good');
      say(trainMessage, `A loaded model (${m.info.source}); Train starts a new one from the form.`);
      break;
    case 'inside': lab.showInside(m.inside); break;
    case 'error':
      if (m.where === 'load' || m.where === 'save') say(fileStatus, m.message, 'bad');
      else if (m.where === 'inspect') lab.insideError(m.message);
      else say(trainMessage, m.message, 'bad');
      if (m.where === 'init') status.textContent = `This browser cannot run simd-rnn: ${m.message}`;
      break;
  }
};
trainer.onerror = (e) => { status.textContent = `The training worker failed: ${e.message}`; };

function appendSample(text: string): void {
  if (!output.firstChild && text) {
    // the first chunk is the prompt
    const span = document.createElement('span');
    span.className = 'prompt';
    span.textContent = text;
    output.append(span);
    return;
  }
  output.append(text);
  output.scrollTop = output.scrollHeight;
}

insideButton.addEventListener('click', () => { lab.insideBusy(); send({ type: 'inspect' }); });
setState('idle');
