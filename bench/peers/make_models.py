"""Builds the models that bench/layers.bench.js runs in onnxruntime-web and in simd-rnn.

Run with Debian's python3 (python3-torch 1.13 and python3-onnx from apt), from the repo root:

    /usr/bin/python3 bench/peers/make_models.py

For each (mode, D, H) it builds a seeded one-layer torch.nn.LSTM / torch.nn.GRU, rounds its
weights to bfloat16 values (so they can be stored exactly in 2 bytes each) and writes to
bench/peers/models/:

  <mode>_d<D>_h<H>.bin        the state_dict, bfloat16, tensors one after another
  <mode>_d<D>_h<H>.json       its index: { mode, inputSize, hiddenSize, seed, dtype, file,
                              tensors: { name: { shape, offset (bytes) } } } (PyTorch names)
  <mode>_d<D>_h<H>.onnx       torch.onnx.export of the layer: x [T, B, D] -> output, h_n (, c_n)
  <mode>_d64_h128_step.onnx   the streaming variant: also takes h0 (and c0), for T = 1 runs

The weights are stored once. After export, the ONNX LSTM/GRU node's W, R, B initializers (ONNX
gate order) are replaced by the state_dict tensors themselves, kept as external data in the .bin,
and a few Cast / Reshape / Gather / Concat nodes that turn them into W, R, B; onnxruntime folds
those into constants when it creates the session, so they cost nothing per run.
"""
import json
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'models')
SIZES = [(64, 128), (128, 256), (256, 512)]
STEP_SIZE = (64, 128)
SEED = 20240
# ONNX gate order, as indices into PyTorch's: LSTM ONNX i o f c <- PyTorch i f g o;
# GRU ONNX z r h <- PyTorch r z n.
GATES = {'lstm': [0, 3, 1, 2], 'gru': [1, 0, 2]}
PARAMS = ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']


def build(mode, D, H, seed):
    torch.manual_seed(seed)
    layer = (torch.nn.LSTM if mode == 'lstm' else torch.nn.GRU)(D, H)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(p.bfloat16().float())
    return layer.eval()


def export(layer, mode, D, path, step):
    lstm = mode == 'lstm'
    states = ['h0', 'c0'] if lstm else ['h0']
    outputs = ['output', 'h_n', 'c_n'] if lstm else ['output', 'h_n']
    names = ['x'] + (states if step else [])
    args = (torch.zeros(3, 2, D),)
    if step:
        zero = torch.zeros(1, 2, layer.hidden_size)
        args = (args[0], (zero, zero) if lstm else zero)
    axes = {'x': {0: 'T', 1: 'B'}, 'output': {0: 'T', 1: 'B'}}
    axes.update({n: {1: 'B'} for n in outputs[1:] + (states if step else [])})
    torch.onnx.export(layer, args, path, input_names=names, output_names=outputs,
                      dynamic_axes=axes, opset_version=14)


def share_weights(path, mode, H, state, bin_name, offsets):
    """Replaces the W, R, B initializers of the exported graph by the state_dict in PyTorch
    layout (external data in bin_name) plus the nodes that reorder it."""
    model = onnx.load(path)
    g = model.graph
    rnn = next(n for n in g.node if n.op_type in ('LSTM', 'GRU'))
    idx = GATES[mode]
    G = len(idx)
    old = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    w_name, r_name, b_name = rnn.input[1:4]

    # What the nodes below compute, checked against torch's own export.
    def reorder(a):
        return a.reshape(G, H, -1)[idx].reshape(1, G * H, -1)
    w = {k: v.numpy() for k, v in state.items()}
    assert np.array_equal(reorder(w['weight_ih_l0']), old[w_name])
    assert np.array_equal(reorder(w['weight_hh_l0']), old[r_name])
    b = np.concatenate([reorder(w['bias_ih_l0']), reorder(w['bias_hh_l0'])], axis=1).reshape(1, -1)
    assert np.array_equal(b, old[b_name])

    keep = [t for t in g.initializer if t.name not in (w_name, r_name, b_name)]
    del g.initializer[:]
    g.initializer.extend(keep)
    for name in PARAMS:
        t = TensorProto(name=name, data_type=TensorProto.BFLOAT16, dims=list(state[name].shape))
        t.data_location = TensorProto.EXTERNAL
        for key, value in (('location', bin_name), ('offset', offsets[name]), ('length', state[name].numel() * 2)):
            t.external_data.add(key=key, value=str(value))
        g.initializer.append(t)
    g.initializer.extend([
        numpy_helper.from_array(np.array(idx, dtype=np.int64), 'gate_order'),
        numpy_helper.from_array(np.array([G, H, -1], dtype=np.int64), 'gate_blocks'),
        numpy_helper.from_array(np.array([1, G * H, -1], dtype=np.int64), 'onnx_weight_shape'),
        numpy_helper.from_array(np.array([1, -1], dtype=np.int64), 'onnx_bias_shape'),
    ])
    nodes = []

    def to_onnx(name, shape, out):
        nodes.extend([
            helper.make_node('Cast', [name], [name + '_f32'], to=TensorProto.FLOAT),
            helper.make_node('Reshape', [name + '_f32', 'gate_blocks'], [name + '_blocks']),
            helper.make_node('Gather', [name + '_blocks', 'gate_order'], [name + '_onnx_order'], axis=0),
            helper.make_node('Reshape', [name + '_onnx_order', shape], [out]),
        ])
    to_onnx('weight_ih_l0', 'onnx_weight_shape', w_name)
    to_onnx('weight_hh_l0', 'onnx_weight_shape', r_name)
    to_onnx('bias_ih_l0', 'onnx_bias_shape', 'b_ih_onnx')
    to_onnx('bias_hh_l0', 'onnx_bias_shape', 'b_hh_onnx')
    nodes.append(helper.make_node('Concat', ['b_ih_onnx', 'b_hh_onnx'], [b_name], axis=1))
    nodes += list(g.node)  # topological order: the new nodes first
    del g.node[:]
    g.node.extend(nodes)
    onnx.save(model, path)  # the .bin is referenced, not rewritten
    onnx.checker.check_model(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    for mode in ('lstm', 'gru'):
        for D, H in SIZES:
            base = f'{mode}_d{D}_h{H}'
            layer = build(mode, D, H, SEED)
            state = layer.state_dict()
            offsets, tensors, blob = {}, {}, bytearray()
            for name in PARAMS:
                offsets[name] = len(blob)
                tensors[name] = {'shape': list(state[name].shape), 'offset': len(blob)}
                blob += state[name].bfloat16().view(torch.int16).numpy().astype('<i2').tobytes()
            with open(os.path.join(OUT, base + '.bin'), 'wb') as f:
                f.write(blob)
            with open(os.path.join(OUT, base + '.json'), 'w') as f:
                json.dump({'mode': mode, 'inputSize': D, 'hiddenSize': H, 'seed': SEED,
                           'dtype': 'bfloat16', 'file': base + '.bin', 'tensors': tensors}, f, indent=1)
                f.write('\n')
            variants = [(base + '.onnx', False)]
            if (D, H) == STEP_SIZE:
                variants.append((base + '_step.onnx', True))
            for onnx_name, step in variants:
                path = os.path.join(OUT, onnx_name)
                export(layer, mode, D, path, step)
                share_weights(path, mode, H, state, base + '.bin', offsets)
                print(f'{onnx_name}: {os.path.getsize(path)} bytes + {base}.bin {len(blob)} bytes')


if __name__ == '__main__':
    main()
