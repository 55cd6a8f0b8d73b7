#!/usr/bin/python3
"""Reference logits of the pretrained CIFAR-10 ResNet-20 for tests/onnx/test_onnx_resnet20.c.

Builds ResNet-20 (He et al. 2016, option-A shortcuts) in PyTorch, loads the original checkpoint
../shared/data/models/resnet20-12fca82f.th (akamaster/pytorch_resnet_cifar10, BSD-2-Clause), takes the
first N images of ../shared/data/cifar10/test_batch.first1000.bin, normalizes them as the trainer did
(ImageNet mean/std on pixel/255) and writes
  tests/onnx/data/resnet20.in.npy      [N,3,32,32] float32 (normalized input)
  tests/onnx/data/resnet20.logits.npy  [N,10] float32 (PyTorch logits, BatchNorm not folded)
  tests/onnx/data/resnet20.labels.npy  [N] int64 (true CIFAR-10 labels)
The C test imports ../shared/data/models/resnet20_cifar10.onnx unchanged and compares.

Usage: /usr/bin/python3 tools/gen_resnet20_ref.py [--shared DIR] [--n N]
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = (cout - cin) // 2 if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        s = x if self.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(y + s)


class ResNet20(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for i in range(n):
                blocks.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


def cifar_images(path, n):
    raw = np.fromfile(path, dtype=np.uint8, count=n * 3073).reshape(n, 3073)
    labels = raw[:, 0].astype(np.int64)
    pix = raw[:, 1:].reshape(n, 3, 32, 32).astype(np.float32) / 255.0
    mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
    return ((pix - mean) / std).astype(np.float32), labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--n", type=int, default=4)
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.shared, "data")):
        a.shared = "/work/shared"
    ckpt = torch.load(os.path.join(a.shared, "data/models/resnet20-12fca82f.th"), map_location="cpu")
    model = ResNet20()
    model.load_state_dict({k.replace("module.", "", 1): v for k, v in ckpt["state_dict"].items()})
    model.eval()
    x, labels = cifar_images(os.path.join(a.shared, "data/cifar10/test_batch.first1000.bin"), a.n)
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).numpy().astype(np.float32)
    out = os.path.join(ROOT, "tests/onnx/data")
    np.save(os.path.join(out, "resnet20.in.npy"), x)
    np.save(os.path.join(out, "resnet20.logits.npy"), logits)
    np.save(os.path.join(out, "resnet20.labels.npy"), labels)
    print("labels", labels.tolist(), "predicted", logits.argmax(1).tolist())


if __name__ == "__main__":
    main()
