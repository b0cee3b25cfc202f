/**
 * What `readOnnx` gives: an ONNX model as plain data. Every graph of the model is flattened:
 * `nodes` holds the nodes of the main graph and of every subgraph (the bodies of If, Loop and
 * Scan, nested to any depth), each tagged with the path of the graph it belongs to, and
 * `graphs` describes every graph by that path (its inputs, outputs and own initializers).
 * Path rules are on `OnnxGraph.path`; tensor conversion rules on `OnnxTensor`.
 */
import type { Tensor } from '../../tensor.js';

/**
 * The element type a tensor had in the file, by ONNX's names in lower case (`float32` is
 * ONNX's FLOAT, `float64` its DOUBLE). Every type becomes float32 data in the tensor.
 */
export type OnnxDataType =
  | 'float32' | 'float16' | 'bfloat16' | 'float64'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool';

/**
 * An initializer or tensor attribute: float32 data and shape (a `Tensor`, usable wherever one
 * is), plus the element type it had in the file. Integers are converted exactly up to 2^24 in
 * magnitude and rounded beyond; int64 and uint64 values beyond 2^53 - 1 in magnitude are first
 * clamped to +-(2^53 - 1) (so INT64_MAX, ONNX's "to the end" in Slice, stays a huge positive
 * number). bool is 0 or 1.
 */
export interface OnnxTensor extends Tensor {
  /** The element type in the file. */
  dtype: OnnxDataType;
}

/**
 * A decoded attribute value, by its ONNX attribute type: FLOAT and INT give a number (int64
 * clamped to +-(2^53 - 1)), STRING a string (UTF-8), TENSOR an `OnnxTensor`, FLOATS and INTS
 * a number array, STRINGS a string array, TENSORS an `OnnxTensor` array. GRAPH and GRAPHS
 * attributes are not values: their nodes are in `OnnxModel.nodes` under the subgraph's path.
 */
export type OnnxAttribute = number | string | number[] | string[] | OnnxTensor | OnnxTensor[];

/** One node (operator application) of any graph of the model. */
export interface OnnxNode {
  /** The node's name in the file (may be empty). */
  name: string;
  /** The operator, such as `'LSTM'`, `'If'`, `'Slice'`. */
  opType: string;
  /** The operator set domain: `''` for ONNX's default one (written `''` or `'ai.onnx'`). */
  domain: string;
  /** Input value names in order; `''` marks an omitted optional input. */
  inputs: string[];
  /** Output value names in order; `''` marks an omitted optional output. */
  outputs: string[];
  /**
   * Attributes by name, decoded by their type (see `OnnxAttribute`). Graph attributes are left
   * out: their graphs' nodes are in `OnnxModel.nodes`, under `graph` paths that start with
   * this node's graph path and label.
   */
  attributes: Record<string, OnnxAttribute>;
  /**
   * Names of attributes left out because they hold a type readOnnx does not decode
   * (SPARSE_TENSOR, TYPE_PROTO, their lists, or an unknown type); usually empty. An importer
   * that needs one of them should refuse the node.
   */
  skippedAttributes: string[];
  /** The path of the graph this node belongs to: `''` for the main graph. */
  graph: string;
}

/** One graph of the model: the main graph or a subgraph held by a node's attribute. */
export interface OnnxGraph {
  /**
   * This graph's path, its key in `OnnxModel.graphs` and the `graph` of its nodes. The main
   * graph is `''`; the graph held by attribute `attr` of a node in the graph at path `p` is
   * `` `${p}/${label}.${attr}` ``, where `label` is the node's name without leading slashes,
   * or `` `${opType}_${index}` `` (the node's index in its graph) when it has no name. So
   * PyTorch's If node `/decoder/If_1` gives `/decoder/If_1.then_branch`, and a Loop named
   * `loop` inside that branch `/decoder/If_1.then_branch/loop.body`. A GRAPHS (list)
   * attribute appends `[i]` (`/n.branches[0]`). Should two graphs come out with the same path
   * (nodes with equal names), the later ones get `#2`, `#3`, ... appended.
   */
  path: string;
  /** The graph's own name in the file (may be empty). */
  name: string;
  /** The path of the graph whose node holds this one; `null` for the main graph. */
  parent: string | null;
  /**
   * Input names in order. For the main graph, those that are not initializers (old files list
   * initializers as inputs too); for a subgraph all of them, since their positions matter
   * (a Loop body's iteration count, condition and carried values).
   */
  inputs: string[];
  /** Output names in order. */
  outputs: string[];
  /**
   * This graph's own initializers by name. In ONNX a name is visible in its graph and every
   * graph nested in it, so a node's input resolves by looking in its graph, then its parent,
   * up to the main graph (the nearest definition wins).
   */
  initializers: Record<string, OnnxTensor>;
}

/** An ONNX model as `readOnnx` decodes it (types and readOnnx come from `simd-rnn/onnx`). */
export interface OnnxModel {
  /** The version of ONNX's default operator set (domain `''` or `'ai.onnx'`) the model imports. */
  opset: number;
  /** Every imported operator set: version by domain (the default domain under `''`). */
  opsets: Record<string, number>;
  /** The ONNX IR version of the file. */
  irVersion: number;
  /** The tool that wrote the file (`producer_name`, e.g. `'pytorch'`); may be empty. */
  producer: string;
  /** The producer's version (`producer_version`); may be empty. */
  producerVersion: string;
  /** The main graph's input names that are not initializers, in order. */
  inputs: string[];
  /** The main graph's output names, in order. */
  outputs: string[];
  /** The main graph's initializers by name (the same object as `graphs[''].initializers`). */
  initializers: Record<string, OnnxTensor>;
  /**
   * The nodes of every graph: each graph's nodes in file order, with the nodes of a node's
   * subgraphs right after that node (depth first). `node.graph` says which graph.
   */
  nodes: OnnxNode[];
  /** Every graph by path (see `OnnxGraph.path`), the main graph under `''`. */
  graphs: Record<string, OnnxGraph>;
}
