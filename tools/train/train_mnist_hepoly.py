#!/usr/bin/env python3
"""Train an HE-friendly MNIST model (polynomial activations only) and export it to ONNX.

Topology (CryptoNets-like, batch-packing friendly, multiplicative depth 5 counting scalar mults):
  input 28x28 pixel/256, zero-padded bottom/right to 29x29
  Conv 5x5 stride 2, C maps -> C x 13 x 13          (scalar mult-adds: C*169*25)
  square                                            (C*169 ciphertext mults)
  Dense C*169 -> H                                  (C*169*H)
  square                                            (H)
  Dense H -> 10                                     (10*H)
During training each square is BatchNorm followed by a trainable per-channel quadratic
a*x^2 + b*x + c.  For export, BN is folded into the preceding conv/dense and the quadratic is
rewritten as a*(x + b/2a)^2 + (c - b^2/4a): the shift goes into the preceding bias, a and the
constant into the following layer, so the exported graph is Conv -> Mul(x,x) -> Flatten -> Gemm ->
Mul(x,x) -> Gemm: only plain squares, no extra multiplicative depth.

Runs on the CPU with Debian's python3-torch 1.13 and python3-onnx 1.12 (use /usr/bin/python3).
"""
import argparse
import gzip
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD = (0, 0, 1, 1)  # top, left, bottom, right (zero padding after scaling)
SCALE = 1.0 / 256.0


def read_idx(path):
    """Read an IDX file (gzip), return a numpy uint8 array with the stored shape."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise ValueError(f"{path}: not an IDX uint8 file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: size mismatch")
    return arr.reshape(dims)


def load_mnist(root):
    def p(name):
        return os.path.join(root, name)
    xtr = read_idx(p("train-images-idx3-ubyte.gz"))
    ytr = read_idx(p("train-labels-idx1-ubyte.gz"))
    xte = read_idx(p("t10k-images-idx3-ubyte.gz"))
    yte = read_idx(p("t10k-labels-idx1-ubyte.gz"))
    return xtr, ytr.astype(np.int64), xte, yte.astype(np.int64)


def preprocess(x_u8):
    """Exactly what veil does (models/mnist_hepoly.prep): pixel * 1/256, pad bottom/right by 1."""
    x = torch.from_numpy(x_u8.astype(np.float32) * np.float32(SCALE)).unsqueeze(1)
    top, left, bottom, right = PAD
    return F.pad(x, (left, right, top, bottom))


def random_shift(x, max_shift, gen):
    """Shift each 28x28 image (N,1,28,28 float) by an integer in [-max_shift, max_shift]^2, zero fill."""
    if max_shift <= 0:
        return x
    n, _, h, w = x.shape
    m = max_shift
    xp = F.pad(x, (m, m, m, m))
    dy = torch.randint(0, 2 * m + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * m + 1, (n,), generator=gen)
    rows = (dy.view(n, 1) + torch.arange(h).view(1, h))  # n,h
    cols = (dx.view(n, 1) + torch.arange(w).view(1, w))  # n,w
    idx_n = torch.arange(n).view(n, 1, 1)
    out = xp[idx_n, 0, rows.view(n, h, 1), cols.view(n, 1, w)]
    return out.unsqueeze(1)


class Quad(nn.Module):
    """Per-channel trainable a*x^2 + b*x + c (channels on dim 1)."""

    def __init__(self, ch, a0, b0):
        super().__init__()
        self.a = nn.Parameter(torch.full((ch,), a0))
        self.b = nn.Parameter(torch.full((ch,), b0))
        self.c = nn.Parameter(torch.zeros(ch))

    def forward(self, x):
        shape = (1, -1) + (1,) * (x.dim() - 2)
        a, b, c = self.a.view(shape), self.b.view(shape), self.c.view(shape)
        return a * x * x + b * x + c


class HePolyNet(nn.Module):
    def __init__(self, maps, hidden, dropout, a0, b0):
        super().__init__()
        self.conv = nn.Conv2d(1, maps, 5, stride=2, bias=False)
        self.bn1 = nn.BatchNorm2d(maps)
        self.act1 = Quad(maps, a0, b0)
        self.fc1 = nn.Linear(maps * 13 * 13, hidden, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden)
        self.act2 = Quad(hidden, a0, b0)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = self.act1(self.bn1(self.conv(x)))
        x = self.drop(torch.flatten(x, 1))
        x = self.act2(self.bn2(self.fc1(x)))
        return self.fc2(self.drop(x))


class ExportNet(nn.Module):
    """The folded inference graph: Conv -> square -> Flatten -> Gemm -> square -> Gemm."""

    def __init__(self, conv_w, conv_b, fc1_w, fc1_b, fc2_w, fc2_b):
        super().__init__()
        self.conv = nn.Conv2d(1, conv_w.shape[0], 5, stride=2)
        self.fc1 = nn.Linear(fc1_w.shape[1], fc1_w.shape[0])
        self.fc2 = nn.Linear(fc2_w.shape[1], fc2_w.shape[0])
        with torch.no_grad():
            for mod, w, b in ((self.conv, conv_w, conv_b), (self.fc1, fc1_w, fc1_b),
                              (self.fc2, fc2_w, fc2_b)):
                mod.weight.copy_(w)
                mod.bias.copy_(b)

    def forward(self, x):
        x = self.conv(x)
        x = x * x
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = x * x
        return self.fc2(x)


def bn_affine(bn):
    """BN at inference as y = s*x + t per channel (float64)."""
    s = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    t = bn.bias.double() - bn.running_mean.double() * s
    return s, t


def fold(model):
    """Fold BN and the quadratics into plain conv/dense layers separated by squares (float64 math)."""
    m = model
    hw = 13 * 13
    with torch.no_grad():
        # conv + bn1 -> z1 = Wc x + bc ; act1 = a1*(z1 + s1)^2 + k1
        s, t = bn_affine(m.bn1)
        wc = m.conv.weight.double() * s.view(-1, 1, 1, 1)
        a1, b1, c1 = m.act1.a.double(), m.act1.b.double(), m.act1.c.double()
        sh1 = b1 / (2 * a1)
        k1 = c1 - b1 * b1 / (4 * a1)
        bc = t + sh1
        # fc1 acts on flattened (C,13,13): per-input-feature scale a1[ch], constant k1[ch]
        a1f = a1.repeat_interleave(hw)
        k1f = k1.repeat_interleave(hw)
        w1 = m.fc1.weight.double()
        s2, t2 = bn_affine(m.bn2)
        a2, b2, c2 = m.act2.a.double(), m.act2.b.double(), m.act2.c.double()
        w1f = (w1 * a1f.view(1, -1)) * s2.view(-1, 1)
        b1f = (w1 @ k1f) * s2 + t2 + b2 / (2 * a2)
        k2 = c2 - b2 * b2 / (4 * a2)
        w2 = m.fc2.weight.double()
        w2f = w2 * a2.view(1, -1)
        b2f = m.fc2.bias.double() + w2 @ k2
    return [v.float() for v in (wc, bc, w1f, b1f, w2f, b2f)], [v.double() for v in (wc, bc, w1f, b1f, w2f, b2f)]


def evaluate(model, x, y, batch=2000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / x.shape[0]


def numpy_forward(params, x):
    """Independent float64 numpy forward pass of the exported graph (weights read from the ONNX)."""
    wc, bc, w1, b1, w2, b2 = params
    n = x.shape[0]
    cout = wc.shape[0]
    out = np.empty((n, cout, 13, 13))
    for i in range(13):
        for j in range(13):
            patch = x[:, 0, 2 * i:2 * i + 5, 2 * j:2 * j + 5].reshape(n, 25)
            out[:, :, i, j] = patch @ wc.reshape(cout, 25).T + bc
    h = (out * out).reshape(n, -1) @ w1.T + b1
    logits = (h * h) @ w2.T + b2
    ranges = {"conv": np.abs(out).max(), "square1": (out * out).max(), "dense1": np.abs(h).max(),
              "square2": (h * h).max(), "logits": np.abs(logits).max()}
    return logits, ranges


def onnx_params(path):
    """Load the ONNX file, check it, and return its weights in graph order plus the op list."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inits = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    ops = [node.op_type for node in model.graph.node]
    weights = []
    for node in model.graph.node:
        if node.op_type == "Conv":
            weights += [inits[node.input[1]], inits[node.input[2]]]
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            assert list(attrs.get("strides", [1, 1])) == [2, 2], attrs
            assert list(attrs.get("pads", [0, 0, 0, 0])) == [0, 0, 0, 0], attrs
        elif node.op_type == "Gemm":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            w = inits[node.input[1]]
            if attrs.get("transB", 0) == 0:
                w = w.T
            weights += [w * attrs.get("alpha", 1.0), inits[node.input[2]] * attrs.get("beta", 1.0)]
    return weights, ops


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.normpath(os.path.join(repo, "..", "..", "shared", "data", "mnist")),
                    help="folder with the four MNIST IDX .gz files")
    ap.add_argument("--out", default=os.path.join(repo, "models", "mnist_hepoly.onnx"))
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--maps", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--shift", type=int, default=2, help="max random shift in pixels (augmentation)")
    ap.add_argument("--a0", type=float, default=0.25)
    ap.add_argument("--b0", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if not os.path.isdir(args.data) and os.path.isdir("/work/shared/data/mnist"):
        args.data = "/work/shared/data/mnist"

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    xtr_u8, ytr, xte_u8, yte = load_mnist(args.data)
    xtr28 = torch.from_numpy(xtr_u8.astype(np.float32) * np.float32(SCALE)).unsqueeze(1)
    ytr_t = torch.from_numpy(ytr)
    xte = preprocess(xte_u8)
    yte_t = torch.from_numpy(yte)

    model = HePolyNet(args.maps, args.hidden, args.dropout, args.a0, args.b0)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wd)
    steps_per_epoch = math.ceil(xtr28.shape[0] / args.batch)
    total = steps_per_epoch * args.epochs
    warm = steps_per_epoch // 2
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / (total - warm))))

    t0 = time.time()
    top, left, bottom, right = PAD
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(xtr28.shape[0], generator=gen)
        loss_sum = 0.0
        for i in range(0, perm.shape[0], args.batch):
            idx = perm[i:i + args.batch]
            xb = random_shift(xtr28[idx], args.shift, gen)
            xb = F.pad(xb, (left, right, top, bottom))
            loss = F.cross_entropy(model(xb), ytr_t[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * idx.shape[0]
        acc = evaluate(model, xte, yte_t)
        print(f"epoch {epoch + 1}/{args.epochs} loss {loss_sum / xtr28.shape[0]:.4f} "
              f"test {acc * 100:.2f}% ({time.time() - t0:.0f}s)", flush=True)
    train_s = time.time() - t0

    acc_train_graph = evaluate(model, xte, yte_t)
    folded32, folded64 = fold(model)
    exp = ExportNet(*folded32).eval()
    acc = evaluate(exp, xte, yte_t)
    with torch.no_grad():
        d = (exp(xte) - model(xte)).abs().max().item()
    print(f"folded graph: test accuracy {acc * 100:.2f}% (training graph {acc_train_graph * 100:.2f}%), "
          f"max |logit diff| vs training graph {d:.2e}")
    shifts = [folded64[1].abs().max().item(), folded64[3].abs().max().item()]
    print(f"max |bias| after folding: conv {shifts[0]:.3f}, fc1 {shifts[1]:.3f}")

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.onnx.export(exp, torch.zeros(1, 1, 29, 29), args.out, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})

    # verify the file: onnx.checker, then an independent numpy float64 forward from its weights
    weights, ops = onnx_params(args.out)
    print("onnx ops:", " ".join(ops))
    allowed = {"Conv", "Gemm", "MatMul", "Add", "Mul", "Pow", "Flatten", "Reshape", "AveragePool",
               "BatchNormalization", "Pad", "Identity"}
    bad = [o for o in ops if o not in allowed]
    if bad:
        sys.exit(f"exported graph has ops veil does not import: {bad}")
    x64 = xte.numpy().astype(np.float64)
    logits_np, ranges = numpy_forward(weights, x64)
    with torch.no_grad():
        logits_t = exp(xte).numpy().astype(np.float64)
    diff = np.abs(logits_np - logits_t).max()
    acc_np = (logits_np.argmax(1) == yte).mean()
    print(f"ONNX check ok; numpy float64 forward of the ONNX weights: accuracy {acc_np * 100:.2f}%, "
          f"max |diff| vs torch {diff:.2e} (max |logit| {np.abs(logits_t).max():.1f})")
    if diff > 1e-4 * max(1.0, np.abs(logits_t).max() / 100):
        sys.exit("export mismatch")

    print("max |value| on the test set (for CKKS scale planning): " +
          ", ".join(f"{k} {v:.2f}" for k, v in ranges.items()))
    prep = os.path.splitext(args.out)[0] + ".prep"
    with open(prep, "w") as f:
        f.write("# preprocessing for " + os.path.basename(args.out) +
                " (written by tools/train/train_mnist_hepoly.py)\n"
                "# x = pixel * scale, then zero padding top left bottom right -> 1x29x29\n"
                "scale 1/256\npad 0 0 1 1\ndataset mnist\n")
    c, h = args.maps, args.hidden
    conv_ma, fc1_ma, fc2_ma = c * 169 * 25, c * 169 * h, h * 10
    print(f"cost: scalar mult-adds conv {conv_ma} + dense {fc1_ma} + dense {fc2_ma} = "
          f"{conv_ma + fc1_ma + fc2_ma}; ciphertext squares {c * 169} + {h} = {c * 169 + h}; depth 5")
    print(f"training time {train_s:.0f}s; test accuracy {acc * 100:.2f}% ({int(round(acc * 10000))}/10000)")
    print("command: /usr/bin/python3 " + " ".join([os.path.relpath(sys.argv[0], repo)] + sys.argv[1:]))
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes) and {prep}")


if __name__ == "__main__":
    main()
