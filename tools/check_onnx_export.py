#!/usr/bin/python3
"""Checks veil's ONNX export with the reference tooling: runs the round-trip test program (which writes
every exported model when VEIL_ONNX_EXPORT_DIR is set), then validates each model with
onnx.checker.check_model(full_check=True), which also runs ONNX shape inference, and checks that only
standard-domain ops at opset 13 are used.

Usage: /usr/bin/python3 tools/check_onnx_export.py [path/to/onnx_test_onnx_roundtrip]
       (default: build-debug/tests/onnx_test_onnx_roundtrip, built by `cmake --build --preset debug`)
"""
import os
import subprocess
import sys
import tempfile

import onnx

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-debug/tests/onnx_test_onnx_roundtrip")
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, VEIL_ONNX_EXPORT_DIR=d, VEIL_SOURCE_DIR=ROOT)
        subprocess.run([exe], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        files = sorted(f for f in os.listdir(d) if f.endswith(".onnx"))
        bad = 0
        for f in files:
            try:
                m = onnx.load(os.path.join(d, f))
                onnx.checker.check_model(m, full_check=True)
                assert [(o.domain, o.version) for o in m.opset_import] == [("", 13)], m.opset_import
                assert all(n.domain == "" for n in m.graph.node)
            except Exception as e:  # report every failing model, then fail
                bad += 1
                print("FAIL %s: %s" % (f, e))
        print("%d exported models checked, %d failed" % (len(files), bad))
        return 1 if bad or not files else 0


if __name__ == "__main__":
    sys.exit(main())
