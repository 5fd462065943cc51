#!/usr/bin/env python3
"""Plots and a report page for one run directory of `emnist train`, from its files alone.

    /usr/bin/python3 tools/plot_run.py RUN_DIR

`emnist report RUN_DIR` runs this (and `emnist train` does at the end). It writes
RUN_DIR/plots/*.png and RUN_DIR/report.html, one self-contained page (images as data URIs, CSS
inline, nothing fetched), each file atomically. A figure whose input files are absent (no
validation split, an interrupted run) is left out, not an error.

To add a figure: write a function `draw(run) -> Drawing | None` and list it in `figures()`.

Exit codes: 0 done; 2 RUN_DIR is not a run directory or one of its files is malformed (one line on
stderr saying which); 1 anything else.
"""
from __future__ import annotations

import argparse
import base64
import csv
import html
import io
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import matplotlib

matplotlib.use("Agg")  # files only; never look for a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors, patches, ticker  # noqa: E402

DPI = 110
TRAIN_COLOUR, VAL_COLOUR, LR_COLOUR = "#1f77b4", "#ff7f0e", "#7f7f7f"
RIGHT, WRONG = "#1a7f37", "#c62828"
WORST_CONFUSIONS = 5


class RunError(Exception):
    """The run directory or one of its files is not what `emnist train` writes (exit code 2)."""


# ---- reading the run directory ------------------------------------------------------------------


def read_csv(path: Path, limit: Optional[int] = None) -> list[dict[str, str]]:
    """Rows of a CSV file with a header, at most `limit` of them."""
    rows = []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if limit is not None and len(rows) >= limit:
                break
            rows.append(row)
    return rows


def number(text: str) -> float:
    """A CSV field as a float; empty (no validation split) is NaN."""
    return float(text) if text.strip() else math.nan


def read_idx_images(path: Path) -> np.ndarray:
    """IDX3 uint8 [n, rows, cols], as the trainer writes them (already upright)."""
    data = path.read_bytes()
    if len(data) < 16 or data[:4] != b"\x00\x00\x08\x03":
        raise RunError(f"{path}: not an IDX3 uint8 file")
    n, rows, cols = (int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(3))
    if len(data) != 16 + n * rows * cols:
        raise RunError(f"{path}: {len(data)} bytes, the header says {16 + n * rows * cols}")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows, cols)


@dataclass
class Confusion:
    names: list[str]
    counts: np.ndarray  # [true, predicted]

    def rates(self) -> np.ndarray:
        """Each row as shares of its true class (a class absent from the split stays zero)."""
        totals = self.counts.sum(axis=1, keepdims=True)
        return np.divide(self.counts, totals, out=np.zeros(self.counts.shape), where=totals > 0)

    def worst(self, k: int) -> list[tuple[int, int]]:
        """The k off-diagonal cells with the most samples, then the largest share of the true class.

        By count, not share: a class with two samples in the split would otherwise top the list
        with "100%" from one unlucky pair.
        """
        rates = self.rates()
        cells = [
            (self.counts[t, p], rates[t, p], t, p)
            for t in range(len(self.names))
            for p in range(len(self.names))
            if t != p and self.counts[t, p] > 0
        ]
        cells.sort(key=lambda c: (-c[0], -c[1], c[2], c[3]))
        return [(t, p) for _, _, t, p in cells[:k]]


@dataclass
class Run:
    """What the figures and the page read, loaded once; None (or absent) where a file is missing."""

    dir: Path
    config_text: str
    summary: Optional[dict] = None
    metrics: list[dict[str, float]] = field(default_factory=list)
    confusion: dict[str, Confusion] = field(default_factory=dict)
    report: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    predictions: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    prediction_images: dict[str, np.ndarray] = field(default_factory=dict)
    samples: Optional[np.ndarray] = None
    sample_labels: list[str] = field(default_factory=list)

    @property
    def prediction_split(self) -> Optional[str]:
        """The split whose first predictions are shown: test, else validation."""
        for split in ("test", "val"):
            if split in self.predictions and split in self.prediction_images:
                return split
        return None


def read_confusion(path: Path) -> Confusion:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise RunError(f"{path}: empty")
    names = rows[0][1:]
    body = rows[1:]
    if not names or len(body) != len(names) or any(len(r) != len(names) + 1 for r in body):
        raise RunError(f"{path}: not a square matrix of counts with class names on both axes")
    try:
        counts = np.array([[int(v) for v in r[1:]] for r in body], dtype=np.int64)
    except ValueError as e:
        raise RunError(f"{path}: {e}") from None
    return Confusion(names, counts)


def check_summary(path: Path, summary: object) -> dict:
    """summary.json as `emnist train` writes it, checked where the page reads it: an object whose
    metrics hold one object per split with numbers, and numbers or strings where expected."""
    def bad(what: str) -> RunError:
        return RunError(f"{path}: {what}; the run's summary is damaged: train the run again, or "
                        "remove summary.json to draw the plots without it")
    if not isinstance(summary, dict):
        raise bad(f"expected a JSON object, got {type(summary).__name__}")
    metrics = summary.get("metrics", {})
    if not isinstance(metrics, dict):
        raise bad("'metrics' is not an object")
    for split, m in metrics.items():
        if m is None:
            continue
        if not isinstance(m, dict):
            raise bad(f"'metrics.{split}' is not an object")
        for key in ("accuracy", "macro_f1"):
            if m.get(key) is not None and not isinstance(m[key], (int, float)):
                raise bad(f"'metrics.{split}.{key}' is not a number")
    for key in ("parameters", "epochs", "classes", "training_seconds", "samples_per_second"):
        if summary.get(key) is not None and not isinstance(summary[key], (int, float)):
            raise bad(f"'{key}' is not a number")
    for key in ("device", "dataset", "model", "optimizer", "commit"):
        if summary.get(key) is not None and not isinstance(summary[key], str):
            raise bad(f"'{key}' is not a string")
    return summary


def load_run(run_dir: Path) -> Run:
    if not (run_dir / "config.toml").is_file():
        raise RunError(f"{run_dir / 'config.toml'}: not found; is {run_dir} a run directory?")
    run = Run(run_dir, (run_dir / "config.toml").read_text(encoding="utf-8"))
    try:
        if (run_dir / "summary.json").is_file():
            run.summary = check_summary(
                run_dir / "summary.json",
                json.loads((run_dir / "summary.json").read_text(encoding="utf-8")))
        if (run_dir / "metrics.csv").is_file():
            run.metrics = [
                {k: number(v) for k, v in row.items()}
                for row in read_csv(run_dir / "metrics.csv")
            ]
        for split in ("train", "val", "test"):
            if (run_dir / f"confusion_{split}.csv").is_file():
                run.confusion[split] = read_confusion(run_dir / f"confusion_{split}.csv")
            if (run_dir / f"report_{split}.csv").is_file():
                run.report[split] = read_csv(run_dir / f"report_{split}.csv")
            pred_images = run_dir / f"predictions_{split}.idx"
            if (run_dir / f"predictions_{split}.csv").is_file() and pred_images.is_file():
                images = read_idx_images(pred_images)
                run.prediction_images[split] = images
                run.predictions[split] = read_csv(
                    run_dir / f"predictions_{split}.csv", limit=len(images)
                )
        if (run_dir / "samples_train.idx").is_file() and (run_dir / "samples_train.csv").is_file():
            run.samples = read_idx_images(run_dir / "samples_train.idx")
            run.sample_labels = [r["label"] for r in read_csv(run_dir / "samples_train.csv")]
            if len(run.sample_labels) != len(run.samples):
                raise RunError(
                    f"{run_dir / 'samples_train.csv'}: {len(run.sample_labels)} labels for "
                    f"{len(run.samples)} images in samples_train.idx"
                )
    except (KeyError, ValueError, json.JSONDecodeError) as e:
        raise RunError(f"{run_dir}: a file is malformed: {e!r}") from None
    return run


# ---- figures ------------------------------------------------------------------------------------


@dataclass
class Drawing:
    figure: plt.Figure
    caption: str = ""


@dataclass
class FigureSpec:
    file: str  # under plots/
    title: str  # the page's heading for it
    draw: Callable[[Run], Optional[Drawing]]  # None: the run lacks this figure's inputs


def plain(text: str) -> str:
    """Text as matplotlib shows it literally (a "$" pair would start mathtext)."""
    return text.replace("$", r"\$")


def column(run: Run, key: str) -> np.ndarray:
    return np.array([row.get(key, math.nan) for row in run.metrics], dtype=float)


def draw_curves(run: Run, quantity: str) -> Optional[Drawing]:
    """Train and validation `quantity` per epoch, with the learning rate on a second axis."""
    if not run.metrics:
        return None
    epochs = column(run, "epoch")
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=DPI, layout="constrained")
    marker = "o" if len(epochs) <= 30 else None
    train = column(run, f"train_{quantity}")
    val = column(run, f"val_{quantity}")
    lines = ax.plot(epochs, train, marker=marker, color=TRAIN_COLOUR, label=f"train {quantity}")
    if np.isfinite(val).any():
        lines += ax.plot(epochs, val, marker=marker, color=VAL_COLOUR,
                         label=f"validation {quantity}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(quantity)
    if quantity == "accuracy":
        ax.yaxis.set_major_formatter(ticker.PercentFormatter(xmax=1.0))
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    if len(epochs) == 1:
        ax.set_xlim(0.5, 1.5)
    ax.grid(True, alpha=0.3)

    lr = column(run, "lr")
    if np.isfinite(lr).any():
        ax2 = ax.twinx()
        lines += ax2.plot(
            epochs, lr, linestyle="--", color=LR_COLOUR, label="learning rate (end of epoch)"
        )
        ax2.set_ylabel("learning rate", color=LR_COLOUR)
        ax2.tick_params(axis="y", colors=LR_COLOUR)
        ax2.set_ylim(bottom=0, top=max(np.nanmax(lr), 1e-12) * 1.1)
        ax2.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:.3g}"))
    # Below the axes: inside, it would hide the curves it explains.
    ax.legend(handles=lines, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=len(lines),
              fontsize=9, frameon=False)
    ax.set_title(f"{quantity.capitalize()} per epoch")
    last = run.metrics[-1]
    parts = [f"train {last.get(f'train_{quantity}', math.nan):.4f}"]
    if math.isfinite(last.get(f"val_{quantity}", math.nan)):
        parts.append(f"validation {last[f'val_{quantity}']:.4f}")
    return Drawing(fig, f"After epoch {int(epochs[-1])}: " + ", ".join(parts) + ".")


def describe_cell(c: Confusion, t: int, p: int) -> str:
    rate = c.rates()[t, p]
    return (
        f"true '{c.names[t]}' predicted as '{c.names[p]}': {100 * rate:.1f}% "
        f"({c.counts[t, p]} of {c.counts[t].sum()})"
    )


def draw_confusion(run: Run, split: str) -> Optional[Drawing]:
    """The whole matrix, rows normalised per true class, worst off-diagonal cells numbered."""
    c = run.confusion.get(split)
    if c is None:
        return None
    n = len(c.names)
    rates = c.rates()
    longest = max((len(name) for name in c.names), default=1)
    side = min(13.0, max(6.0, 0.25 * n + 2.5))
    fig, ax = plt.subplots(figsize=(side + 1.3, side + 0.9), dpi=DPI, layout="constrained")
    # A square-root scale: the diagonal sits near 1 and the confusions worth seeing near 0.01-0.3,
    # which a linear scale paints all but white.
    image = ax.imshow(rates, cmap="Blues", norm=colors.PowerNorm(gamma=0.5, vmin=0, vmax=1))
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("share of the true class")
    bar.set_ticks([0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0])
    bar.ax.yaxis.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=0))

    font = 10 if n <= 20 else 9 if n <= 50 else 7
    labels = [plain(name) for name in c.names]
    ax.set_xticks(range(n), labels, fontsize=font, rotation=90 if longest > 2 else 0)
    ax.set_yticks(range(n), labels, fontsize=font)
    ax.tick_params(top=True, labeltop=True, bottom=True, labelbottom=True, length=2)
    if longest > 2:
        ax.tick_params(axis="x", labelrotation=90)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    # Cell borders as two line collections: minor ticks would cost a Tick object per line.
    edges = np.arange(-0.5, n, 1)
    width = 0.4 if n > 20 else 1.0
    ax.hlines(edges, -0.5, n - 0.5, colors="white", linewidth=width)
    ax.vlines(edges, -0.5, n - 0.5, colors="white", linewidth=width)

    if n <= 15:  # few classes: every share fits in its cell
        for t in range(n):
            for p in range(n):
                if c.counts[t, p]:
                    ax.text(p, t, f"{100 * rates[t, p]:.0f}", ha="center", va="center",
                            fontsize=8, color="white" if rates[t, p] > 0.5 else "black")

    worst = c.worst(WORST_CONFUSIONS)
    for rank, (t, p) in enumerate(worst, start=1):
        ax.add_patch(patches.Rectangle((p - 0.5, t - 0.5), 1, 1, fill=False, edgecolor=WRONG,
                                       linewidth=2.0))
        # The number must read on the darkest blue as on the palest; where the cell already shows
        # its share, the number goes to the corner.
        dark = rates[t, p] > 0.15
        if n <= 15:
            ax.text(p - 0.42, t - 0.42, str(rank), ha="left", va="top", fontsize=7,
                    fontweight="bold", color="white" if dark else WRONG)
        else:
            ax.text(p, t, str(rank), ha="center", va="center", fontsize=max(8, font),
                    fontweight="bold", color="white" if dark else WRONG)
    total = int(c.counts.sum())
    accuracy = np.trace(c.counts) / total if total else math.nan
    ax.set_title(f"Confusion matrix, {split_name(split)} split: {total} samples, accuracy "
                 f"{100 * accuracy:.2f}%", fontsize=12)
    lines = [f"{rank}. {describe_cell(c, t, p)}" for rank, (t, p) in enumerate(worst, start=1)]
    if lines:
        # A figure-level label, so that the layout makes room for it below the matrix.
        fig.supxlabel("Most frequent confusions (framed in red):\n" + "\n".join(map(plain, lines)),
                      x=0.01, ha="left", multialignment="left", fontsize=10)
    caption = (
        "Rows are true classes, columns predicted; each row is normalised to its class's samples "
        "(square-root colour scale). "
    )
    if n <= 15:
        caption += "Each cell shows its percentage. "
    caption += f"Most frequent confusions: {'; '.join(lines)}." if lines else "No confusions."
    return Drawing(fig, caption)


def split_name(split: str) -> str:
    return {"val": "validation"}.get(split, split)


def show_image(ax: plt.Axes, image: np.ndarray) -> None:
    # Ink dark on white, as the characters were written.
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#cccccc")


def draw_samples(run: Run) -> Optional[Drawing]:
    if run.samples is None or len(run.samples) == 0:
        return None
    count = len(run.samples)
    cols = min(8, count)
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.2 * cols + 0.4, 1.45 * rows + 0.6), dpi=DPI,
                             layout="constrained", squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < count:
            show_image(ax, run.samples[i])
            ax.set_title(plain(run.sample_labels[i]), fontsize=13, pad=3)
        else:
            ax.axis("off")
    fig.suptitle(f"The first {count} training images with their labels", fontsize=12)
    return Drawing(fig, f"The first {count} images of the training split, as the model sees them "
                        "(upright), each titled with its label.")


def draw_predictions(run: Run) -> Optional[Drawing]:
    split = run.prediction_split
    if split is None:
        return None
    rows, images = run.predictions[split], run.prediction_images[split]
    count = min(len(rows), len(images))
    if count == 0:
        return None
    # Long class names (Fashion-MNIST's "T-shirt/top") need wider columns than characters do.
    longest = max(len(row[k]) for row in rows[:count] for k in ("true", "predicted", "top1", "top2",
                                                                  "top3") if row.get(k))
    column_width = 2.15 if longest <= 3 else 2.15 + 0.09 * longest
    fig = plt.figure(figsize=(column_width * count + 0.4, 4.9), dpi=DPI, layout="constrained")
    grid = fig.add_gridspec(2, count, height_ratios=[1.55, 1])
    wrong = 0
    for i in range(count):
        row = rows[i]
        correct = row["true"] == row["predicted"]
        wrong += not correct
        ax = fig.add_subplot(grid[0, i])
        show_image(ax, images[i])
        ax.set_title(f"true '{plain(row['true'])}'\npredicted '{plain(row['predicted'])}'",
                     fontsize=11, color=RIGHT if correct else WRONG)
        top = [(row[f"top{k}"], number(row[f"p{k}"])) for k in (1, 2, 3) if row.get(f"top{k}")]
        bars = fig.add_subplot(grid[1, i])
        y = np.arange(len(top))
        bars.barh(y, [p for _, p in top], color=[
            (RIGHT if name == row["true"] else WRONG) if k == 0 else "#9e9e9e"
            for k, (name, _) in enumerate(top)
        ])
        bars.set_yticks(y, [f"'{plain(name)}'" for name, _ in top], fontsize=10)
        bars.invert_yaxis()
        bars.set_xlim(0, 1.35)
        bars.set_xticks([0, 0.5, 1], ["0", "50%", "100%"], fontsize=8)
        for k, (_, p) in enumerate(top):
            bars.text(p + 0.03, k, f"{100 * p:.1f}%", va="center", fontsize=9)
        for side in ("top", "right"):
            bars.spines[side].set_visible(False)
        if i == 0:
            bars.set_ylabel("top 3", fontsize=10)
    fig.suptitle(f"The first {count} {split_name(split)} images: true and predicted class, "
                 "top-3 probabilities", fontsize=12)
    return Drawing(fig, f"The first {count} images of the {split_name(split)} split "
                        f"(predictions_{split}.csv's first rows): {count - wrong} right, "
                        f"{wrong} wrong.")


def figures() -> list[FigureSpec]:
    specs = [
        FigureSpec("loss.png", "Loss", lambda run: draw_curves(run, "loss")),
        FigureSpec("accuracy.png", "Accuracy", lambda run: draw_curves(run, "accuracy")),
    ]
    for split in ("val", "test"):
        specs.append(FigureSpec(f"confusion_{split}.png",
                                f"Confusion matrix ({split_name(split)})",
                                lambda run, s=split: draw_confusion(run, s)))
    specs += [
        FigureSpec("samples.png", "Training images", draw_samples),
        FigureSpec("predictions.png", "Predictions", draw_predictions),
    ]
    return specs


# ---- files --------------------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes) -> None:
    """Temporary file beside the target, fsync, rename: never a half-written file under `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def png_bytes(fig: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    # A margin, so that titles and labels do not touch the edge of the image.
    fig.get_layout_engine().set(w_pad=0.12, h_pad=0.12)
    # No timestamp in the PNG: the same run gives the same bytes.
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def image_png(image: np.ndarray, scale: int = 3) -> bytes:
    big = np.kron(255 - image, np.ones((scale, scale), dtype=np.uint8))  # ink dark, crisp pixels
    buffer = io.BytesIO()
    plt.imsave(buffer, big, cmap="gray", vmin=0, vmax=255, format="png")
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# ---- the page -----------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1200px; padding: 1.5rem 2rem 3rem; color: #1d1d1f;
       background: #fff; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd;
     padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
.sub { color: #555; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 1rem 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 0.9rem; min-width: 8rem; }
.card .k { color: #666; font-size: 0.8rem; } .card .v { font-size: 1.25rem; font-weight: 600; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: right; }
th { background: #f4f4f6; } td.l, th.l { text-align: left; }
tr.sep td { border-top: 2px solid #999; }
figure { margin: 0.5rem 0 1.5rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.9rem; max-width: 60rem; }
img.digit { width: 56px; height: 56px; image-rendering: pixelated; border: 1px solid #ccc; }
.right { color: #1a7f37; font-weight: 600; } .wrong { color: #c62828; font-weight: 600; }
pre { background: #f6f8fa; border: 1px solid #ddd; padding: 0.8rem; overflow-x: auto;
      font-size: 0.85rem; }
nav a { margin-right: 1rem; }
.reports { display: flex; flex-wrap: wrap; gap: 0 2.5rem; align-items: flex-start; }
"""


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def fmt(value, digits: int = 4) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.{digits}f}"
    return "" if value is None else str(value)


def table(header: list[str], rows: list[list[str]], left: int = 1,
          sep_from: Optional[int] = None) -> str:
    """An HTML table; the first `left` columns left-aligned; a rule above row `sep_from`."""
    out = ["<table><thead><tr>"]
    out += [f'<th class="{"l" if i < left else ""}">{esc(h)}</th>' for i, h in enumerate(header)]
    out.append("</tr></thead><tbody>")
    for r, row in enumerate(rows):
        out.append('<tr class="sep">' if r == sep_from else "<tr>")
        out += [f'<td class="{"l" if i < left else ""}">{cell}</td>' for i, cell in enumerate(row)]
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def cards_html(run: Run) -> str:
    s = run.summary or {}
    metrics = s.get("metrics", {})
    items = []
    for split in ("test", "val"):
        m = metrics.get(split) or {}
        if m.get("accuracy") is not None:
            items.append((f"{split_name(split)} accuracy", f"{100 * m['accuracy']:.2f}%"))
            items.append((f"{split_name(split)} macro F1", f"{m['macro_f1']:.4f}"))
            if m.get("balanced_accuracy") is not None:
                items.append((f"{split_name(split)} balanced accuracy",
                              f"{100 * m['balanced_accuracy']:.2f}%"))
    for key, label, show in (
        ("parameters", "parameters", lambda v: f"{v:,}"),
        ("epochs", "epochs", str),
        ("training_seconds", "training time", lambda v: f"{v:.1f} s"),
        ("samples_per_second", "samples / s", lambda v: f"{v:,.0f}"),
        ("device", "device", str),
    ):
        if s.get(key) is not None:
            items.append((label, show(s[key])))
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="k">{esc(k)}</div><div class="v">{esc(v)}</div></div>'
        for k, v in items
    ) + "</div>"


def metrics_html(run: Run) -> str:
    if not run.metrics:
        return "<p>No epochs finished (metrics.csv is absent).</p>"
    header = ["epoch", "lr", "train loss", "train accuracy", "val loss", "val accuracy", "seconds",
              "samples/s"]
    keys = ["epoch", "lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds",
            "samples_per_second"]
    rows = []
    for m in run.metrics:
        row = []
        for k in keys:
            v = m.get(k, math.nan)
            if k == "epoch":
                row.append(str(int(v)))
            elif k == "lr":
                row.append("" if math.isnan(v) else f"{v:.3g}")
            elif k == "samples_per_second":
                row.append("" if math.isnan(v) else f"{v:,.0f}")
            elif k == "seconds":
                row.append(fmt(v, 1))
            else:
                row.append(fmt(v))
        rows.append(row)
    return table(header, rows)


def report_table_html(rows: list[dict[str, str]]) -> str:
    """As scikit-learn prints it, with three decimals instead of the file's six."""
    body, sep = [], None
    for i, r in enumerate(rows):
        if r["class"] in ("accuracy", "macro avg", "weighted avg") and sep is None:
            sep = i
        scores = [fmt(number(r[k]), 3) for k in ("precision", "recall", "f1")]
        body.append([esc(r["class"])] + scores + [esc(r["support"])])
    return table(["class", "precision", "recall", "f1", "support"], body, sep_from=sep)


def predictions_html(run: Run) -> str:
    split = run.prediction_split
    if split is None:
        return "<p>No predictions with images in this run directory.</p>"
    rows, images = run.predictions[split], run.prediction_images[split]
    body = []
    for row, image in zip(rows, images):
        correct = row["true"] == row["predicted"]
        top = ", ".join(
            f"'{esc(row[f'top{k}'])}' {100 * number(row[f'p{k}']):.1f}%"
            for k in (1, 2, 3) if row.get(f"top{k}")
        )
        body.append([
            esc(row["index"]),
            f'<img class="digit" alt="image {esc(row["index"])}" '
            f'src="{data_uri(image_png(image))}">',
            esc(row["true"]),
            f'<span class="{"right" if correct else "wrong"}">{esc(row["predicted"])}</span>',
            top,
        ])
    return (f"<p>The first {len(body)} rows of predictions_{split}.csv ({split_name(split)} "
            "split); index is the image's position in the dataset as loaded.</p>"
            + table(["index", "image", "true", "predicted", "top 3"], body, left=5))


def page_html(run: Run, drawn: list[tuple[FigureSpec, Drawing, bytes]]) -> str:
    s = run.summary or {}
    title = f"emnist run {run.dir.resolve().name}"
    subtitle = " · ".join(
        esc(x) for x in (s.get("dataset"), s.get("model") and f"{s['model']} model",
                         s.get("classes") and f"{s['classes']} classes",
                         s.get("optimizer"), s.get("commit") and f"commit {s['commit'][:12]}")
        if x
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # An empty icon: else a browser asks for favicon.ico, and offline that is an error.
        '<link rel="icon" href="data:,">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="sub">{subtitle}</p>',
        '<nav><a href="#metrics">Metrics</a><a href="#plots">Plots</a>'
        '<a href="#predictions">Predictions</a><a href="#report">Classification report</a>'
        '<a href="#config">Configuration</a></nav>',
        cards_html(run),
        '<h2 id="metrics">Metrics per epoch</h2>',
        metrics_html(run),
        '<h2 id="plots">Plots</h2>',
    ]
    for spec, drawing, png in drawn:
        parts.append(
            f"<h3>{esc(spec.title)}</h3><figure>"
            f'<img src="{data_uri(png)}" alt="{esc(spec.title)}">'
            f"<figcaption>{esc(drawing.caption)} (plots/{esc(spec.file)})</figcaption></figure>"
        )
    if not drawn:
        parts.append("<p>No plots: the run directory holds none of their inputs yet.</p>")
    parts += ['<h2 id="predictions">Predictions</h2>', predictions_html(run),
              '<h2 id="report">Classification report</h2>']
    reports = [
        f"<div><h3>{split_name(split).capitalize()} split (report_{split}.csv)</h3>"
        f"{report_table_html(run.report[split])}</div>"
        for split in ("test", "val", "train") if split in run.report
    ]
    # Side by side: one class per row in each, so the splits compare at a glance.
    parts.append(f'<div class="reports">{"".join(reports)}</div>' if reports else
                 "<p>No classification report in this run directory.</p>")
    parts += ['<h2 id="config">Configuration (config.toml)</h2>',
              f"<pre>{esc(run.config_text)}</pre>", "</body></html>", ""]
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="a run directory of `emnist train`")
    args = parser.parse_args()
    try:
        run = load_run(args.run_dir)
    except RunError as e:
        print(f"plot_run.py: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"plot_run.py: {args.run_dir}: {e.strerror}: {e.filename}", file=sys.stderr)
        return 2
    plots = run.dir / "plots"
    # Everything is drawn before anything is written: a failure leaves the old plots and page whole.
    drawn = []
    for spec in figures():
        drawing = spec.draw(run)
        if drawing is not None:
            drawn.append((spec, drawing, png_bytes(drawing.figure)))
    page = page_html(run, drawn).encode("utf-8")
    try:
        plots.mkdir(exist_ok=True)
        for spec, _, png in drawn:
            write_atomic(plots / spec.file, png)
            print(f"wrote {plots / spec.file}")
        write_atomic(run.dir / "report.html", page)
    except OSError as e:  # a read-only or full disk: the user's to fix, not a bug
        print(f"plot_run.py: {e.filename or run.dir}: cannot write: {e.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {run.dir / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
