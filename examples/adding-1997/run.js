// The adding problem of 1997 within the paper's budget (npm run example:adding-1997): trains
// recipe.json from seeds 1, 2 and 3 (each seed drives the weights, the training data and the
// held-out test set; task.js) and prints, per seed, the training sequences after which at
// most 1 of the 2,560 test sequences was wrong. Exits 1 when a seed does not get there
// within 74,000 sequences, so it doubles as a check.
import { readFileSync } from 'node:fs';
import { init } from 'simd-rnn';
import { BUDGET, MAX_WRONG, T, TEST_SIZE, TOLERANCE, trainRecipe } from './task.js';

const recipe = JSON.parse(readFileSync(new URL('./recipe.json', import.meta.url), 'utf8'));
await init();
console.log(`Adding problem, T = ${T} (lengths ${T} to ${T + T / 10}), recipe ${JSON.stringify(recipe)}`);
console.log(`Reached: at most ${MAX_WRONG} of ${TEST_SIZE} test sequences with |error| >= ${TOLERANCE}, tested every 1,000 training sequences; budget ${BUDGET.toLocaleString('en')} (Hochreiter & Schmidhuber 1997)`);
let failed = 0;
for (const seed of [1, 2, 3]) {
  const t0 = performance.now();
  const r = trainRecipe(recipe, seed);
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const when = r.reachedAt !== null ? `reached after ${r.reachedAt.toLocaleString('en')} training sequences` : `not reached within ${BUDGET.toLocaleString('en')}`;
  console.log(`seed ${seed}: ${when}; ${r.wrong} of ${TEST_SIZE} test sequences wrong (${seconds} s)`);
  if (r.reachedAt === null) failed++;
}
process.exit(failed ? 1 : 0);
