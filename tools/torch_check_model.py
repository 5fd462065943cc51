#!/usr/bin/env python3
"""Loads a run's model.safetensors into the same model built with PyTorch (tools/torch_peer.py's
builders) and checks that PyTorch predicts what emnist wrote in predictions_test.csv for the images
in predictions_test.idx: the same top-3 classes with the same probabilities.

    /usr/bin/python3 tools/torch_check_model.py RUN_DIR [--tolerance 1e-4]

It proves that the weights file is a standard safetensors file with PyTorch's names and layouts,
and that emnist's inference (on whichever backend wrote the run) computes PyTorch's function.
Exit codes: 0 agree; 1 disagree (the first difference is printed); 2 the run directory lacks a file.
"""
import argparse
import csv
import json
import struct
import sys
import tomllib
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from torch_peer import activation, reference_cnn, reference_mlp, reference_resnet  # noqa: E402


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """A plain reader of the format (8-byte header length, JSON header, raw data), numpy only."""
    blob = path.read_bytes()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    base = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: {name}: dtype {entry['dtype']}, expected F32")
        start, end = entry["data_offsets"]
        array = np.frombuffer(blob[base + start:base + end], dtype="<f4").reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def read_idx_images(path: Path) -> np.ndarray:
    blob = path.read_bytes()
    magic, count, rows, cols = struct.unpack(">IIII", blob[:16])
    if magic != 0x803:
        raise ValueError(f"{path}: not an IDX3 image file")
    return np.frombuffer(blob[16:], dtype=np.uint8).reshape(count, rows, cols)


def build_model(config: dict, classes: int) -> torch.nn.Module:
    """The run's network from its resolved config.toml (every key written)."""
    model = config["model"]

    def act():
        return activation(model["activation"], model["leaky_slope"], model["elu_alpha"])

    hidden = tuple(model["hidden"])
    if model["kind"] == "mlp":
        return reference_mlp(classes, hidden, model["dropout"], act, model["batch_norm"])
    if model["kind"] == "cnn":
        return reference_cnn(classes, tuple(model["conv"]), hidden, model["dropout"],
                             model["kernel"], act=act, norm=model["batch_norm"])
    return reference_resnet(classes, model["stem"], tuple(model["stages"]),
                            tuple(model["blocks"]), tuple(model["strides"]), hidden,
                            model["dropout"], act, model["pooling"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--tolerance", type=float, default=1e-5,
                        help="largest allowed difference of a probability")
    args = parser.parse_args()
    run = args.run_dir
    needed = ["config.toml", "model.safetensors", "predictions_test.csv", "predictions_test.idx",
              "confusion_test.csv"]
    missing = [n for n in needed if not (run / n).is_file()]
    if missing:
        print(f"torch_check_model.py: {run}: missing {', '.join(missing)}", file=sys.stderr)
        return 2

    config = tomllib.loads((run / "config.toml").read_text())
    with (run / "confusion_test.csv").open(newline="") as f:
        class_names = next(csv.reader(f))[1:]
    with (run / "predictions_test.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    images = read_idx_images(run / "predictions_test.idx")
    rows = rows[:len(images)]

    model = build_model(config, len(class_names))
    # Every name and shape must match. emnist keeps no num_batches_tracked (its batch-norm momentum
    # is fixed); PyTorch's batch norm fills it in when a plain state dict lacks it.
    try:
        model.load_state_dict(read_safetensors(run / "model.safetensors"), strict=True)
    except RuntimeError as e:
        print(f"names or shapes differ: {e}")
        return 1
    model.eval()
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    with torch.no_grad():
        probs = torch.softmax(model(x), dim=1)

    worst = 0.0
    for i, row in enumerate(rows):
        top = torch.topk(probs[i], 3)
        for k in range(3):
            name = class_names[int(top.indices[k])]
            ours_name, ours_p = row[f"top{k + 1}"], float(row[f"p{k + 1}"])
            diff = abs(float(top.values[k]) - ours_p)
            worst = max(worst, diff)
            # A near-tie may swap places between implementations; the probability must still agree.
            if name != ours_name and diff > args.tolerance:
                print(f"image {i}: rank {k + 1}: pytorch '{name}' {float(top.values[k]):.6f}, "
                      f"emnist '{ours_name}' {ours_p:.6f}")
                return 1
            if diff > args.tolerance:
                print(f"image {i}: rank {k + 1} '{name}': pytorch {float(top.values[k]):.6f}, "
                      f"emnist {ours_p:.6f}")
                return 1
    print(f"agree: {len(rows)} images, top-3 classes equal, largest probability difference "
          f"{worst:.2e} (tolerance {args.tolerance:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
