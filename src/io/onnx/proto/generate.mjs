// Regenerates onnx_pb.ts from onnx.proto with buf (the compiler, from the @bufbuild/buf npm
// package) and protoc-gen-es (the TypeScript generator of @bufbuild/protobuf), both dev
// dependencies: run `node src/io/onnx/proto/generate.mjs` after editing onnx.proto and commit
// both files. An argument writes to another folder instead (test/onnx-read.test.ts compares). The generated module embeds the schema and is read by @bufbuild/protobuf's
// `fromBinary`, which needs no eval or `new Function` (it runs on workerd too).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const out = process.argv[2] ?? here;
const template = {
  version: 'v2',
  plugins: [{ local: bin('protoc-gen-es'), out: '.', opt: ['target=ts', 'import_extension=js'] }],
};
execFileSync(bin('buf'), ['generate', '--template', JSON.stringify(template), '--output', out, here], {
  cwd: here, stdio: 'inherit',
});
