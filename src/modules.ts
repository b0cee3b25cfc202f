/**
 * The module types and optimizers of the registry (registry.ts), one line each. The registry
 * calls `registerAll` the first time it is asked, not when a file loads: registering costs
 * nothing at start-up, no file has a side effect, and a bundle that never asks the registry
 * (one that uses only a layer) carries none of this.
 */
import { RnnError, describe } from './errors.js';
import { EchoStateNetwork } from './esn.js';
import { buildModule, registerModule, registerOptimizer, type Module } from './registry.js';
import { CEC, GRU, LSTM, RNN } from './rnn/layer.js';
import { Dropout } from './train/dropout.js';
import { Embedding } from './train/embedding.js';
import { Linear } from './train/linear.js';
import { Adam, AdamW, RMSprop, SGD } from './train/optim.js';
import { ScalarMix } from './train/scalar-mix.js';
import { Sequential, type Layer } from './train/sequential.js';

/** A Sequential from its config: each layer built from its own, all disposed if one fails. */
function buildSequential(options: Record<string, unknown>): Sequential {
  const configs = options.layers;
  if (!Array.isArray(configs) || configs.length === 0) throw new RnnError('BAD_ARGUMENT', `a Sequential needs a non-empty array "layers", got ${describe(configs)}`);
  const built: Module[] = [];
  try {
    configs.forEach((c, i) => built.push(buildModule(c, `layers[${i}]`)));
    return new Sequential(built as Layer[]);
  } catch (e) {
    for (const m of built) m.dispose();
    throw e;
  }
}

export function registerAll(): void {
  registerModule('RNN', { of: RNN, role: 'recurrent', build: (options) => new RNN(options as never) });
  registerModule('LSTM', { of: LSTM, role: 'recurrent', build: (options) => new LSTM(options as never) });
  registerModule('GRU', { of: GRU, role: 'recurrent', build: (options) => new GRU(options as never) });
  registerModule('CEC', { of: CEC, role: 'recurrent', build: (options) => new CEC(options as never) });
  registerModule('Linear', { of: Linear, role: 'tensor', build: (options) => new Linear(options as never) });
  registerModule('Dropout', { of: Dropout, role: 'tensor', build: (options) => new Dropout(options as never) });
  registerModule('Embedding', { of: Embedding, role: 'ids', build: (options) => new Embedding(options as never) });
  registerModule('Sequential', { of: Sequential, role: 'none', build: buildSequential });
  registerModule('ScalarMix', { of: ScalarMix, role: 'none', build: (options) => new ScalarMix(options as never) });
  registerModule('EchoStateNetwork', { of: EchoStateNetwork, role: 'none', build: (options) => new EchoStateNetwork(options as never) });
  registerOptimizer('SGD', SGD);
  registerOptimizer('Adam', Adam);
  registerOptimizer('AdamW', AdamW);
  registerOptimizer('RMSprop', RMSprop);
}
