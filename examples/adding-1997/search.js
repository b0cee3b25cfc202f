// The search behind the README's table: each candidate recipe trained within the paper's
// budget of 74,000 sequences (task.js), one at a time, from the seeds given (default 1).
// Prints one line per candidate and seed: the sequences at which at most 1 of the 2,560
// test sequences was wrong, or the wrong count at the budget.
//   node --experimental-wasm-relaxed-simd examples/adding-1997/search.js [--seeds 1,2,3] [--only name,...]
import { init } from 'simd-rnn';
import { BUDGET, TEST_SIZE, trainRecipe } from './task.js';

const lstm = (options) => ({ type: 'LSTM', hiddenSize: 32, ...options });
const adam = (lr) => ({ type: 'Adam', lr });
const recipe = (layer, lr, batch, clipGradNorm) => ({ layer, optimizer: adam(lr), batch, clipGradNorm, schedule: null });

export const CANDIDATES = {
  'pytorch-default': recipe(lstm({}), 1e-3, 32, 0),
  'forget-bias-3': recipe(lstm({ forgetBias: 3 }), 3e-3, 32, 1),
  'forget-bias-3-lr1e-2': recipe(lstm({ forgetBias: 3 }), 1e-2, 32, 1),
  'chrono-110': recipe(lstm({ init: 'chrono', chronoTMax: 110 }), 3e-3, 32, 1),
  'chrono-110-lr1e-2': recipe(lstm({ init: 'chrono', chronoTMax: 110 }), 1e-2, 32, 1),
  'chrono-110-b8': recipe(lstm({ init: 'chrono', chronoTMax: 110 }), 3e-3, 8, 1),
  'chrono-110-b16-lr1e-2': recipe(lstm({ init: 'chrono', chronoTMax: 110 }), 1e-2, 16, 1),
  'gru-chrono-110': recipe({ type: 'GRU', hiddenSize: 32, init: 'chrono', chronoTMax: 110 }, 3e-3, 32, 1),
  'chrono-110-peepholes': recipe(lstm({ init: 'chrono', chronoTMax: 110, peepholes: true }), 3e-3, 32, 1),
  'chrono-110-coupled': recipe(lstm({ init: 'chrono', chronoTMax: 110, coupled: true }), 3e-3, 32, 1),
  'pytorch-default-b16-lr1e-2': recipe(lstm({}), 1e-2, 16, 1),
  'forget-bias-3-b16-lr1e-2': recipe(lstm({ forgetBias: 3 }), 1e-2, 16, 1),
  'chrono-110-b16-lr1e-2-noclip': recipe(lstm({ init: 'chrono', chronoTMax: 110 }), 1e-2, 16, 0),
  'chrono-150-b16-lr1e-2': recipe(lstm({ init: 'chrono', chronoTMax: 150 }), 1e-2, 16, 1),
  'gru-chrono-110-b16-lr1e-2': recipe({ type: 'GRU', hiddenSize: 32, init: 'chrono', chronoTMax: 110 }, 1e-2, 16, 1),
  'chrono-110-b8-lr1e-2': recipe(lstm({ init: 'chrono', chronoTMax: 110 }), 1e-2, 8, 1),
  'gru-chrono-110-b8-lr1e-2': recipe({ type: 'GRU', hiddenSize: 32, init: 'chrono', chronoTMax: 110 }, 1e-2, 8, 1),
  'gru-default-b8-lr1e-2': recipe({ type: 'GRU', hiddenSize: 32 }, 1e-2, 8, 1),
  'gru-chrono-110-b4-lr1e-2': recipe({ type: 'GRU', hiddenSize: 32, init: 'chrono', chronoTMax: 110 }, 1e-2, 4, 1),
  'gru-chrono-110-b8-lr3e-2': recipe({ type: 'GRU', hiddenSize: 32, init: 'chrono', chronoTMax: 110 }, 3e-2, 8, 1),
  'chrono-110-b4-lr1e-2': recipe(lstm({ init: 'chrono', chronoTMax: 110 }), 1e-2, 4, 1),
  'chrono-110-b8-lr3e-2': recipe(lstm({ init: 'chrono', chronoTMax: 110 }), 3e-2, 8, 1),
  'gru-default-b8-lr3e-2': recipe({ type: 'GRU', hiddenSize: 32 }, 3e-2, 8, 1),
  'chrono-110-b8-lr3e-2-noclip': recipe(lstm({ init: 'chrono', chronoTMax: 110 }), 3e-2, 8, 0),
  'pytorch-default-b8-lr3e-2': recipe(lstm({}), 3e-2, 8, 1),
  'forget-bias-3-b8-lr3e-2': recipe(lstm({ forgetBias: 3 }), 3e-2, 8, 1),
  'forget-bias-5-orthogonal': recipe(lstm({ forgetBias: 5, init: 'orthogonal' }), 3e-3, 32, 1),
};

const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const seeds = (arg('--seeds') ?? '1').split(',').map(Number);
const only = arg('--only')?.split(',');

await init();
for (const [name, r] of Object.entries(CANDIDATES)) {
  if (only && !only.includes(name)) continue;
  for (const seed of seeds) {
    const t0 = performance.now();
    const res = trainRecipe(r, seed);
    const s = ((performance.now() - t0) / 1000).toFixed(0);
    const what = res.reachedAt !== null ? `reached at ${res.reachedAt} sequences` : `not within ${BUDGET} (${res.wrong} of ${TEST_SIZE} wrong at the end)`;
    console.log(`${name} seed ${seed}: ${what} [${s} s] ${JSON.stringify(r)}`);
  }
}
