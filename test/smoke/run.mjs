// Runs the smoke suite in whatever runtime executes this file and prints one JSON line.
//   node test/smoke/run.mjs dist/node.js baseline
//   deno run --allow-read test/smoke/run.mjs dist/index.js auto
//   bun test/smoke/run.mjs dist/node.js baseline
// The entry path is relative to the project root; simd is 'baseline', 'relaxed' or 'auto'.
import { runSmoke } from './smoke.js';

const args = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const [entry, simd] = args;
const api = await import(new URL(`../../${entry}`, import.meta.url).href);
const { init, runtimeSupport } = api;
const backend = await init({ simd });
const result = runSmoke(backend, api);
console.log(JSON.stringify({ ...result, relaxedSupported: runtimeSupport().relaxed }));
