import { execFileSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

// Debian's chromium (apt-get install -y chromium); no browser is ever downloaded.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// A fresh object per project: vitest names each instance in place, and a shared instance
// would be defined twice.
const browser = () => ({
  enabled: true,
  headless: true,
  provider: playwright({
    launchOptions: {
      executablePath: chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  }),
  instances: [{ browser: 'chromium' as const }],
  commands: {
    // The same smoke suite run by Node in the same test run, for the browser test to
    // compare digests with.
    nodeSmoke: (_ctx: unknown, simd: string) => {
      const out = execFileSync(process.execPath, ['test/smoke/run.mjs', 'dist/node.js', simd], { encoding: 'utf8' });
      return JSON.parse(out.trim().split('\n').pop()!);
    },
  },
});

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/browser/**'],
          // Node 20 runs the relaxed-SIMD build only behind this flag.
          execArgv: ['--experimental-wasm-relaxed-simd'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'chromium',
          include: ['test/browser/**/*.test.ts'],
          exclude: ['test/browser/isolated/**'],
          testTimeout: 60_000,
          browser: browser(),
        },
      },
      {
        // A cross-origin isolated page (the COOP / COEP headers on every response), where
        // SharedArrayBuffer and so threads are available.
        server: {
          headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
        },
        test: {
          name: 'chromium-isolated',
          include: ['test/browser/isolated/**/*.test.ts'],
          testTimeout: 60_000,
          browser: browser(),
        },
      },
    ],
  },
});
