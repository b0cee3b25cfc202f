/**
 * Builds the cells of cells.ts: each menu entry as constructor options of the library's
 * layers. gateBias sets the LSTM forget-gate bias (its `forgetBias` option) or the GRU
 * update-gate bias (by hand, as examples/gradient-flow opens it).
 */
import { CEC, GRU, LSTM, RNN, type RecurrentLayer } from 'simd-rnn';
import { cellById } from './cells.js';

/** Sizes and initialisation of a layer built from a menu entry. */
export interface CellSizes {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  seed: number;
  init?: 'pytorch' | 'xavier' | 'orthogonal' | 'identity';
  /** Forget-gate (LSTM) or update-gate (GRU) bias; ignored by cells without one. */
  gateBias?: number;
}

export function buildCell(id: string, { gateBias, ...o }: CellSizes): RecurrentLayer {
  const bias = cellById(id).gate && gateBias !== undefined ? gateBias : undefined;
  const forget = bias === undefined ? {} : { forgetBias: bias };
  switch (id) {
    case 'lstm': return new LSTM({ ...o, ...forget });
    case 'gru': return updateBias(new GRU(o), bias);
    case 'rnn': return new RNN(o);
    case 'rnn-relu': return new RNN({ ...o, nonlinearity: 'relu' });
    case 'lstm-peepholes': return new LSTM({ ...o, peepholes: true, ...forget });
    case 'lstm-coupled': return new LSTM({ ...o, coupled: true });
    case 'lstm-1997': return new LSTM({ ...o, forgetGate: false });
    case 'gru-cho': return updateBias(new GRU({ ...o, resetAfter: false }), bias);
    case 'mgu': return new GRU({ ...o, minimal: true });
    case 'cec': return new CEC(o);
    default: throw new Error(`unknown cell ${JSON.stringify(id)}`);
  }
}

/**
 * A GRU's update gate z biased to `bias` in every layer (bias_ih's z block; bias_hh's z block
 * 0): z near 1 keeps h, so the gradient is kept.
 */
function updateBias(layer: GRU, bias: number | undefined): GRU {
  if (bias === undefined) return layer;
  const H = layer.spec.hiddenSize, dict = layer.stateDict();
  for (const [name, t] of Object.entries(dict)) {
    if (name.startsWith('bias_ih')) t.data.fill(bias, H, 2 * H);
    else if (name.startsWith('bias_hh')) t.data.fill(0, H, 2 * H);
  }
  layer.loadStateDict(dict);
  return layer;
}
