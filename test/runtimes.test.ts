// The smoke suite (test/smoke/smoke.js) in Node, Deno, Bun and workerd, each through the
// entry its export condition selects, compared digest for digest with Node's baseline run.
// Chromium runs it in test/browser/.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

interface SmokeResult { simd: string; digest: string; ok: boolean; errors: Record<string, number>; relaxedSupported: boolean; threads: number; split: number }

async function smoke(cmd: string, args: string[]): Promise<SmokeResult> {
  const { stdout } = await run(cmd, args, { cwd: root, encoding: 'utf8' });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

let node: SmokeResult;
beforeAll(async () => {
  node = await smoke(process.execPath, ['test/smoke/run.mjs', 'dist/node.js', 'baseline']);
  expect(node.ok).toBe(true);
});

describe.each([
  ['node', process.execPath, ['--experimental-wasm-relaxed-simd', 'test/smoke/run.mjs', 'dist/node.js']],
  ['deno', bin('deno'), ['run', '--allow-read', 'test/smoke/run.mjs', 'dist/deno.js']],
  ['bun', bin('bun'), ['test/smoke/run.mjs', 'dist/node.js']],
])('%s', (_name, cmd, args) => {
  test('baseline build: within tolerance and bit-identical to Node', async () => {
    const r = await smoke(cmd, [...args, 'baseline']);
    expect(r.simd).toBe('baseline');
    expect(r.ok, JSON.stringify(r.errors)).toBe(true);
    expect(r.digest).toBe(node.digest);
  });
  test('two threads: the baseline build bit-identical to one thread in Node, and the process exits', async () => {
    const r = await smoke(cmd, [...args, 'baseline', '2']);
    expect(r.threads).toBe(2);
    expect(r.split).toBeGreaterThan(0);
    expect(r.ok, JSON.stringify(r.errors)).toBe(true);
    expect(r.digest).toBe(node.digest);
  });
  test('init() picks relaxed SIMD and stays within tolerance', async () => {
    const r = await smoke(cmd, [...args, 'auto']);
    expect(r.relaxedSupported).toBe(true);
    expect(r.simd).toBe('relaxed');
    expect(r.ok, JSON.stringify(r.errors)).toBe(true);
  });
});

test('node without --experimental-wasm-relaxed-simd falls back to baseline', async () => {
  const r = await smoke(process.execPath, ['test/smoke/run.mjs', 'dist/node.js', 'auto']);
  expect(r.relaxedSupported).toBe(false);
  expect(r.simd).toBe('baseline');
  expect(r.digest).toBe(node.digest);
});

test('workerd: the workerd entry imports both builds as wasm modules', async () => {
  // workerd embeds files by paths relative to the config, so the config is written inside the
  // project (in a git-ignored folder).
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(root, '.tmp', 'workerd-'));
  const at = (...parts: string[]) => relative(dir, join(root, ...parts));
  try {
    const modules = [
      `(name = "test/smoke/workerd-worker.js", esModule = embed "${at('test/smoke/workerd-worker.js')}")`,
      `(name = "test/smoke/smoke.js", esModule = embed "${at('test/smoke/smoke.js')}")`,
      ...(readdirSync(join(root, 'dist'), { recursive: true }) as string[]).filter((f) => f.endsWith('.js'))
        .map((f) => `(name = "dist/${f}", esModule = embed "${at('dist', f)}")`),
      ...['baseline', 'relaxed'].map((b) =>
        `(name = "wasm/simd-rnn.${b}.wasm", wasm = embed "${at('wasm', `simd-rnn.${b}.wasm`)}")`),
    ].join(',\n      ');
    const worker = (simd: string) => `(
    modules = [
      ${modules}
    ],
    compatibilityDate = "2025-01-01",
    bindings = [ (name = "SIMD", text = "${simd}"), (name = "EXPECTED", text = "${node.digest}") ],
  )`;
    writeFileSync(join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "baseline", worker = .baseline), (name = "auto", worker = .auto) ],
);
const baseline :Workerd.Worker = ${worker('baseline')};
const auto :Workerd.Worker = ${worker('auto')};
`);
    const { stdout, stderr } = await run(bin('workerd'), ['test', join(dir, 'config.capnp')], { cwd: root, encoding: 'utf8' });
    const out = stdout + stderr;
    expect(out).toMatch(/\[ PASS \] baseline/);
    expect(out).toMatch(/\[ PASS \] auto/);
    expect(out).not.toMatch(/FAIL/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
