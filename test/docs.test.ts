// The committed API reference (docs/api, written by `npm run docs`) must be what typedoc makes
// of the sources now. typedoc regenerates it into a temporary folder with warnings as errors
// (so an export without a doc comment, or a broken link, fails here too) and the two folders
// are compared file by file. typedoc runs as its own process, as `npm run docs` runs it; it
// takes 7-15 s on two busy cores, most of it building the TypeScript program.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const committed = join(root, 'docs', 'api');
const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
const HOW = 'run `npm run docs` and commit docs/api';

/** Paths of every file under dir, relative, with '/' separators, sorted. */
function files(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

/** The first line where two texts differ, for the failure message. */
function firstDifference(want: string, have: string): string {
  const a = want.split('\n'), b = have.split('\n');
  const i = a.findIndex((line, k) => line !== b[k]);
  const at = i < 0 ? a.length : i;
  return `line ${at + 1}: generated ${JSON.stringify(a[at] ?? '(end of file)')}, committed ${JSON.stringify(b[at] ?? '(end of file)')}`;
}

test('docs/api is what `npm run docs` generates from the sources now', async () => {
  const out = mkdtempSync(join(tmpdir(), 'simd-rnn-docs-'));
  try {
    try {
      await promisify(execFile)(process.execPath, [typedoc, '--out', out, '--treatWarningsAsErrors'], {
        cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' },
      });
    } catch (e) {
      const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
      throw new Error(`typedoc reported problems (an export without a doc comment? a broken link?); fix the doc comments in src/, then ${HOW}:\n${stdout}${stderr}`);
    }
    const generated = files(out), present = files(committed);
    const problems = [
      ...generated.filter((f) => !present.includes(f)).map((f) => `missing from docs/api: ${f}`),
      ...present.filter((f) => !generated.includes(f)).map((f) => `in docs/api but no longer generated: ${f}`),
      ...generated.filter((f) => present.includes(f)).flatMap((f) => {
        const want = readFileSync(join(out, f), 'utf8'), have = readFileSync(join(committed, f), 'utf8');
        return want === have ? [] : [`out of date: ${f} (${firstDifference(want, have)})`];
      }),
    ];
    expect(problems, `docs/api is stale: ${HOW}`).toEqual([]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
