// The playground's build: a static site in playground/dist with relative paths (base './'),
// so it works from any sub-folder of any static host. `simd-rnn` is imported by its package
// name and resolved as a bundler resolves any package: through package.json "exports" (here
// the package's own, by self-reference, with the "browser" condition -> dist/index.js),
// whose `new URL('../wasm/simd-rnn.*.wasm', import.meta.url)` Vite turns into hashed assets.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  // the workers are module workers (new Worker(url, { type: 'module' })), in the build as in dev
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { fs: { allow: ['..'] } },
});
