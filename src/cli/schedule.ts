/**
 * `simd-rnn train --schedule SPEC`: a learning-rate schedule from a compact text or JSON.
 *
 *   step:N[,GAMMA]         StepLR: the rate times GAMMA (default 0.1) every N updates
 *   exp:GAMMA              ExponentialLR: the rate times GAMMA after every update
 *   cosine[:TMAX[,MIN]]    CosineAnnealingLR down to MIN (default 0) over TMAX updates (default --steps)
 *   linear:N[,START]       LinearLR warm-up from START (default 1/3) times the rate to the rate over N updates
 *   onecycle[:MAXLR]       OneCycleLR over --steps updates, peaking at MAXLR (default: the --lr)
 *   plateau[:P[,FACTOR]]   ReduceLROnPlateau: the rate times FACTOR (default 0.1) after P (default 10)
 *                          validation losses (one every --eval-every updates) without improvement
 *   {"type": "StepLR", "stepSize": 1000, ...}   any schedule with its options by name
 *
 * The options are checked by the schedule's constructor when it is built; this file only
 * turns the text into { kind, options }.
 */
import { UsageError } from './args.js';

/** What the command line passes to the schedule's constructor. */
export interface ScheduleSpec { kind: string; options: Record<string, unknown> }

export const SCHEDULE_HELP = 'learning-rate schedule: step:N[,GAMMA], exp:GAMMA, cosine[:TMAX[,MIN]], linear:N[,START] (warm-up), onecycle[:MAXLR], plateau[:PATIENCE[,FACTOR]] (on the validation loss), or JSON {"type":"StepLR","stepSize":1000}';

const NAMES: Record<string, string> = {
  step: 'StepLR', exp: 'ExponentialLR', cosine: 'CosineAnnealingLR', linear: 'LinearLR', onecycle: 'OneCycleLR', plateau: 'ReduceLROnPlateau',
};

/** `steps`: --steps (undefined without it), `lr`: the optimizer's rate. */
export function parseSchedule(text: string, steps: number | undefined, lr: number): ScheduleSpec {
  const fail = (why: string): never => { throw new UsageError(`simd-rnn train: --schedule ${why}, got '${text}' (see simd-rnn train --help)`); };
  if (text.trimStart().startsWith('{')) {
    let o: unknown;
    try { o = JSON.parse(text); } catch { fail('is not valid JSON'); }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) fail('JSON must be an object');
    const { type, ...options } = o as Record<string, unknown>;
    if (typeof type !== 'string' || !Object.values(NAMES).includes(type)) fail(`JSON needs "type": one of ${Object.values(NAMES).join(', ')}`);
    return { kind: type as string, options };
  }
  const colon = text.indexOf(':'), name = colon < 0 ? text : text.slice(0, colon), rest = colon < 0 ? '' : text.slice(colon + 1);
  const kind = NAMES[name];
  if (kind === undefined) fail(`must start with one of ${Object.keys(NAMES).join(', ')} (or be JSON)`);
  const args = rest === '' ? [] : rest.split(',').map((a) => (a.trim() === '' ? NaN : Number(a)));
  if (args.some((a) => !Number.isFinite(a))) fail('takes numbers after the colon, separated by commas');
  const at = (i: number, max: number): number | undefined => { if (args.length > max) fail(`${name} takes at most ${max} numbers`); return args[i]; };
  const needSteps = (why: string): number => steps ?? fail(why);
  switch (name) {
    case 'step': return { kind, options: defined({ stepSize: at(0, 2) ?? fail('step needs N, as in step:1000'), gamma: at(1, 2) }) };
    case 'exp': return { kind, options: { gamma: at(0, 1) ?? fail('exp needs GAMMA, as in exp:0.999') } };
    case 'cosine': return { kind, options: defined({ TMax: at(0, 2) ?? needSteps('cosine needs TMAX or --steps'), etaMin: at(1, 2) }) };
    case 'linear': return { kind, options: defined({ totalIters: at(0, 2) ?? fail('linear needs N, as in linear:500'), startFactor: at(1, 2) }) };
    case 'onecycle': return { kind, options: { maxLr: at(0, 1) ?? lr, totalSteps: needSteps('onecycle needs --steps (its totalSteps)') } };
    default: return { kind, options: defined({ patience: at(0, 2), factor: at(1, 2) }) };
  }
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
