// Command-line options shared by layers.bench.js and training.bench.js, and loading a second
// build of simd-rnn for A/B timing in the same run.
//
//   --against DIR   (or SIMD_RNN_AGAINST=DIR) DIR is another checkout of simd-rnn with its own
//                   built dist/ and wasm/ (npm run build there), for example the previous main.
//                   Its dist/node.js is imported beside ours: a separate module graph, so it
//                   has its own init(), its own wasm instance and its own memory.
//   --quick         (or BENCH_QUICK=1) fewer samples and shorter warm-up, for a first look.
//   --only TEXT     (layers.bench.js) time only the rows whose label contains TEXT (case
//                   insensitive, for example "LSTM T=128 B=1"); may be given more than once.
//   --peers LIST    (layers.bench.js) the peers to run, comma-separated from web, web2, node
//                   (default all of them), or none.
//   --threads N     (or BENCH_THREADS=N) also time ours on N threads (init({ threads: N })),
//                   in the same interleaved samples as ours on one thread (the same backend,
//                   the pool told to use one thread), and check the two give the same bits.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The options of a bench script's command line (and environment). */
export function benchOptions(argv = process.argv.slice(2), env = process.env) {
  let against = env.SIMD_RNN_AGAINST || null;
  let quick = env.BENCH_QUICK === '1';
  const only = [];
  let peers = null;
  let threads = Number(env.BENCH_THREADS ?? 1);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--against') {
      if (i + 1 >= argv.length) usage('--against needs a directory');
      against = argv[++i];
    } else if (a.startsWith('--against=')) against = a.slice('--against='.length);
    else if (a === '--quick') quick = true;
    else if (a === '--only' || a === '--peers') {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      if (a === '--only') only.push(argv[++i].toLowerCase());
      else peers = argv[++i] === 'none' ? [] : argv[i].split(',');
    } else if (a === '--threads') threads = Number(argv[++i]);
    else if (a.startsWith('--threads=')) threads = Number(a.slice('--threads='.length));
    else usage(`unknown argument ${a}`);
  }
  if (!Number.isInteger(threads) || threads < 1) usage('--threads needs a whole number >= 1');
  return { against: against ? resolve(against) : null, quick, only, peers, threads };
}

function usage(problem) {
  console.error(`${problem}\nusage: node --experimental-wasm-relaxed-simd bench/<name>.bench.js [--quick] [--against DIR] [--only TEXT] [--peers LIST] [--threads N]\n` +
    '  --against DIR  also time the build in DIR (another checkout of simd-rnn, built with npm run build)\n' +
    '  --quick        fewer samples and a shorter warm-up\n' +
    '  --only TEXT    (layers) only the rows whose label contains TEXT\n' +
    '  --peers LIST   (layers) peers to run: web,web2,node (default) or none\n' +
    '  --threads N    also time ours on N threads, beside ours on one');
  process.exit(2);
}

/**
 * Imports the build in `dir` and initialises it with the same SIMD mode as ours. Returns its
 * API (what dist/node.js exports), its backend and a label (describeCheckout).
 */
export async function loadBuild(dir, simd, ownDir) {
  if (resolve(dir) === resolve(ownDir)) {
    console.error(`--against ${dir} is this checkout: its modules (and wasm instance) would be ours; give another checkout`);
    process.exit(2);
  }
  const entry = resolve(dir, 'dist/node.js');
  for (const file of [entry, resolve(dir, `wasm/simd-rnn.${simd}.wasm`)]) {
    if (!existsSync(file)) {
      console.error(`--against ${dir}: ${file} is missing; run npm run build in that checkout first`);
      process.exit(2);
    }
  }
  const api = await import(pathToFileURL(entry).href);
  const backend = await api.init({ simd });
  return { api, backend, dir, label: describeCheckout(dir) };
}

/** A checkout's package version and, when it is a git checkout, its commit ("+changes" when not clean). */
export function describeCheckout(dir) {
  let version = '?', commit = 'not a git checkout';
  try { version = JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8')).version; } catch { /* not a package */ }
  try {
    const git = (...args) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    commit = git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--untracked-files=no') ? '+changes' : '');
  } catch { /* no git */ }
  return `simd-rnn ${version} at ${commit}`;
}

/**
 * The order of the contenders in sample s: the two builds swap places every sample (so
 * neither always runs right after the peer, or first), the peers follow.
 */
export function sampleOrder(s, builds, peers) {
  return [...(s % 2 ? [...builds].reverse() : builds), ...peers];
}

/**
 * The median over samples of this build's time / the other build's in the same sample (the
 * two run back to back, so load that changes between samples cancels out of each ratio).
 */
export function pairedRatio(ours, old) {
  const r = ours.map((v, i) => v / old[i]).sort((a, b) => a - b);
  return r[r.length >> 1];
}

/**
 * With --threads N: wraps a contender so each call first sets the pool to `n` threads (cheap:
 * a number the next kernel call reads), so one backend times 1 and N threads side by side.
 */
export function onThreads(backend, n, fn) {
  return () => {
    backend.pool.setThreads(n);
    return fn();
  };
}

/** One row of the threads table: 1 thread and N threads, medians' ratio and the paired one. */
export function threadsRow(one, many) {
  return { speedup: one.median / many.median, paired: 1 / pairedRatio(many.samples, one.samples) };
}
