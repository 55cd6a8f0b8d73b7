#!/usr/bin/python3
"""Generates the ONNX conformance vectors in tests/onnx/data/ (read by tests/onnx/test_onnx_conformance.c).

For each case: a small torch.nn.Module exported with torch.onnx.export (default settings unless an opset
is named), a random input <case>.in.npy and PyTorch's output <case>.out.npy. A few models that veil
must refuse are written too, with the op type and message substring the error must contain.
manifest.txt lists one case per line:  <case> ok   |   <case> error <OpType> <substring...>

Run with Debian's python3-torch 1.13 and python3-onnx:  /usr/bin/python3 tools/gen_onnx_tests.py
Outputs are deterministic for a given torch build (fixed seeds).
"""
import io
import os
import sys

import numpy as np
import onnx
import onnx.helper as oh
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "onnx", "data")


class Lambda(nn.Module):
    def __init__(self, fn, **params):
        super().__init__()
        self.fn = fn
        for k, v in params.items():
            setattr(self, k, nn.Parameter(v, requires_grad=False))

    def forward(self, x):
        return self.fn(self, x)


def bn(c):
    m = nn.BatchNorm2d(c)
    m.running_mean.uniform_(-0.5, 0.5)
    m.running_var.uniform_(0.5, 2.0)
    m.weight.data.uniform_(0.5, 1.5)
    m.bias.data.uniform_(-0.5, 0.5)
    return m


class TwoConvAdd(nn.Module):
    def __init__(self, op):
        super().__init__()
        self.a, self.b, self.op = nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(3, 4, 1), op

    def forward(self, x):
        return self.op(self.a(x), self.b(x))


class SmallCNN(nn.Module):
    """A never-seen composite: conv-BN-ReLU-maxpool twice, flatten by view, dense, softmax."""

    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(3, 6, 3, padding=1), bn(6)
        self.c2, self.b2 = nn.Conv2d(6, 8, 3, padding=1, bias=False), bn(8)
        self.fc1, self.fc2 = nn.Linear(8 * 2 * 2, 16), nn.Linear(16, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        x = x.view(x.size(0), -1)
        return F.softmax(self.fc2(F.relu6(self.fc1(x))), dim=1)


class ResBlockA(nn.Module):
    """A never-seen composite: CIFAR ResNet basic block with a stride-2 option-A shortcut, then GAP."""

    def __init__(self, cin=4, cout=8):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, 2, 1, bias=False), bn(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), bn(cout)
        self.p = (cout - cin) // 2
        self.fc = nn.Linear(cout, 3)

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        s = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.p, self.p), "constant", 0)
        y = F.relu(y + s)
        return self.fc(F.adaptive_avg_pool2d(y, 1).flatten(1))


def r(*shape):
    return torch.randn(*shape)


torch.manual_seed(0)  # the module parameters below are drawn at import, in a fixed order
IMG = (2, 3, 8, 8)
PRESERVE = {"training": torch.onnx.TrainingMode.PRESERVE}  # keeps BatchNormalization (eval mode) unfused
# name: (module, input shape, opset or None for torch's default, or a dict of torch.onnx.export options)
CASES = {
    "conv": (nn.Conv2d(3, 4, 3, padding=1), IMG, None),
    "conv_stride_pad_groups": (nn.Conv2d(4, 6, 3, stride=2, padding=(1, 2), groups=2), (2, 4, 9, 9), 11),
    "conv_dilation_nobias": (nn.Conv2d(3, 4, 3, dilation=2, bias=False), IMG, 9),
    "gemm": (nn.Linear(12, 5), (2, 12), None),
    "gemm_alpha_beta": (Lambda(lambda m, x: torch.addmm(m.b, x, m.w, beta=0.5, alpha=2.0), w=r(12, 5), b=r(5)),
                        (2, 12), 13),
    "matmul_add": (Lambda(lambda m, x: torch.matmul(x, m.w) + m.b, w=r(12, 7), b=r(7)), (3, 12), None),
    "batchnorm": (bn(3), IMG, None),
    "batchnorm_opset9": (bn(3), IMG, 9),
    "affine_scalar": (Lambda(lambda m, x: ((x * 2.5 + 1.0) - 0.5) / 4.0), IMG, None),
    "affine_rsub": (Lambda(lambda m, x: 3.0 - x), IMG, None),
    "affine_channel": (Lambda(lambda m, x: x * m.s + m.t, s=r(1, 3, 1, 1), t=r(3, 1, 1)), IMG, None),
    "affine_elementwise": (Lambda(lambda m, x: x * m.s - m.t, s=r(3, 8, 8), t=r(1, 3, 8, 8)), IMG, 17),
    "add_tensors": (TwoConvAdd(lambda a, b: a + b), IMG, None),
    "sub_tensors": (TwoConvAdd(lambda a, b: a - b), IMG, None),
    "mul_tensors": (TwoConvAdd(lambda a, b: a * b), IMG, None),
    "square_mul": (Lambda(lambda m, x: x * x), IMG, None),
    "square_pow": (Lambda(lambda m, x: torch.pow(x, 2)), IMG, None),
    "relu": (nn.ReLU(), IMG, None),
    "relu6_opset9": (nn.ReLU6(), IMG, 9),
    "relu6_opset11": (nn.ReLU6(), IMG, 11),
    "clamp": (Lambda(lambda m, x: torch.clamp(x, -0.5, 0.75)), IMG, 17),
    "avgpool": (nn.AvgPool2d(2), IMG, None),
    "avgpool_pad_exclude": (nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), IMG, None),
    "avgpool_pad_include": (nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=True), IMG, 9),
    "globalavgpool": (nn.AdaptiveAvgPool2d(1), IMG, None),
    "reducemean": (Lambda(lambda m, x: x.mean([2, 3])), IMG, None),
    "reducemean_keep": (Lambda(lambda m, x: x.mean([2, 3], keepdim=True)), IMG, 11),
    "maxpool": (nn.MaxPool2d(2), IMG, None),
    "maxpool_pad_stride": (nn.MaxPool2d(3, stride=2, padding=1), IMG, 9),
    "flatten_dense": (nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 4)), IMG, None),
    "view_dense_opset9": (Lambda(lambda m, x: F.linear(x.view(x.size(0), -1), m.w), w=r(4, 192)), IMG, 9),
    "view_dense_opset13": (Lambda(lambda m, x: F.linear(x.view(x.size(0), -1), m.w), w=r(4, 192)), IMG, 13),
    "reshape": (Lambda(lambda m, x: x.reshape(x.shape[0], 6, 4, -1) * 2.0), IMG, None),
    "unsqueeze_squeeze": (Lambda(lambda m, x: x.mean([2, 3]).unsqueeze(2).squeeze(2)), IMG, 13),
    "pad_opset9": (Lambda(lambda m, x: F.pad(x, (1, 2, 0, 1), "constant", 0.5)), IMG, 9),
    "pad": (Lambda(lambda m, x: F.pad(x, (1, 1, 2, 0, 1, 1))), IMG, None),
    "slice_range_opset9": (Lambda(lambda m, x: x[:, 1:3, :, 2:-1]), IMG, 9),
    "slice_stride_opset10": (Lambda(lambda m, x: x[:, :, 1::2, ::3]), IMG, 10),
    "slice_stride": (Lambda(lambda m, x: x[:, :, ::2, ::2]), IMG, None),
    "slice_range": (Lambda(lambda m, x: x[:, 1:3, 1:-1, 2:]), IMG, 13),
    "concat": (Lambda(lambda m, x: torch.cat([x, x * 2.0, torch.relu(x)], 1)), IMG, None),
    "softmax_opset9": (nn.Sequential(nn.Linear(6, 4), nn.Softmax(dim=1)), (3, 6), 9),
    "softmax": (nn.Sequential(nn.Linear(6, 4), nn.Softmax(dim=-1)), (3, 6), 13),
    "small_cnn": (SmallCNN(), IMG, PRESERVE),
    "small_cnn_nofold": (SmallCNN(), IMG, {"do_constant_folding": False}),
    "small_cnn_dynamic_batch": (SmallCNN(), IMG, dict(PRESERVE, input_names=["x"], dynamic_axes={"x": {0: "N"}})),
    "resblock_option_a": (ResBlockA(), (2, 4, 8, 8), PRESERVE),
    "resblock_nofold_opset11": (ResBlockA(), (2, 4, 8, 8), {"do_constant_folding": False, "opset_version": 11}),
}

UNSUPPORTED = {
    # name: (module, input, opset, op type, expected substring)
    "unsup_sigmoid": (nn.Sequential(nn.Conv2d(3, 2, 1), nn.Sigmoid()), IMG, None, "Sigmoid",
                      "op type Sigmoid is not supported"),
    "unsup_lstm": (nn.LSTM(4, 3), (5, 2, 4), None, "LSTM", "op type LSTM is not supported"),
    "unsup_maxpool_ceil": (nn.MaxPool2d(3, stride=2, ceil_mode=True), IMG, None, "MaxPool",
                           "attribute ceil_mode=1 is not supported"),
    "unsup_reflect_pad": (nn.ReflectionPad2d(1), IMG, None, "Pad", "attribute mode=reflect is not supported"),
}


def export(module, shape, opset):
    module.eval()
    x = torch.randn(*shape)
    buf = io.BytesIO()
    kwargs = opset if isinstance(opset, dict) else {} if opset is None else {"opset_version": opset}
    with torch.no_grad():
        torch.onnx.export(module, (x,), buf, **kwargs)
        y = module(x)
    if isinstance(y, tuple):
        y = y[0]
    return buf.getvalue(), x, y


def auto_pad_model():
    """Conv with auto_pad=SAME_UPPER (torch never writes it), built with onnx.helper."""
    w = oh.make_tensor("w", onnx.TensorProto.FLOAT, [2, 3, 3, 3], np.random.randn(54).astype(np.float32))
    node = oh.make_node("Conv", ["x", "w"], ["y"], name="Conv_3", auto_pad="SAME_UPPER")
    g = oh.make_graph([node], "auto_pad", [oh.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 8, 8])],
                      [oh.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 2, 8, 8])], [w])
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)])
    onnx.checker.check_model(m)
    return m.SerializeToString()


def identity_dropout_model(x):
    """Identity and Dropout nodes (torch drops both at export in eval mode), built with onnx.helper;
    the reference output is torch.relu(x)."""
    nodes = [oh.make_node("Identity", ["x"], ["a"], name="id"),
             oh.make_node("Dropout", ["a", "ratio"], ["b"], name="drop"),
             oh.make_node("Relu", ["b"], ["y"], name="relu")]
    ratio = oh.make_tensor("ratio", onnx.TensorProto.FLOAT, [], [0.5])
    g = oh.make_graph(nodes, "id_drop", [oh.make_tensor_value_info("x", onnx.TensorProto.FLOAT, list(x.shape))],
                      [oh.make_tensor_value_info("y", onnx.TensorProto.FLOAT, list(x.shape))], [ratio])
    return oh.make_model(g, opset_imports=[oh.make_opsetid("", 13)]).SerializeToString(), torch.relu(x)


def save(name, model, x=None, y=None):
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(model)
    onnx.checker.check_model(onnx.load_from_string(model))
    if x is not None:
        np.save(os.path.join(OUT, name + ".in.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(OUT, name + ".out.npy"), y.numpy().astype(np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith((".onnx", ".npy")) and not f.startswith("resnet20"):
            os.remove(os.path.join(OUT, f))
    manifest = ["# generated by tools/gen_onnx_tests.py (torch %s, onnx %s)" % (torch.__version__, onnx.__version__)]
    for i, (name, (module, shape, opset)) in enumerate(CASES.items()):
        torch.manual_seed(1000 + i)
        model, x, y = export(module, shape, opset)
        save(name, model, x, y)
        manifest.append("%s ok" % name)
    for name, (module, shape, opset, op, msg) in UNSUPPORTED.items():
        torch.manual_seed(7)
        model, _, _ = export(module, shape, opset)
        save(name, model)
        manifest.append("%s error %s %s" % (name, op, msg))
    torch.manual_seed(5)
    x = torch.randn(*IMG)
    model, y = identity_dropout_model(x)
    save("identity_dropout", model, x, y)
    manifest.append("identity_dropout ok")
    np.random.seed(3)
    save("unsup_conv_auto_pad", auto_pad_model())
    manifest.append("unsup_conv_auto_pad error Conv node 'Conv_3' (Conv): attribute auto_pad=SAME_UPPER is not supported")
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %d cases to %s (%d bytes)" % (len(manifest) - 1, OUT, total), file=sys.stderr)


if __name__ == "__main__":
    main()
