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
  // the outputs the README's comments promise
  for (const [, want] of (code as string).matchAll(/console\.log\([^)]*\);\s*\/\/ '([A-Z_]+)'/g)) expect(stdout).toContain(want);
});
