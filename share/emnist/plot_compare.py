#!/usr/bin/env python3
"""The figure of a comparison of `emnist compare`: the runs' curves and per-class F1 on one image.

    /usr/bin/python3 tools/plot_compare.py OUT_DIR

`emnist compare` runs this after writing OUT_DIR/comparison.csv (one row per run, with its run
directory) and OUT_DIR/per_class_f1.csv. It reads each run's metrics.csv and writes
OUT_DIR/comparison.png atomically: validation accuracy per epoch of every run (training accuracy
dashed) above, per-class test F1 of every run below. It also writes OUT_DIR/report.html, one
self-contained page (the figure embedded, CSS inline, nothing fetched) with the side-by-side
metrics, the figure and the per-class F1 table.

Exit codes: 0 done; 2 a file is missing or malformed (one line on stderr); 1 anything else.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from plot_run import CSS, DPI, data_uri, esc, plain, png_bytes, read_csv, table, write_atomic  # same folder

import matplotlib.pyplot as plt  # noqa: E402  (plot_run chose the backend)
import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


class CompareError(Exception):
    """A file is not what `emnist compare` or `emnist train` writes (exit code 2)."""


def number(text: str) -> float:
    return float(text) if text and text.strip() else math.nan


def load(out: Path) -> tuple[list[dict[str, str]], list[dict[str, str]], dict[str, list]]:
    try:
        runs = read_csv(out / "comparison.csv")
        per_class = read_csv(out / "per_class_f1.csv")
    except FileNotFoundError as e:
        raise CompareError(f"{e.filename}: not found; is {out} the output of `emnist compare`?")
    curves = {}
    for run in runs:
        path = Path(run["dir"]) / "metrics.csv"
        try:
            curves[run["run"]] = read_csv(path)
        except FileNotFoundError:
            curves[run["run"]] = []  # a curve is a bonus: the bars still tell the story
    return runs, per_class, curves


def draw_curves(ax: plt.Axes, runs: list[dict[str, str]], curves: dict[str, list]) -> None:
    longest = 1
    for i, run in enumerate(runs):
        rows = curves[run["run"]]
        if not rows:
            continue
        colour = COLOURS[i % len(COLOURS)]
        epochs = np.array([number(r["epoch"]) for r in rows])
        val = np.array([number(r["val_accuracy"]) for r in rows])
        train = np.array([number(r["train_accuracy"]) for r in rows])
        longest = max(longest, len(epochs))
        ax.plot(epochs, val, marker="o", color=colour,
                label=plain(f"{run['run']} ({run['model']}): validation"))
        ax.plot(epochs, train, linestyle="--", color=colour, alpha=0.6,
                label=plain(f"{run['run']}: training (dropout on)"))
        test = number(run["test_accuracy"])
        ax.plot([epochs[-1]], [test], marker="*", markersize=13, color=colour, linestyle="none",
                label=plain(f"{run['run']}: test, after the last epoch"))
        ax.annotate(f"test {test:.1%}", (epochs[-1], test), textcoords="offset points",
                    xytext=(9, -4), color=colour, fontsize=9)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(xmax=1.0))
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_xlim(0.7, longest + 0.3 + 0.12 * longest)  # room for the "test" labels
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Accuracy per epoch", fontsize=11)


def draw_f1(ax: plt.Axes, runs: list[dict[str, str]], per_class: list[dict[str, str]]) -> None:
    classes = [row["class"] for row in per_class]
    x = np.arange(len(classes))
    width = 0.8 / max(1, len(runs))
    for i, run in enumerate(runs):
        f1 = np.array([number(row.get(run["run"], "")) for row in per_class])
        ax.bar(x + (i - (len(runs) - 1) / 2) * width, f1, width, color=COLOURS[i % len(COLOURS)],
               label=plain(f"{run['run']} (macro F1 {number(run['macro_f1']):.3f})"))
    ax.set_xticks(x)
    ax.set_xticklabels([plain(c) for c in classes], fontsize=9)
    ax.set_xlim(-0.6, len(classes) - 0.4)
    ax.set_ylim(0, 1.0)
    ax.set_ylabel("F1 (test)")
    ax.set_xlabel("class")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=len(runs),
              frameon=False)
    ax.set_title("Per-class F1 on the test split", fontsize=11)


def draw(runs, per_class, curves) -> plt.Figure:
    wide = max(10.0, 0.22 * len(per_class) * max(1, len(runs)) / 2 + 3)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(min(wide, 18.0), 8.5), dpi=DPI,
                                      layout="constrained", height_ratios=[1, 1.1])
    draw_curves(top, runs, curves)
    draw_f1(bottom, runs, per_class)
    names = " vs ".join(f"{r['run']} ({r['model']}, test accuracy {number(r['test_accuracy']):.1%})"
                        for r in runs)
    fig.suptitle(plain(names), fontsize=12)
    return fig


# What the page shows of comparison.csv, in order: (column, label, digits or None for as written).
METRICS = [("model", "model", None), ("test_accuracy", "test accuracy", 4),
           ("macro_precision", "macro precision", 4), ("macro_recall", "macro recall", 4),
           ("macro_f1", "macro F1", 4), ("weighted_precision", "weighted precision", 4),
           ("weighted_recall", "weighted recall", 4), ("weighted_f1", "weighted F1", 4),
           ("parameters", "parameters", None), ("epochs", "epochs", None),
           ("training_seconds", "training time (s)", 1), ("samples_per_second", "samples/s", 0),
           ("test_samples", "test samples", None)]


def page_html(runs: list[dict[str, str]], per_class: list[dict[str, str]], png: bytes) -> str:
    names = [r["run"] for r in runs]
    rows = []
    for column, label, digits in METRICS:
        if column not in runs[0]:
            continue
        cells = [r[column] if digits is None else f"{number(r[column]):.{digits}f}" for r in runs]
        rows.append([esc(label)] + [esc(c) for c in cells])
    f1_rows = [[esc(row["class"]), esc(row["support"])] +
               [esc(f"{number(row[n]):.4f}") for n in names] for row in per_class]
    title = "emnist comparison: " + " vs ".join(names)
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        '<p class="sub">' + " · ".join(esc(f"{r['run']}: {r['dir']}") for r in runs) + "</p>",
        "<h2>Test metrics</h2>",
        table([""] + names, rows),
        "<h2>Curves and per-class F1</h2>",
        f'<figure><img src="{data_uri(png)}" alt="comparison"><figcaption>Validation accuracy '
        "per epoch (training dashed) and per-class test F1 (comparison.png)</figcaption></figure>",
        "<h2>Per-class F1 (test)</h2>",
        table(["class", "support"] + names, f1_rows),
        "</body></html>", ""])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, help="the output directory of `emnist compare`")
    args = parser.parse_args()
    try:
        runs, per_class, curves = load(args.out_dir)
        for column in ("run", "dir", "model", "test_accuracy", "macro_f1"):
            if runs and column not in runs[0]:
                raise CompareError(f"{args.out_dir / 'comparison.csv'}: no column {column}")
    except CompareError as e:
        print(f"plot_compare.py: {e}", file=sys.stderr)
        return 2
    try:
        png = png_bytes(draw(runs, per_class, curves))
        write_atomic(args.out_dir / "comparison.png", png)
        write_atomic(args.out_dir / "report.html", page_html(runs, per_class, png).encode("utf-8"))
    except OSError as e:
        print(f"plot_compare.py: {e.filename or args.out_dir}: cannot write: {e.strerror}",
              file=sys.stderr)
        return 2
    print(f"wrote {args.out_dir / 'comparison.png'} and {args.out_dir / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
