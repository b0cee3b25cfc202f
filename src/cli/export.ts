/**
 * `simd-rnn export`: a checkpoint's model as an ONNX file (exportOnnx from simd-rnn/onnx; the
 * protobuf code is loaded only for this command). A recurrent layer, or a Sequential of
 * Embedding / recurrent / Linear layers such as `simd-rnn train` writes.
 */
import { RnnError } from '../node.js';
import { CliFailure, UsageError, type CommandSpec, type OptionValues } from './args.js';
import { FORCE_OPTION, SIMD_OPTION, bytes, readCheckpoint, refuseOverwrite, start, writeFile } from './common.js';

export const EXPORT: CommandSpec = {
  name: 'export',
  summary: "Writes a checkpoint's model as an ONNX model that onnxruntime runs with the same results.",
  options: [
    { name: 'checkpoint', type: 'string', value: 'FILE', help: 'the checkpoint (simd-rnn train or convert, or saveCheckpoint) (required)' },
    { name: 'onnx', type: 'string', value: 'FILE', help: 'the .onnx file to write (required; an existing file only with --force)' },
    { name: 'opset', type: 'int', min: 14, value: 'N', default: 14, help: "ONNX's operator set, 14 to 22" },
    { name: 'no-states', type: 'flag', help: "a recurrent layer's graph without the h0 / c0 inputs (it starts from zeros)" },
    FORCE_OPTION,
    SIMD_OPTION,
  ],
  notes: ['Example:', '  simd-rnn export --checkpoint simd-rnn-out/model.safetensors --onnx names.onnx'],
};

export async function exportModel(o: OptionValues): Promise<void> {
  for (const need of ['checkpoint', 'onnx']) if (o[need] === undefined) throw new UsageError(`simd-rnn export: --${need} FILE is required (see simd-rnn export --help)`);
  refuseOverwrite([o.onnx as string], o.force);
  await start(o.simd);
  const file = o.checkpoint as string, { model } = readCheckpoint(file);
  const { exportOnnx } = await import('../onnx.js');
  let out: Uint8Array;
  try {
    out = exportOnnx(model as Parameters<typeof exportOnnx>[0], { opset: o.opset as number, initialStates: !o['no-states'] });
  } catch (e) {
    if (e instanceof RnnError) throw new CliFailure(`${file}: ${e.message}`);
    throw e;
  } finally {
    model.dispose();
  }
  writeFile(o.onnx as string, out, o.force);
  console.log(`wrote ${o.onnx as string} (${bytes(out.length)}, opset ${o.opset as number}) from ${file}`);
}
