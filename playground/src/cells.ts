/**
 * The recurrent cells the page offers: the three PyTorch cells and the classic variants the
 * library builds (their constructor options are in build-cell.ts, which only the workers
 * load, so the page's own script stays small). A checkpoint records the options through
 * `config()`, so `simd-rnn sample` rebuilds the same variant.
 */

/** One choice of the cell menus. */
export interface CellChoice {
  /** The value of the menu entry. */
  id: string;
  /** What the menu shows. */
  label: string;
  /** Which gate a "gate bias" sets: the forget gate (LSTM), the update gate (GRU), none. */
  gate?: 'forget' | 'update';
}

export const CELLS: CellChoice[] = [
  { id: 'lstm', label: 'LSTM', gate: 'forget' },
  { id: 'gru', label: 'GRU', gate: 'update' },
  { id: 'rnn', label: 'RNN (tanh)' },
  { id: 'rnn-relu', label: 'RNN (relu)' },
  { id: 'lstm-peepholes', label: 'LSTM with peepholes (2000)', gate: 'forget' },
  { id: 'lstm-coupled', label: 'LSTM, coupled gates (f = 1 - i)' },
  { id: 'lstm-1997', label: 'LSTM without forget gate (1997)' },
  { id: 'gru-cho', label: 'GRU, reset before (Cho 2014)', gate: 'update' },
  { id: 'mgu', label: 'Minimal gated unit' },
  { id: 'cec', label: 'CEC (bare carousel)' },
];

export function cellById(id: string): CellChoice {
  const c = CELLS.find((c) => c.id === id);
  if (!c) throw new Error(`unknown cell ${JSON.stringify(id)}`);
  return c;
}
