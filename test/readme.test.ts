// Every ```js block of the README that imports 'simd-rnn' runs as written (through the
// package's own export map), so the examples cannot rot.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)]
  .map((m) => m[1])
  .filter((code) => code.includes("from 'simd-rnn'"));

test('the README has runnable examples', () => {
  expect(blocks.length).toBeGreaterThan(0);
});

test.each(blocks.map((code, i) => [i, code]))('README example %i runs', async (i, code) => {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const file = join(root, '.tmp', `readme-${i}.mjs`);
  writeFileSync(file, code as string);
  const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root, encoding: 'utf8' });
  // Each console.log prints one line; where the README comments what it prints
  // (`console.log(x); // [5, 2, 16]`), the line must say that (spaces and quotes aside).
  const printed = stdout.trimEnd().split('\n');
  const logs = (code as string).split('\n').filter((line) => /^\s*(if \(.*\) )?console\.log\(/.test(line));
  const norm = (t: string) => t.replace(/[\s'"]/g, '');
  const simdLine = logs.findIndex((line) => line.includes('backend.simd'));
  logs.forEach((line, i) => {
    const comment = /\/\/ (.*)$/.exec(line)?.[1];
    if (!comment || i === simdLine) return;
    expect(norm(printed[i] ?? ''), line).toBe(norm(comment));
  });
  if (simdLine >= 0) expect(['relaxed', 'baseline']).toContain(printed[simdLine]);
});
