#!/usr/bin/env python3
"""Independent check of models/cryptonets.onnx: evaluates the ONNX graph op by op with PyTorch
(Conv, Mul, Flatten, Gemm, as written by veil_onnx_save) on the MNIST test set and compares with a
NumPy transcription of the recipe in the weights file's header.

  tools/check_cryptonets_onnx.py [--weights ../shared/data/models/cryptonets_mnist_weights.txt] [--count N]
Needs python3-onnx, python3-torch, python3-numpy (Debian). Not used by the C build or tests."""
import argparse, gzip
import numpy as np, onnx, torch
from onnx import numpy_helper


def run_onnx(path, x):
    m = onnx.load(path)
    onnx.checker.check_model(m)
    init = {i.name: torch.tensor(numpy_helper.to_array(i)).double() for i in m.graph.initializer}
    vals = {m.graph.input[0].name: x}
    for n in m.graph.node:
        ins = [vals[i] if i in vals else init[i] for i in n.input]
        a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
        if n.op_type == 'Conv':
            p = a.get('pads', [0, 0, 0, 0])
            xi = torch.nn.functional.pad(ins[0], (p[1], p[3], p[0], p[2]))
            y = torch.nn.functional.conv2d(xi, ins[1], ins[2] if len(ins) > 2 else None, stride=a['strides'])
        elif n.op_type == 'Mul':
            y = ins[0] * ins[1]
        elif n.op_type == 'Flatten':
            y = ins[0].reshape(ins[0].shape[0], -1)
        elif n.op_type == 'Gemm':
            y = ins[0] @ (ins[1].T if a.get('transB', 0) else ins[1]) + ins[2]
        else:
            raise SystemExit('unexpected op ' + n.op_type)
        vals[n.output[0]] = y
    return vals[m.graph.output[0].name].numpy()


def recipe(weights, pix):
    lines = [l for l in open(weights) if not l.startswith('#')]
    w = {}
    for i in range(0, len(lines), 2):
        h = lines[i].split()
        w[h[0]] = np.array(lines[i + 1].split(), dtype=np.float64).reshape([int(d) for d in h[1:]])
    x = np.zeros((len(pix), 29, 29))
    x[:, :28, :28] = pix / 256.0
    conv = np.zeros((len(pix), 5, 13, 13))
    for oy in range(13):
        for ox in range(13):
            patch = x[:, 2 * oy:2 * oy + 5, 2 * ox:2 * ox + 5]
            conv[:, :, oy, ox] = np.einsum('nyx,myx->nm', patch, w['conv_w']) + w['conv_b']
    h = (conv ** 2).reshape(len(pix), -1) @ w['fc1_w'] + w['fc1_b']
    return (h ** 2) @ w['fc2_w'].T + w['fc2_b']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default='models/cryptonets.onnx')
    ap.add_argument('--weights', default='../shared/data/models/cryptonets_mnist_weights.txt')
    ap.add_argument('--count', type=int, default=10000)
    a = ap.parse_args()
    n = a.count
    pix = np.frombuffer(gzip.open('data/mnist/t10k-images-idx3-ubyte.gz').read()[16:16 + 784 * n],
                        dtype=np.uint8).reshape(n, 28, 28).astype(np.float64)
    lab = np.frombuffer(gzip.open('data/mnist/t10k-labels-idx1-ubyte.gz').read()[8:8 + n], dtype=np.uint8)
    got = run_onnx(a.model, torch.tensor(pix / 256.0).reshape(n, 1, 28, 28))
    ref = recipe(a.weights, pix)
    err = np.abs(got - ref).max() / (1 + np.abs(ref).max())
    acc = (got.argmax(1) == lab).sum()
    print(f'onnx vs recipe: max rel err {err:.2e}; accuracy {acc}/{n}')
    raise SystemExit(0 if err < 1e-5 else 1)


if __name__ == '__main__':
    main()
