/** The cell registry: one line per cell family. */
import type { CellFamily } from '../cell.js';
import { cecCell } from './cec.js';
import { gruCell } from './gru.js';
import { lstmCell } from './lstm.js';
import { rnnCell } from './rnn.js';

export const CELLS = {
  RNN: rnnCell,
  LSTM: lstmCell,
  GRU: gruCell,
  CEC: cecCell,
} as const satisfies Record<string, CellFamily>;

/** The cell kinds: the registry's keys. */
export type CellKind = keyof typeof CELLS;
