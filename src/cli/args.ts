/**
 * A small command-line parser for the `simd-rnn` tool (no dependency): each command declares
 * its options as a table, and the same table validates the values and writes the --help text.
 *
 *   --name value, --name=value      a value option (int, number, string or one of choices); given
 *                                   twice, the last one counts (`npm start -- --minutes 10`)
 *   --name                          a flag (boolean)
 *   -h, --help                      the command's help, wherever it appears before `--`
 *   --                              everything after it is positional
 *
 * Anything the user typed wrong throws UsageError (exit code 2); a failure while doing the
 * work throws CliFailure (exit code 1).
 */

/** A mistake in what was typed: unknown command or option, a bad or missing value. Exit code 2. */
export class UsageError extends Error {}

/** The command could not do its work (a missing or corrupt file, a model that does not fit). Exit code 1. */
export class CliFailure extends Error {}

export interface OptionSpec {
  name: string;
  /** 'flag' takes no value; 'list' may be repeated and collects strings. */
  type: 'int' | 'number' | 'string' | 'flag' | 'list';
  help: string;
  /** Placeholder in the help text, e.g. FILE or N. */
  value?: string;
  choices?: readonly string[];
  /** Smallest allowed value (int, number). */
  min?: number;
  /** The value must be greater than `min` rather than equal or greater. */
  exclusiveMin?: boolean;
  default?: string | number | boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments, in order: [name, help, required?]. */
  positionals?: [string, string, boolean][];
  options: OptionSpec[];
  /** Lines of extra help (examples, notes). */
  notes?: string[];
}

export type OptionValues = Record<string, string | number | boolean | string[] | undefined>;

export interface Parsed { options: OptionValues; positionals: string[]; help: boolean; given: Set<string> }

function convert(spec: OptionSpec, raw: string, cmd: string): string | number {
  const where = `${cmd}: --${spec.name}`;
  if (spec.choices && !spec.choices.includes(raw)) throw new UsageError(`${where} must be one of ${spec.choices.join(', ')}, got '${raw}'`);
  if (spec.type === 'int' || spec.type === 'number') {
    const v = raw.trim() === '' ? NaN : Number(raw);
    const kind = spec.type === 'int' ? 'an integer' : 'a number';
    if (!Number.isFinite(v) || (spec.type === 'int' && !Number.isSafeInteger(v))) throw new UsageError(`${where} must be ${kind}, got '${raw}'`);
    if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min)) {
      throw new UsageError(`${where} must be ${kind} ${spec.exclusiveMin ? '>' : '>='} ${spec.min}, got '${raw}'`);
    }
    return v;
  }
  return raw;
}

/** Parses argv (the words after the command name) against a command's options. */
export function parseArgs(spec: CommandSpec, argv: string[]): Parsed {
  const cmd = `simd-rnn ${spec.name}`;
  const options: OptionValues = {}, positionals: string[] = [], given = new Set<string>();
  for (const o of spec.options) options[o.name] = o.type === 'list' ? [] : o.default;
  const end = argv.indexOf('--');
  const help = (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
  if (help) return { options, positionals, help, given };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { positionals.push(arg); continue; }
    const eq = arg.indexOf('=');
    const name = arg.slice(arg.startsWith('--') ? 2 : 1, eq < 0 ? undefined : eq);
    const o = spec.options.find((s) => s.name === name);
    if (!o) throw new UsageError(`${cmd}: unknown option ${eq < 0 ? arg : arg.slice(0, eq)} (see ${cmd} --help)`);
    given.add(o.name);
    if (o.type === 'flag') {
      if (eq >= 0) throw new UsageError(`${cmd}: --${o.name} takes no value`);
      options[o.name] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (i + 1 < argv.length) raw = argv[++i];
    else throw new UsageError(`${cmd}: --${o.name} needs a value${o.value ? ` (${o.value})` : ''}`);
    if (o.type === 'list') (options[o.name] as string[]).push(raw);
    else options[o.name] = convert(o, raw, cmd);
  }
  const wanted = spec.positionals ?? [];
  const required = wanted.filter((p) => p[2]).length;
  if (positionals.length < required) throw new UsageError(`${cmd}: missing ${wanted[positionals.length][0]} (see ${cmd} --help)`);
  if (positionals.length > wanted.length) throw new UsageError(`${cmd}: unexpected argument '${positionals[wanted.length]}' (see ${cmd} --help)`);
  return { options, positionals, help, given };
}

const HELP_COLUMNS = 96;

/** Words of `text` in lines of at most `columns` characters (a longer word gets a line of its own). */
function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > columns) { lines.push(line); line = word; } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** The --help text of a command, from its table. */
export function helpText(spec: CommandSpec): string {
  const pos = (spec.positionals ?? []).map(([n, , req]) => (req ? n : `[${n}]`)).join(' ');
  const lines = [`Usage: simd-rnn ${spec.name}${pos ? ' ' + pos : ''} [options]`, '', spec.summary, ''];
  const rows: [string, string][] = (spec.positionals ?? []).map(([n, h]) => [n, h]);
  for (const o of spec.options) {
    const left = `--${o.name}${o.type === 'flag' ? '' : ' ' + (o.value ?? (o.choices ? o.choices.join('|') : 'X'))}`;
    const def = o.default !== undefined && o.type !== 'flag' ? ` (default ${o.default})` : '';
    rows.push([left, o.help + def]);
  }
  rows.push(['-h, --help', 'show this help']);
  const width = Math.min(30, Math.max(...rows.map(([l]) => l.length)) + 2), indent = ' '.repeat(width + 2);
  for (const [l, h] of rows) {
    const text = wrap(h, HELP_COLUMNS - width - 2).join('\n' + indent);
    lines.push(l.length >= width ? `  ${l}\n${indent}${text}` : `  ${l.padEnd(width)}${text}`);
  }
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return lines.join('\n') + '\n';
}
