// The kernel table (src/kernels.ts) against what it describes: every assembly file's exported
// functions and their parameter names, each built module's exports, and one test file per
// assembly file.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { EXPORTED_FUNCTIONS, KERNELS, KERNEL_NAMES, kernelsIn, type KernelFile } from '../src/kernels.js';
import { BUILDS, loadBackend } from './helpers.js';

const FILES: KernelFile[] = ['gemm', 'panels', 'activation', 'vector', 'lstm', 'gru', 'rnn', 'optim'];

/** name -> parameter names of every `export function` in assembly/<file>.ts. */
function exportedFunctions(file: string): Map<string, string[]> {
  const source = readFileSync(new URL(`../assembly/${file}.ts`, import.meta.url), 'utf8');
  const found = new Map<string, string[]>();
  for (const m of source.matchAll(/^export function (\w+)\(([^)]*)\)/gm)) {
    // gemm.ts names some raw arguments ldc_, lda_ (the bare name holds the byte stride)
    found.set(m[1], m[2].split(',').map((p) => p.split(':')[0].trim().replace(/_$/, '')));
  }
  return found;
}

describe('kernel table', () => {
  for (const file of FILES) {
    test(`assembly/${file}.ts exports exactly its kernels and twins, with the table's arguments`, () => {
      const found = exportedFunctions(file);
      const want = kernelsIn(file).flatMap((name) => (KERNELS[name].scalar ? [name, `${name}__scalar`] : [name]));
      expect([...found.keys()].sort()).toEqual(want.sort());
      for (const name of kernelsIn(file)) {
        expect(found.get(name), name).toEqual(KERNELS[name].args);
        if (KERNELS[name].scalar) expect(found.get(`${name}__scalar`), `${name}__scalar`).toEqual(KERNELS[name].args);
      }
      expect(existsSync(new URL(`./${file}.test.ts`, import.meta.url)), `test/${file}.test.ts`).toBe(true);
    });
  }

  test('every kernel belongs to one of the files', () => {
    expect(FILES.flatMap(kernelsIn).sort()).toEqual([...KERNEL_NAMES].sort());
  });

  for (const build of BUILDS) {
    test(`the ${build} build exports the table's functions and nothing else but memory`, async () => {
      const b = await loadBackend(build);
      const exports = Object.keys(b.kernels).filter((k) => k !== 'memory');
      expect(exports.sort()).toEqual([...EXPORTED_FUNCTIONS].sort());
      for (const name of KERNEL_NAMES) {
        expect((b.kernels[name] as (...a: number[]) => unknown).length, name).toBe(KERNELS[name].args.length);
      }
    });
  }
});
