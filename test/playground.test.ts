// The browser playground (playground/) as a visitor uses it, in real Chromium (Debian's, as the
// browser tests; playwright-core, no browser download): the app is built with Vite into a
// temporary folder, served on loopback from a sub-folder (the build's paths are relative), and
// driven through its data-testids. A small model trains until its validation loss is below
// the unigram baseline; samples appear; the downloaded checkpoint is read by `simd-rnn sample`
// and a checkpoint made by `simd-rnn train` loads in the page (both give the same greedy names
// as the CLI); the gradient-flow lab's ratio is the one the library computes here in Node.
// Any console error, page error or failed request fails the suite. Screenshots at 1280x800 and
// 390x844 go to artifacts/playground/ (git-ignored): of the trained model, and of the whole
// page once every section has run. Runs after `npm run build` (dist/, wasm/).
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RNN, LSTM, init } from 'simd-rnn';
// @ts-expect-error: plain JavaScript example
import { D, H, gradientFlow } from '../examples/gradient-flow/experiments.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const cliMain = join(root, 'dist', 'cli', 'main.js');
const artifacts = join(root, 'artifacts', 'playground');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SUB = '/some/sub/folder/';

let dir = '', site = '', server: Server, base = '', browser: Browser, page: Page;
const problems: string[] = [];
/** The CLI's own run: its checkpoint and the unigram baseline it printed. */
let cliCheckpoint = '', cliBaseline = '';

const cli = async (...args: string[]) => run(process.execPath, [cliMain, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
const text = async (id: string) => (await page.getByTestId(id).textContent())?.trim() ?? '';
const number = async (id: string) => Number(await text(id));

function serve(folder: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.svg': 'image/svg+xml' };
  const s = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname));
    const file = path.startsWith(SUB) ? join(folder, path.slice(SUB.length) || 'index.html') : '';
    if (!file || !existsSync(file) || !file.startsWith(folder)) {
      problems.push(`request for a missing file: ${req.url}`);
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((done) => s.listen(0, '127.0.0.1', () => done(s)));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simd-rnn-playground-'));
  site = join(dir, 'site');
  mkdirSync(artifacts, { recursive: true });
  const [, train] = await Promise.all([
    run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'playground', '--outDir', site, '--emptyOutDir', '--logLevel', 'warn'], { cwd: root, encoding: 'utf8', timeout: 120_000 }),
    cli('train', '--steps', '30', '--hidden', '24', '--embed', '8', '--batch', '8', '--seq', '16', '--eval-every', '10', '--seed', '3', '--out', 'cli'),
  ]);
  cliCheckpoint = join(dir, 'cli', 'model.safetensors');
  cliBaseline = /unigram baseline: (\d+\.\d{3})/.exec(train.stdout)![1];
  server = await serve(site);
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}${SUB}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  await page.goto(base);
  await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Ready'), null, { timeout: 60_000 });
  await init();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.sequential('the playground in Chromium', () => {
  test('loads from a sub-folder with both workers and labelled, keyboard-reachable controls', async () => {
    expect(await text('build-info')).toMatch(/^Build: (relaxed|baseline) SIMD/);
    // every control has a label (or is a button with text), so screen readers and keyboards find it
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !(el.tagName === 'BUTTON' && el.textContent!.trim()))
      .map((el) => el.outerHTML.slice(0, 80)));
    expect(unlabelled).toEqual([]);
    // the visually hidden file input is still reachable with Tab
    await page.getByTestId('checkpoint-load').focus();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('checkpoint-load');
  });

  test('trains until the validation loss is below the unigram baseline; pause and resume', async () => {
    for (const [id, value] of [['hidden', '32'], ['embed', '8'], ['seq', '16'], ['batch', '16'], ['lr', '0.01'], ['eval-every', '25'], ['sample-every', '50']]) {
      await page.fill(`#${id}`, value);
    }
    await page.getByTestId('train-start').click();
    await page.waitForFunction(() => {
      const v = Number(document.querySelector('[data-testid=val-loss-value]')!.textContent);
      const b = Number(document.querySelector('[data-testid=baseline-value]')!.textContent);
      return Number(document.querySelector('[data-testid=step-value]')!.textContent) >= 50 && v < b;
    }, null, { timeout: 120_000, polling: 200 });
    // the page's baseline is the CLI's (the same split of the same names)
    expect(await text('baseline-value')).toBe(cliBaseline);
    expect(await text('loss-value')).toMatch(/^\d+\.\d{3}$/);
    const val = await number('val-loss-value');
    expect(val).toBeLessThan(await number('baseline-value'));
    // samples while training, and a chart with the three series
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=train-samples] li').length > 0, null, { timeout: 30_000 });
    expect(await page.locator('[data-testid=loss-chart] svg path').count()).toBe(3);

    await page.getByTestId('train-pause').click();
    await expect.poll(() => text('train-pause')).toBe('Resume');
    const paused = await number('step-value');
    await page.waitForTimeout(600);
    expect(await number('step-value')).toBe(paused);
    await page.getByTestId('train-pause').click();
    await expect.poll(() => number('step-value'), { timeout: 20_000 }).toBeGreaterThan(paused);
    await page.getByTestId('train-pause').click();
    await expect.poll(() => text('train-pause')).toBe('Resume');
    console.log(`trained ${await text('step-value')} steps at ${await text('speed-value')} steps/s: validation loss ${await text('val-loss-value')}, unigram baseline ${await text('baseline-value')} nats per character`);
  }, 180_000);

  /** At 390x844 (a phone) no horizontal scrolling; screenshots at both sizes (`full`: the whole page). */
  async function sizes(name: string, full: boolean): Promise<void> {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);   // the charts redraw at the new width
    const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(scroll).toBeLessThanOrEqual(client);
    await shoot(`${name}-phone`, full ? undefined : '.watch', full);   // on a phone the numbers and the chart come below the form
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.waitForTimeout(300);
    await shoot(`${name}-laptop`, undefined, full);
  }

  test('fits a phone screen without horizontal scrolling; screenshots of the trained model', () => sizes('trained', false), 60_000);

  async function sample(prompt: string, temperature: number, length: number): Promise<string> {
    await page.fill('#prompt', prompt);
    await page.fill('#temperature', String(temperature));
    await page.fill('#length', String(length));
    await page.fill('#sample-seed', '7');
    await page.getByTestId('sample-start').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid=sample-output]') as HTMLElement).dataset.state === 'done', null, { timeout: 30_000 });
    return (await page.getByTestId('sample-output').textContent()) ?? '';
  }

  test('samples names that start with the prompt', async () => {
    const out = await sample('ma', 0.8, 120);
    expect(out.startsWith('ma')).toBe(true);
    expect(out.length).toBe(2 + 120);
    expect(out).toMatch(/^[a-z\n-]+$/);
    expect(out.split('\n').length).toBeGreaterThan(3);   // several names, one per line
  });

  test('downloads a checkpoint that `simd-rnn sample` reads, with the same greedy name', async () => {
    const greedy = firstName(await sample('ma', 0, 40));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('checkpoint-download').click()]);
    expect(download.suggestedFilename()).toBe('model.safetensors');
    const file = join(dir, 'page.safetensors');
    await download.saveAs(file);
    const out = await cli('sample', '--checkpoint', file, '--count', '1', '--prompt', 'ma', '--temperature', '0');
    expect(out.stdout.trim()).toBe(greedy);
    const info = await cli('inspect', file);
    expect(info.stdout).toMatch(/training +\d+ steps/);
  }, 60_000);

  test('loads a checkpoint made by `simd-rnn train` (picked or dropped); a bad file gives a message', async () => {
    await page.getByTestId('checkpoint-load').setInputFiles(cliCheckpoint);
    await expect.poll(() => text('checkpoint-status')).toMatch(/^Loaded model\.safetensors/);
    expect(await text('model-info')).toMatch(/LSTM 24/);
    const greedy = firstName(await sample('ma', 0, 40));
    const out = await cli('sample', '--checkpoint', cliCheckpoint, '--count', '1', '--prompt', 'ma', '--temperature', '0');
    expect(out.stdout.trim()).toBe(greedy);

    writeFileSync(join(dir, 'notes.safetensors'), 'these are my notes, not a checkpoint');
    await page.getByTestId('checkpoint-load').setInputFiles(join(dir, 'notes.safetensors'));
    await expect.poll(() => text('checkpoint-status')).toMatch(/^notes\.safetensors is not a readable simd-rnn checkpoint: /);
    expect(await page.getByTestId('checkpoint-status').getAttribute('class')).toContain('bad');
    // the loaded model is still there
    expect(firstName(await sample('ma', 0, 40))).toBe(greedy);

    // dropped on the drop zone, as a file from the desktop
    const bytes = [...readFileSync(cliCheckpoint)];
    await page.evaluate((b) => {
      const drop = new DataTransfer();
      drop.items.add(new File([new Uint8Array(b)], 'dropped.safetensors'));
      document.querySelector('[data-testid=drop-zone]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: drop, bubbles: true, cancelable: true }));
    }, bytes);
    await expect.poll(() => text('checkpoint-status')).toMatch(/^Loaded dropped\.safetensors/);
    expect(firstName(await sample('ma', 0, 40))).toBe(greedy);

    await page.getByTestId('inside-run').click();
    await expect.poll(() => page.locator('[data-testid=inside-gates] tbody tr').count()).toBe(4);   // LSTM gates i f g o
    expect(await page.locator('[data-testid=inside-chart] svg path').count()).toBe(1);
  }, 60_000);

  test('the gradient-flow lab plots the ratio the library computes', async () => {
    const cases = [
      { cell: 'rnn', bias: '', make: () => new RNN({ inputSize: D, hiddenSize: H, seed: 1 }) },
      { cell: 'lstm', bias: '3', make: () => new LSTM({ inputSize: D, hiddenSize: H, seed: 1, forgetBias: 3 }) },
    ];
    for (const c of cases) {
      await page.selectOption('#lab-cell', c.cell);
      await page.fill('#lab-T', '100');
      if (c.bias) await page.fill('#lab-bias', c.bias);   // (the field is disabled for cells without the gate)
      await page.getByTestId('flow-run').click();
      await expect.poll(() => text('flow-ratio')).toMatch(/^\d/);
      const shown = await number('flow-ratio'), exact = Number(await page.getByTestId('flow-ratio').getAttribute('data-value'));
      const layer = c.make();
      const { norms } = gradientFlow(layer, 100) as { norms: number[] };
      layer.dispose();
      const ratio = norms[0] / norms[99];
      console.log(`lab ${c.cell}${c.bias ? `, bias ${c.bias}` : ''}: page ${await text('flow-ratio')} (${exact}), Node ${ratio}`);
      expect(Math.abs(shown - ratio) / ratio).toBeLessThan(5e-3);   // shown with three significant digits
      expect(Math.abs(exact - ratio) / ratio).toBeLessThan(1e-4);   // the same float32 kernels: equal up to summation order
    }
    // both runs are on the chart, on a log axis
    expect(await page.locator('[data-testid=flow-chart] svg path').count()).toBe(2);
    expect(await page.locator('[data-testid=flow-chart] svg').textContent()).toContain('1e-');
    expect(await page.locator('[data-testid=flow-spectrum] tbody tr').count()).toBe(4);
  }, 60_000);

  test('the benchmark fills its table; the page works offline after load', async () => {
    await page.getByTestId('bench-run').click();
    await expect.poll(() => page.locator('[data-testid=bench-table] tbody tr').count(), { timeout: 60_000 }).toBe(7);
    await expect.poll(() => page.getByTestId('bench-run').isEnabled(), { timeout: 30_000 }).toBe(true);
    const medians = await page.locator('[data-testid=bench-table] tbody tr td:nth-child(2)').allTextContents();
    for (const m of medians) expect(m).toMatch(/^\d+(\.\d+)? (ms|µs)$/);

    await page.context().setOffline(true);
    await page.selectOption('#lab-cell', 'gru');
    await page.fill('#lab-bias', '');
    await page.getByTestId('flow-run').click();
    await expect.poll(() => page.locator('[data-testid=flow-chart] svg path').count()).toBe(3);
    expect((await sample('ma', 0.8, 30)).startsWith('ma')).toBe(true);
    await page.context().setOffline(false);
  }, 120_000);

  test('every section filled in: still no horizontal scrolling on a phone; full-page screenshots', () => sizes('all', true), 60_000);

  test('trains on pasted text; too little text is refused with a message; reset', async () => {
    await page.check('input[name=corpus][value=text]');
    await page.fill('#corpus-text', 'too short');
    await page.getByTestId('train-start').click();
    await expect.poll(() => text('train-message')).toMatch(/at least 200 characters/);
    const prose = readFileSync(join(root, 'README.md'), 'utf8').slice(0, 6000);
    await page.fill('#corpus-text', prose);
    await page.getByTestId('train-start').click();
    await expect.poll(() => number('step-value'), { timeout: 60_000 }).toBeGreaterThanOrEqual(5);
    expect(await text('model-info')).toMatch(/^pasted text: [\d,]+ characters/);
    const out = await sample('The ', 0.5, 60);
    expect(out.startsWith('The ')).toBe(true);
    expect(out.length).toBe(4 + 60);
    await page.getByTestId('train-reset').click();
    await expect.poll(() => text('step-value')).toBe('–');
    await expect.poll(() => page.getByTestId('checkpoint-download').isDisabled()).toBe(true);
    await page.check('input[name=corpus][value=names]');
  }, 90_000);

  test('no console error, page error or failed request in the whole visit', () => {
    expect(problems).toEqual([]);
  });
});

/** The first name of a names sample as `simd-rnn sample` prints it: up to the newline, or all of it and '…'. */
function firstName(out: string): string {
  return out.includes('\n') ? out.slice(0, out.indexOf('\n')) : `${out}…`;
}

/** A screenshot of the viewport (from the top, or with `at` at the top) or of the whole page. */
async function shoot(name: string, at: string | undefined, fullPage: boolean): Promise<void> {
  const { width, height } = page.viewportSize()!;
  await page.evaluate((selector) => (selector ? document.querySelector(selector)!.scrollIntoView() : window.scrollTo(0, 0)), at);
  await page.screenshot({ path: join(artifacts, `${name}-${width}x${height}${fullPage ? '-full' : ''}.png`), fullPage });
}
