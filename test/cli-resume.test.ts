// `simd-rnn train` runs that survive interruption, as a user meets them: a run stopped by
// SIGINT or SIGTERM exits 130 and prints `--resume <path>`; the resumed run's final checkpoint
// is byte for byte that of the same run made in one go (model, optimizer, record); a run killed
// with SIGKILL at random moments always leaves a resume file that loads, and a chain of such
// kills still ends byte for byte where the uninterrupted run does. Tiny models, a few seconds.
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkpointInfo, init, loadCheckpoint, saveCheckpoint } from '../src/node.js';
import { CliFailure, UsageError } from '../src/cli/args.js';
import { writeFile } from '../src/cli/common.js';

const root = resolve(import.meta.dirname, '..');
const main = join(root, 'dist', 'cli', 'main.js');
let dir = '';

interface Result { code: number; stdout: string; stderr: string }

function cli(...args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, [main, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Runs the command and sends `signal` `delay` ms after its stdout first matches `when` (`twice`: and again 2 ms later). */
function interrupt(args: string[], signal: NodeJS.Signals, when: RegExp, delay = 0, twice = false): Promise<Result & { signalled: boolean }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: dir });
    let stdout = '', stderr = '', signalled = false, matched = false;
    const send = () => {
      if (signalled || child.exitCode !== null) return;
      signalled = true;
      child.kill(signal);
      if (twice) setTimeout(() => child.kill(signal), 2);   // a second Ctrl-C while it saves
    };
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!matched && when.test(stdout)) { matched = true; setTimeout(send, delay); }
    });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code, killedBy) => done({ code: code ?? (killedBy === 'SIGKILL' ? 137 : -1), stdout, stderr, signalled }));
  });
}

const bytes = (file: string) => readFileSync(join(dir, file));
const resumeMeta = (file: string) => JSON.parse(checkpointInfo(bytes(file)).metadata.resume);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simd-rnn-resume-'));
  // a text small enough that an epoch is a few updates, so runs cross epochs
  writeFileSync(join(dir, 'fox.txt'), 'The quick brown fox jumps over the lazy dog; the lazy dog sleeps on. '.repeat(9));
  await init();
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/**
 * The same run three ways: in one go (A), stopped by `signal` after the resume file of step
 * `at` is written (B), and continued from B's printed --resume path into C. A and C's final
 * checkpoints must be the same bytes.
 */
async function roundTrip(name: string, flags: string[], steps: number, signal: NodeJS.Signals, at: number, twice = false) {
  const total = ['--steps', String(steps)];
  const a = await cli('train', ...flags, ...total, '--quiet', '--out', `${name}-A`);
  expect(a.code, a.stderr).toBe(0);

  const b = await interrupt(['train', ...flags, ...total, '--checkpoint-every', String(at), '--out', `${name}-B`], signal, new RegExp(`resumable checkpoint at step ${at}:`), 0, twice);
  expect(b.code, b.stderr).toBe(130);
  const stopped = Number(/interrupted \((SIG\w+)\) at step (\d+)/.exec(b.stdout)?.[2]);
  expect(b.stdout).toContain(`interrupted (${signal}) at step`);
  expect(stopped).toBeGreaterThanOrEqual(at);
  expect(stopped, 'the signal came before the run ended').toBeLessThan(steps);
  const path = /--resume (\S+)/.exec(b.stdout)?.[1];
  expect(path).toBe(join(`${name}-B`, 'resume.safetensors'));
  expect(existsSync(join(dir, `${name}-B`, 'model.safetensors'))).toBe(false);   // not finished: no final checkpoint
  expect(readFileSync(join(dir, `${name}-B`, 'loss.svg'), 'utf8')).toMatch(/interrupted at step \d+/);
  const saved = resumeMeta(path!);
  expect(saved.state.steps).toBe(stopped);
  // the resume file is a checkpoint like any other: it loads, with the optimizer at that step
  const loaded = loadCheckpoint(bytes(path!));
  expect(loaded.optimizer!.stateDict().step).toBe(stopped);

  const c = await cli('train', '--resume', path!, ...total, '--quiet', '--out', `${name}-C`);
  expect(c.code, c.stderr).toBe(0);
  expect(c.stdout).toContain(`trained ${steps - stopped} more (${steps} in all) steps`);
  expect(Buffer.compare(bytes(join(`${name}-C`, 'model.safetensors')), bytes(join(`${name}-A`, 'model.safetensors')))).toBe(0);
  return { saved, stopped };
}

describe('train: interrupted and resumed runs end byte for byte where an uninterrupted one does', () => {
  test('names, LSTM, truncated BPTT k2 > k1, --keep last, SIGINT in the middle of an epoch', async () => {
    const flags = ['--hidden', '16', '--embed', '8', '--batch', '8', '--seq', '16', '--k2', '40', '--eval-every', '7', '--seed', '3', '--keep', 'last'];
    const { saved, stopped } = await roundTrip('names', flags, 160, 'SIGINT', 3);
    // an epoch of names is over 400 updates here: stopped inside the first one, in the middle
    // of the rows, with the states at the chunk boundaries that the next updates read
    expect(saved.state.round.update).toBe(stopped);
    expect(saved.boundaries.length).toBe(3);   // k2 = 40 reaches back into 3 chunks of 16
    expect(saved.state.best).toBeUndefined();
  }, 120_000);

  test('text, GRU, --keep best, SIGTERM after epochs of a few updates', async () => {
    const flags = ['--text', 'fox.txt', '--cell', 'gru', '--hidden', '16', '--embed', '8', '--batch', '4', '--seq', '8', '--eval-every', '3', '--seed', '5'];
    const { saved, stopped } = await roundTrip('text', flags, 120, 'SIGTERM', 20);
    expect(saved.state.best.step).toBeGreaterThan(0);
    expect(saved.state.best.step % 3).toBe(0);
    expect(existsSync(join(dir, 'text-B', saved.state.best.file))).toBe(true);
    expect(stopped).toBeGreaterThan(17);   // past the first epoch (17 updates)
  }, 120_000);

  test('adding (a synthetic task), --keep best, SIGINT twice', async () => {
    const flags = ['--task', 'adding', '--hidden', '16', '--seq', '12', '--batch', '8', '--eval-every', '5', '--seed', '2', '--lr', '0.01'];
    const { saved } = await roundTrip('adding', flags, 150, 'SIGINT', 4, true);
    expect(saved.boundaries).toEqual([]);
  }, 120_000);
});

describe('train: a learning-rate schedule continues where it stopped', () => {
  test('names, --schedule cosine (stepped every update), SIGINT mid-run', async () => {
    const flags = ['--hidden', '16', '--embed', '8', '--batch', '8', '--seq', '16', '--eval-every', '10', '--seed', '4', '--keep', 'last', '--schedule', 'cosine:60,0.0001'];
    const { saved, stopped } = await roundTrip('cosine', flags, 60, 'SIGINT', 20);
    expect(saved.flags.schedule).toBe('cosine:60,0.0001');
    const info = checkpointInfo(bytes(join('cosine-B', 'resume.safetensors')));
    expect(info.schedule?.kind).toBe('CosineAnnealingLR');
    expect(info.schedule?.state.lastEpoch).toBe(stopped);
    // the resumed run, had it restarted the schedule, would end at another rate
    expect(checkpointInfo(bytes(join('cosine-C', 'model.safetensors'))).schedule?.state.lastEpoch).toBe(60);
  }, 120_000);

  test('text, GRU, --schedule plateau (stepped by validation losses), --keep best, SIGTERM', async () => {
    const flags = ['--text', 'fox.txt', '--cell', 'gru', '--hidden', '16', '--embed', '8', '--batch', '4', '--seq', '8', '--eval-every', '3', '--seed', '6', '--lr', '0.05', '--schedule', 'plateau:1,0.5'];
    const { saved } = await roundTrip('plateau', flags, 90, 'SIGTERM', 30);
    expect(saved.state.best.schedule.kind).toBe('ReduceLROnPlateau');
  }, 120_000);
});

describe('train: SIGKILL at any moment leaves a resume file that loads', () => {
  test('a chain of runs killed at random moments, each resumed from what the last one left, ends where one run does', async () => {
    const flags = ['--hidden', '16', '--embed', '8', '--batch', '8', '--seq', '16', '--k2', '24', '--eval-every', '3', '--seed', '9', '--steps', '150'];
    const a = await cli('train', ...flags, '--quiet', '--out', 'kill-A');
    expect(a.code, a.stderr).toBe(0);
    const resumeFile = join('kill-B', 'resume.safetensors');
    let kills = 0, lastStep = -1;
    for (let i = 0; i < 10 && !existsSync(join(dir, 'kill-B', 'model.safetensors')); i++) {
      const again = existsSync(join(dir, resumeFile)) ? ['--resume', resumeFile] : ['--force'];
      // killed at a random moment after its first resume file (writes are then under way)
      const r = await interrupt(['train', ...flags, ...again, '--checkpoint-every', '1', '--out', 'kill-B'], 'SIGKILL', /resumable checkpoint at step/, Math.floor(Math.random() * 400));
      if (r.code === 137) kills++;
      if (existsSync(join(dir, resumeFile))) {
        // whole, whatever the moment of the kill: it loads, and names a best file that exists
        const file = bytes(resumeFile), meta = resumeMeta(resumeFile);
        expect(() => loadCheckpoint(file)).not.toThrow();
        expect(existsSync(join(dir, 'kill-B', meta.state.best.file))).toBe(true);
        expect(meta.state.steps).toBeGreaterThanOrEqual(lastStep);
        lastStep = meta.state.steps;
      }
    }
    if (!existsSync(join(dir, 'kill-B', 'model.safetensors'))) {
      const last = await cli('train', ...flags, '--resume', resumeFile, '--quiet', '--out', 'kill-B');
      expect(last.code, last.stderr).toBe(0);
    }
    expect(kills, 'some runs were killed in the middle').toBeGreaterThan(1);
    expect(Buffer.compare(bytes(join('kill-B', 'model.safetensors')), bytes(join('kill-A', 'model.safetensors')))).toBe(0);
    // only the current best file is left beside the resume file (and at most the temporary
    // files of writes a kill cut short)
    const left = readdirSync(join(dir, 'kill-B')).filter((f) => f.startsWith('resume-best-'));
    expect(left).toEqual([resumeMeta(resumeFile).state.best.file]);
  }, 180_000);
});

describe('train --resume: what cannot be resumed is refused', () => {
  let path = '';
  beforeAll(async () => {
    const r = await cli('train', '--hidden', '8', '--embed', '4', '--batch', '4', '--seq', '8', '--seed', '1', '--steps', '4', '--checkpoint-every', '2', '--quiet', '--out', 'done');
    expect(r.code, r.stderr).toBe(0);
    path = join('done', 'resume.safetensors');
  }, 60_000);

  test.each([
    [['--steps', '3'], 2, /the run in done\/resume\.safetensors has made 4 updates already; --steps is the total, give at least 4/],
    [['--steps', '9', '--hidden', '16'], 2, /--hidden 16 differs from the run being resumed \(--hidden 8 in done\/resume\.safetensors\); a resumed run keeps its flags, leave --hidden out/],
    [['--steps', '9', '--task', 'adding'], 2, /--task adding differs from the run being resumed \(--task names/],
    [['--steps', '9', '--k2', '12'], 2, /--k2 12 differs from the run being resumed \(no --k2 in/],
  ])('train --resume done/resume.safetensors %j: exit %i', async (extra, code, message) => {
    const r = await cli('train', '--resume', path, ...extra, '--out', 'never');
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  test('a missing file, a corrupt one, and a checkpoint that is not resumable: exit 1, named', async () => {
    writeFileSync(join(dir, 'corrupt.safetensors'), 'this is not a checkpoint at all');
    const cases: [string, RegExp][] = [
      ['missing.safetensors', /cannot read resume checkpoint missing\.safetensors: no such file or directory/],
      ['corrupt.safetensors', /corrupt\.safetensors is not a readable simd-rnn checkpoint/],
      [join('done', 'model.safetensors'), /done\/model\.safetensors is a checkpoint but not a resumable one \(simd-rnn train writes resume\.safetensors on Ctrl-C and with --checkpoint-every\)/],
    ];
    for (const [file, message] of cases) {
      const r = await cli('train', '--resume', file, '--steps', '9', '--out', 'never');
      expect(r.code, file).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);

  test('a resume file without its best-step file, or with metadata it did not write: exit 1, named', async () => {
    mkdirSync(join(dir, 'lonely'));
    copyFileSync(join(dir, path), join(dir, 'lonely', 'resume.safetensors'));
    const lonely = await cli('train', '--resume', join('lonely', 'resume.safetensors'), '--steps', '9', '--out', 'never');
    expect(lonely.code).toBe(1);
    expect(lonely.stderr).toMatch(/lonely\/resume\.safetensors needs lonely\/resume-best-\d+\.safetensors \(the weights of its best step, --keep best\), which is missing/);

    const { model, optimizer, metadata } = loadCheckpoint(bytes(path));
    const edited = { ...JSON.parse(metadata.resume), boundaries: 'none' };
    writeFileSync(join(dir, 'done', 'edited.safetensors'), saveCheckpoint(model, optimizer, { ...metadata, resume: JSON.stringify(edited) }));
    const r = await cli('train', '--resume', join('done', 'edited.safetensors'), '--steps', '9', '--out', 'never');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/edited\.safetensors: its "resume" metadata does not describe a run this version can continue/);
    expect(r.stderr).not.toMatch(/a bug/);
  }, 60_000);

  test('a finished run with --checkpoint-every leaves its last step resumable: a larger --steps trains on, as one longer run would', async () => {
    const flags = ['--hidden', '8', '--embed', '4', '--batch', '4', '--seq', '8', '--seed', '1'];
    const longer = await cli('train', ...flags, '--steps', '7', '--quiet', '--out', 'longer');
    const more = await cli('train', '--resume', path, '--steps', '7', '--quiet', '--out', 'more');
    expect([longer.code, more.code]).toEqual([0, 0]);
    expect(more.stdout).toContain('trained 3 more (7 in all) steps');
    expect(Buffer.compare(bytes(join('more', 'model.safetensors')), bytes(join('longer', 'model.safetensors')))).toBe(0);
  }, 60_000);

  test('a run killed after its last resume file and before its final files: --resume with the same --steps writes them, as the run would have', async () => {
    // "done" finished: copy its resume file (written before the final files) into a fresh
    // directory, as a kill between the two would have left it
    mkdirSync(join(dir, 'cut'));
    copyFileSync(join(dir, path), join(dir, 'cut', 'resume.safetensors'));
    for (const f of readdirSync(join(dir, 'done'))) if (f.startsWith('resume-best-')) copyFileSync(join(dir, 'done', f), join(dir, 'cut', f));
    const r = await cli('train', '--resume', join('cut', 'resume.safetensors'), '--steps', '4', '--quiet', '--out', 'cut');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('trained no more steps (4 in all)');
    expect(Buffer.compare(bytes(join('cut', 'model.safetensors')), bytes(join('done', 'model.safetensors')))).toBe(0);
  }, 60_000);

  test('inspect: the training record holds no times (so the files of the two runs can be equal)', async () => {
    const r = await cli('inspect', join('done', 'model.safetensors'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^training {4}4 steps; weights of step \d+, validation loss/m);
    const training = JSON.parse(loadCheckpoint(bytes(join('done', 'model.safetensors'))).metadata.training);
    expect(JSON.stringify(training)).not.toMatch(/seconds/);
    expect(Object.keys(training.options)).not.toContain('checkpoint-every');
  });

  test('a fresh run refuses a resume file already in --out (without --force)', async () => {
    mkdirSync(join(dir, 'leftover'));
    copyFileSync(join(dir, path), join(dir, 'leftover', 'resume.safetensors'));
    const r = await cli('train', '--hidden', '8', '--steps', '1', '--out', 'leftover');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/leftover\/resume\.safetensors exists; add --force/);
  });
});

describe('writeFile: atomic, and no temporary file left', () => {
  test('replaces with force, refuses without, and a failed write leaves the target and no temporary file', () => {
    const at = (f: string) => join(dir, 'atomic', f), listing = () => readdirSync(join(dir, 'atomic')).sort();
    writeFile(at('a.txt'), 'first', false);
    expect(readFileSync(at('a.txt'), 'utf8')).toBe('first');
    expect(() => writeFile(at('a.txt'), 'second', false)).toThrow(UsageError);
    expect(readFileSync(at('a.txt'), 'utf8')).toBe('first');
    writeFile(at('a.txt'), new TextEncoder().encode('second'), true);
    expect(readFileSync(at('a.txt'), 'utf8')).toBe('second');
    mkdirSync(at('taken'));
    writeFileSync(at('taken/inside'), 'x');
    expect(() => writeFile(at('taken'), 'third', true)).toThrow(CliFailure);
    expect(listing()).toEqual(['a.txt', 'taken']);
  });
});
