#!/usr/bin/env python3
"""Runs an exported model (`emnist export`) with ONNX Runtime, an implementation independent of
emnist, and compares its probabilities with emnist's own on the same images: every class's
probability within the tolerance, and the same most probable class for every image.

    .venv/bin/python tools/onnx_check.py RUN/model.onnx IMAGES-idx3-ubyte PREDICTIONS.json \\
        [--transposed] [--tolerance 1e-5]

IMAGES: an IDX file of 28x28 images in EMNIST's form (--transposed: stored column-major, as
EMNIST's own files are; emnist predict turns them upright for an EMNIST run). PREDICTIONS: what
`emnist predict --run RUN IMAGES --format json --top CLASSES` printed. ONNX Runtime comes from PyPI
(tools/setup.sh puts it in .venv). Exit codes: 0 agree; 1 disagree (the first difference on
stderr); 3 ONNX Runtime is missing.
"""
import argparse
import gzip
import json
import struct
import sys
from pathlib import Path

import numpy as np


def read_idx(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    magic, count, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 0x803:
        sys.exit(f"onnx_check.py: {path}: not an IDX file of images")
    return np.frombuffer(raw[16:16 + count * rows * cols], dtype=np.uint8).reshape(count, rows, cols)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("images", type=Path)
    parser.add_argument("predictions", type=Path)
    parser.add_argument("--transposed", action="store_true")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()
    try:
        import onnxruntime
    except ImportError:
        print("onnx_check.py: no onnxruntime here (tools/setup.sh installs it into .venv)",
              file=sys.stderr)
        return 3

    images = read_idx(args.images)
    if args.transposed:
        images = images.transpose(0, 2, 1)
    x = (images.astype(np.float32) / 255.0)[:, None, :, :]
    session = onnxruntime.InferenceSession(str(args.model), providers=["CPUExecutionProvider"])
    logits, probs = session.run(["logits", "probabilities"], {"input": x})
    names = json.loads(session.get_modelmeta().custom_metadata_map["class_names"])

    ours = json.loads(args.predictions.read_text())["predictions"]
    if len(ours) != len(images):
        print(f"onnx_check.py: {len(ours)} predictions for {len(images)} images", file=sys.stderr)
        return 1
    worst = 0.0
    for i, prediction in enumerate(ours):
        expected = np.zeros(len(names), dtype=np.float64)
        for t in prediction["top"]:
            expected[t["index"]] = t["probability"]
            if names[t["index"]] != t["class"]:
                print(f"onnx_check.py: class {t['index']} is {names[t['index']]!r} in the model's "
                      f"metadata, {t['class']!r} in emnist's answer", file=sys.stderr)
                return 1
        if len(prediction["top"]) != len(names):
            print("onnx_check.py: give emnist predict --top with every class", file=sys.stderr)
            return 1
        difference = np.abs(probs[i].astype(np.float64) - expected)
        worst = max(worst, float(difference.max()))
        if difference.max() > args.tolerance:
            c = int(difference.argmax())
            print(f"onnx_check.py: image {i}, class {names[c]!r}: ONNX Runtime {probs[i][c]:.8f}, "
                  f"emnist {expected[c]:.8f}", file=sys.stderr)
            return 1
        if int(probs[i].argmax()) != prediction["top"][0]["index"]:
            print(f"onnx_check.py: image {i}: ONNX Runtime's top class "
                  f"{names[int(probs[i].argmax())]!r}, emnist's {prediction['top'][0]['class']!r}",
                  file=sys.stderr)
            return 1
        if not np.allclose(np.exp(logits[i] - logits[i].max()) / np.exp(logits[i] - logits[i].max()).sum(),
                           probs[i], atol=1e-6):
            print(f"onnx_check.py: image {i}: probabilities are not the softmax of the logits",
                  file=sys.stderr)
            return 1
    print(f"onnx_check.py: {args.model}: {len(images)} images agree with emnist (largest "
          f"probability difference {worst:.2e}, tolerance {args.tolerance:g}), onnxruntime "
          f"{onnxruntime.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
