#!/usr/bin/env python3
"""Class-weighted loss against balanced sampling, on the unbalanced ByMerge corpus: the measurement
behind emnist's choice of train.class_weights (README, "Options for tuned recipes").

Trains DESIGN.md's reference CNN (tools/torch_peer.py's, the same network as emnist's) three ways
from the same initial weights and the same batches' count: plain; with the loss weighted by
scikit-learn's "balanced" class weights (n / (classes * count), what emnist's
train.class_weights = "balanced" computes); and with balanced sampling (each training draw picks a
class uniformly, PyTorch's WeightedRandomSampler with replacement, as many draws per epoch as
there are training images). Prints test accuracy, balanced accuracy (the mean of the per-class
recalls) and macro F1 of each, one markdown row per way and seed.

    /usr/bin/python3 tools/class_balance_check.py --data ../shared/data/emnist --seeds 1 2

The split follows emnist's holdout in spirit, not bit for bit: a stratified 20% test part of the
ByMerge test split, and a stratified --limit subset of the rest to train on.
"""
import argparse
import os
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from torch_peer import read_idx, reference_cnn  # noqa: E402


def stratified_split(labels: torch.Tensor, test_fraction: float, limit: int,
                     generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Per class: a shuffled test share, then a train share scaled so the train part totals about
    `limit`."""
    rest_total = round(len(labels) * (1 - test_fraction))
    keep = min(1.0, limit / rest_total) if limit > 0 else 1.0
    train, test = [], []
    for c in labels.unique():
        members = (labels == c).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        n_test = round(len(members) * test_fraction)
        test.append(members[:n_test])
        rest = members[n_test:]
        train.append(rest[:max(1, round(len(rest) * keep))])
    return torch.cat(train), torch.cat(test)


def scores(predicted: torch.Tensor, truth: torch.Tensor, classes: int) -> tuple[float, float, float]:
    confusion = torch.zeros(classes, classes, dtype=torch.long)
    confusion.index_put_((truth, predicted), torch.ones_like(truth), accumulate=True)
    hits = confusion.diag().double()
    actual = confusion.sum(1).double()
    claimed = confusion.sum(0).double()
    recall = hits / actual.clamp(min=1)
    precision = hits / claimed.clamp(min=1)
    f1 = torch.where(precision + recall > 0, 2 * precision * recall / (precision + recall),
                     torch.zeros_like(hits))
    present = actual > 0
    return (hits.sum() / actual.sum()).item(), recall[present].mean().item(), f1[present].mean().item()


def train_and_test(way: str, images: torch.Tensor, labels: torch.Tensor, train: torch.Tensor,
                   test: torch.Tensor, classes: int, epochs: int, seed: int) -> tuple[float, ...]:
    torch.manual_seed(seed)
    model = reference_cnn(classes)
    counts = torch.bincount(labels[train], minlength=classes).double()
    class_weights = (len(train) / (classes * counts.clamp(min=1))).float()
    loss_fn = nn.CrossEntropyLoss(weight=class_weights if way == "weighted loss" else None)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = 128
    steps_per_epoch = len(train) // batch
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * steps_per_epoch)
    draws = torch.Generator().manual_seed(seed)
    sample_weights = (1.0 / counts.clamp(min=1))[labels[train]]
    for _ in range(epochs):
        model.train()
        if way == "balanced sampling":
            order = train[torch.multinomial(sample_weights, len(train), replacement=True,
                                            generator=draws)]
        else:
            order = train[torch.randperm(len(train), generator=draws)]
        for step in range(steps_per_epoch):
            rows = order[step * batch:(step + 1) * batch]
            x = images[rows].float() / 255
            optimizer.zero_grad()
            loss_fn(model(x), labels[rows]).backward()
            optimizer.step()
            schedule.step()
    model.eval()
    predicted = []
    with torch.no_grad():
        for start in range(0, len(test), 1024):
            rows = test[start:start + 1024]
            predicted.append(model(images[rows].float() / 255).argmax(1))
    return scores(torch.cat(predicted), labels[test], classes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="folder with emnist-bymerge-test-{images-idx3,labels-idx1}-ubyte.gz")
    parser.add_argument("--limit", type=int, default=12000, help="training images (stratified)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--threads", type=int,
                        default=int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    stem = args.data / "emnist-bymerge-test"
    for part in ("images-idx3", "labels-idx1"):
        if not Path(f"{stem}-{part}-ubyte.gz").is_file():
            print(f"class_balance_check: {stem}-{part}-ubyte.gz is missing; give --data the folder "
                  "with the ByMerge IDX files", file=sys.stderr)
            return 2
    images = read_idx(Path(f"{stem}-images-idx3-ubyte.gz")).unsqueeze(1).contiguous()
    labels = read_idx(Path(f"{stem}-labels-idx1-ubyte.gz")).long()
    classes = int(labels.max()) + 1
    train, test = stratified_split(labels, 0.2, args.limit, torch.Generator().manual_seed(1))
    print(f"ByMerge corpus: {len(train)} training images, {len(test)} test images, "
          f"{classes} classes, {args.epochs} epochs, batch 128, Adam 1e-3, cosine")
    print("| way | seed | test accuracy | balanced accuracy | macro F1 |")
    print("|---|---|---|---|---|")
    for seed in args.seeds:
        for way in ("plain", "weighted loss", "balanced sampling"):
            accuracy, balanced, f1 = train_and_test(way, images, labels, train, test, classes,
                                                    args.epochs, seed)
            print(f"| {way} | {seed} | {100 * accuracy:.2f}% | {100 * balanced:.2f}% | {f1:.4f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
