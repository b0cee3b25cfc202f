#!/usr/bin/env node
/**
 * The `simd-rnn` command: train, sample, bench, inspect, convert. Each command is one module
 * with its option table (args.ts parses and writes --help from it).
 *
 * Exit codes: 0 done; 130 `train` stopped by Ctrl-C or SIGTERM (after saving what --resume needs); 1 the work failed (a missing or corrupt file, a model that does not fit,
 * an RnnError); 2 a usage error (unknown command or option, a bad or missing value). Errors are
 * one line on stderr, without a stack trace unless it is a bug (an error we did not expect).
 *
 * Node 20 runs WebAssembly relaxed SIMD only behind a V8 flag; it is switched on here (with
 * v8.setFlagsFromString, before any wasm is compiled), so `simd-rnn` runs the relaxed build
 * there too; --simd baseline still picks the baseline build.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { CliFailure, UsageError, helpText, parseArgs, type CommandSpec, type OptionValues } from './args.js';
import { escapeLine, escapeText } from './escape.js';

// Node 22 and later run relaxed SIMD by default (and a V8 without the flag would print an error);
// Deno and Bun report a Node version too but have their own engines and defaults.
const versions = process.versions as Record<string, string | undefined>;
if (Number(versions.node?.split('.')[0]) < 22 && !versions.deno && !versions.bun) {
  try { v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); } catch { /* the baseline build runs: fine */ }
}

/** A command's run returns its exit code, or nothing for 0. */
interface Command { spec: CommandSpec; run: (o: OptionValues, positionals: string[], given: Set<string>) => Promise<number | void> | number | void }

// each command's module is loaded only when it runs
const COMMANDS: Record<string, () => Promise<Command>> = {
  train: async () => { const m = await import('./train.js'); return { spec: m.TRAIN, run: (o, _, g) => m.train(o, g) }; },
  sample: async () => { const m = await import('./sample.js'); return { spec: m.SAMPLE, run: (o) => m.sample(o) }; },
  bench: async () => { const m = await import('./bench.js'); return { spec: m.BENCH, run: (o) => m.bench(o) }; },
  inspect: async () => { const m = await import('./inspect.js'); return { spec: m.INSPECT, run: (o, p) => m.inspect(o, p) }; },
  convert: async () => { const m = await import('./convert.js'); return { spec: m.CONVERT, run: (o) => m.convert(o) }; },
  export: async () => { const m = await import('./export.js'); return { spec: m.EXPORT, run: (o) => m.exportModel(o) }; },
};

const SUMMARIES: [string, string][] = [
  ['train', 'train a character model (first names, any text) or a synthetic task; saves a checkpoint and a loss chart'],
  ['sample', 'generate text from a trained checkpoint'],
  ['bench', 'time LSTM / GRU forward, streaming and training steps on this machine'],
  ['inspect', "show a checkpoint's configuration, parameters, optimizer and metadata"],
  ['convert', 'turn a PyTorch state_dict (safetensors) and a layer config, or an ONNX node, into a checkpoint'],
  ['export', "write a checkpoint's model as an ONNX file"],
];

function version(): string {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
}

function usage(): string {
  return [
    'Usage: simd-rnn <command> [options]',
    '',
    'Recurrent networks (RNN, LSTM, GRU) in WebAssembly SIMD, exact to PyTorch.',
    '',
    'Commands:',
    ...SUMMARIES.map(([n, s]) => `  ${n.padEnd(9)}${s}`),
    '',
    'Options:',
    '  -h, --help     this help (simd-rnn <command> --help for a command\'s options)',
    '  -v, --version  the version',
    '',
    'Start with: simd-rnn train   (two minutes; then simd-rnn sample --checkpoint simd-rnn-out/model.safetensors)',
  ].join('\n') + '\n';
}

/** The command running, for the prefix of error messages. */
let current = '';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') { console.log(version()); return 0; }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) throw new UsageError(name.startsWith('-') ? `unknown option ${name} (see simd-rnn --help)` : `unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
  const command = await load();
  current = name;
  const { options, positionals, help, given } = parseArgs(command.spec, rest);
  if (help) { process.stdout.write(helpText(command.spec)); return 0; }
  return (await command.run(options, positionals, given)) ?? 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, async (e: unknown) => {
  const { RnnError } = await import('../node.js');
  // a message may quote a file (a tensor, node or layer name): escaped, so it stays one line
  // and cannot drive the terminal
  const say = (message: string, escape = escapeLine) => process.stderr.write(`${message.startsWith('simd-rnn') ? '' : current ? `simd-rnn ${current}: ` : 'simd-rnn: '}${escape(message)}\n`);
  if (e instanceof UsageError) { say(e.message); process.exitCode = 2; return; }
  if (e instanceof CliFailure) say(e.message);
  else if (e instanceof RnnError) say(`${e.code}: ${e.message}`);
  else say(`unexpected error (a bug; please report it):\n${e instanceof Error ? e.stack : String(e)}`, escapeText);
  process.exitCode = 1;
});
