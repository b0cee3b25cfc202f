/**
 * Helpers shared by the commands of the `simd-rnn` tool: starting the backend, reading and
 * writing files with messages a user can act on, building a model from a configuration, and
 * formatting numbers and durations.
 */
import { closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RnnError, init, loadCheckpoint, type Backend, type Model } from '../node.js';
import { buildModule } from '../registry.js';
import { CliFailure, UsageError, type OptionSpec } from './args.js';

/** The --simd option, shared by the commands that run models. */
export const SIMD_OPTION: OptionSpec = {
  name: 'simd', type: 'string', choices: ['auto', 'relaxed', 'baseline'], default: 'auto',
  help: 'which wasm build runs: relaxed SIMD where the runtime has it, or baseline (bit-identical everywhere)',
};

export function start(simd: unknown): Promise<Backend> {
  return init({ simd: (simd ?? 'auto') as 'auto' | 'relaxed' | 'baseline' });
}

/** A file's bytes, or a CliFailure naming the file and what went wrong. */
export function readBytes(file: string, what = 'file'): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CliFailure(`cannot read ${what} ${file}: ${fsReason(e)}`);
  }
}

export function readText(file: string, what = 'file'): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(readBytes(file, what));
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

/** The --force option of every command that writes files. */
export const FORCE_OPTION: OptionSpec = {
  name: 'force', type: 'flag',
  help: 'overwrite output files that exist (without it, a command refuses an existing path before doing any work)',
};

function overwriteRefused(file: string): UsageError {
  return new UsageError(`${file} exists; add --force to overwrite it`);
}

/**
 * Refuses (a UsageError, exit code 2) when one of the paths a command is about to write
 * exists and --force was not given. Commands call it before any work, so a refusal writes
 * nothing and costs nothing; a dangling symbolic link counts as existing (writing through it
 * would create its target).
 */
export function refuseOverwrite(files: string[], force: unknown): void {
  if (force) return;
  for (const file of files) if (lstatSync(file, { throwIfNoEntry: false })) throw overwriteRefused(file);
}

/**
 * Writes a file (and its directory) atomically: the bytes go to a temporary file in the same
 * directory, are flushed to the disk, and the temporary file then takes the file's name in one
 * step, so a kill or a crash at any moment leaves either the previous file whole or the new
 * one, never a part. With `force` it is renamed over the file; without, it is linked to the
 * name, which fails if the path appeared since refuseOverwrite checked it (not overwritten;
 * where the file system has no hard links, the path is checked again just before the rename).
 * A temporary file is left behind only by a process killed between its write and the rename.
 */
export function writeFile(file: string, data: string | Uint8Array, force: unknown): void {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(temporary, 'w');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    try {
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally { closeSync(fd); }
    if (force || !linkNew(temporary, file)) renameSync(temporary, file);
  } catch (e) {
    rmSync(temporary, { force: true });
    if ((e as { code?: string }).code === 'EEXIST') throw overwriteRefused(file);
    throw new CliFailure(`cannot write ${file}: ${fsReason(e)}`);
  }
}

/**
 * Gives `from` the new name `to` by a hard link (and unlinks `from`): EEXIST if `to` exists;
 * false where the file system has no hard links (FAT, some network drives), after checking
 * that `to` does not exist, for the caller to rename instead.
 */
function linkNew(from: string, to: string): boolean {
  try {
    linkSync(from, to);
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST' || lstatSync(to, { throwIfNoEntry: false })) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' });
    return false;
  }
  unlinkSync(from);
  return true;
}

function fsReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory', EISDIR: 'it is a directory', EACCES: 'permission denied',
    ENOTDIR: 'a part of the path is not a directory', EROFS: 'read-only file system', ENOSPC: 'no space left on the device',
  };
  return (code && reasons[code]) ?? (e instanceof Error ? e.message : String(e));
}

/** A checkpoint made by this tool, loaded; a file that is not one is a CliFailure. */
export function readCheckpoint(file: string): ReturnType<typeof loadCheckpoint> {
  const bytes = readBytes(file, 'checkpoint');
  try {
    return loadCheckpoint(bytes);
  } catch (e) {
    if (e instanceof RnnError && e.code === 'BAD_FILE') throw new CliFailure(`${file} is not a readable simd-rnn checkpoint: ${e.message}`);
    throw e;
  }
}

/**
 * A model built from a configuration as `model.config()` writes it, for example
 * { type: 'LSTM', inputSize: 5, hiddenSize: 7 } or { type: 'Sequential', layers: [...] }: any
 * registered module type. The constructors check the options; their RnnError becomes a
 * UsageError naming `where`.
 */
export function buildModel(config: unknown, where: string): Model {
  try {
    return buildModule(config, where);
  } catch (e) {
    if (e instanceof RnnError) throw new UsageError(e.message);
    throw e;
  }
}

/** Number of values in a shape. */
export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** 1234567 -> "1,234,567". */
export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A loss with three decimals, or three significant digits below 0.1 (an MSE of 0.000482). */
export function loss(v: number): string {
  return Math.abs(v) >= 0.1 || v === 0 || !Number.isFinite(v) ? v.toFixed(3) : v.toPrecision(3);
}

/** Seconds -> "1:05" or "1:02:03". */
export function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** Bytes -> "12.3 kB". */
export function bytes(n: number): string {
  return n < 1000 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(1)} MB`;
}
