/**
 * The one error type every public entry throws. `code` is stable (match on it, not on the
 * message); the message names the argument, what was expected and what came.
 */
export type RnnErrorCode =
  | 'SHAPE_MISMATCH'
  | 'BAD_ARGUMENT'
  | 'NOT_FINITE'
  | 'OUT_OF_MEMORY'
  | 'DISPOSED'
  | 'NOT_INITIALIZED'
  | 'BAD_FILE'
  | 'UNSUPPORTED'
  | 'NO_TAPE';

/** Every code, for callers that want to enumerate them. */
export const RNN_ERROR_CODES: readonly RnnErrorCode[] = [
  'SHAPE_MISMATCH',
  'BAD_ARGUMENT',
  'NOT_FINITE',
  'OUT_OF_MEMORY',
  'DISPOSED',
  'NOT_INITIALIZED',
  'BAD_FILE',
  'UNSUPPORTED',
  'NO_TAPE',
];

/**
 * The error every rejected call throws: an `Error` whose `code` says what kind of failure it
 * is and whose message names the argument, what was expected and what came.
 */
export class RnnError extends Error {
  /** The kind of failure; stable across versions (match on it, not on the message). */
  readonly code: RnnErrorCode;
  constructor(code: RnnErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RnnError';
    this.code = code;
  }
}

/** A short, safe description of any value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length ?? value.byteLength}`;
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return typeof value;
}
