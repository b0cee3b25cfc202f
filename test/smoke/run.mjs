// Runs the smoke suite in whatever runtime executes this file and prints one JSON line.
//   node test/smoke/run.mjs dist/node.js baseline
//   deno run --allow-read test/smoke/run.mjs dist/deno.js auto
//   bun test/smoke/run.mjs dist/node.js baseline 2
// The entry path is relative to the project root; simd is 'baseline', 'relaxed' or 'auto';
// an optional thread count starts that many threads, cuts every call that can be cut and
// leaves each worker its own chunks (the pool's internal minWork = 0, takeOthers = false,
// adaptive = false), so the digest checks what the workers computed too; `split` counts the
// chunks they ran.
import { runSmoke } from './smoke.js';

const args = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const [entry, simd, threads] = args;
const api = await import(new URL(`../../${entry}`, import.meta.url).href);
const { init, runtimeSupport } = api;
const backend = await init({ simd, ...(threads ? { threads: Number(threads) } : {}) });
if (backend.pool) Object.assign(backend.pool, { minWork: 0, takeOthers: false, adaptive: false });
const result = runSmoke(backend, api);
console.log(JSON.stringify({ ...result, relaxedSupported: runtimeSupport().relaxed, threads: backend.threads, split: backend.pool?.workerChunks ?? 0 }));
