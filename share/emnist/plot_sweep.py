#!/usr/bin/env python3
"""The figure of a sweep directory of `emnist sweep`: validation accuracy per value of each axis.

    /usr/bin/python3 tools/plot_sweep.py SWEEP_DIR

`emnist sweep` runs this at the end (and after a merge). It reads SWEEP_DIR/sweep.json (the axes)
and SWEEP_DIR/trials.csv (one row per trial) and writes SWEEP_DIR/plots/axes.png atomically: one
panel per axis, every trial that has a result as a point at its value of that axis (mean over
the folds, with the standard deviation as an error bar), the best trial starred.

Exit codes: 0 done; 2 SWEEP_DIR is not a sweep directory or a file is malformed (one line on
stderr); 1 anything else.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Optional

from plot_run import DPI, plain, png_bytes, read_csv, write_atomic  # same folder

import matplotlib.pyplot as plt  # noqa: E402  (plot_run chose the backend)
import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402

DONE, PRUNED, BEST = "#1f77b4", "#9e9e9e", "#d62728"


class SweepError(Exception):
    """The directory or one of its files is not what `emnist sweep` writes (exit code 2)."""


def number(text: str) -> float:
    return float(text) if text.strip() else math.nan


def load(sweep_dir: Path) -> tuple[dict, list[dict[str, str]]]:
    try:
        record = json.loads((sweep_dir / "sweep.json").read_text(encoding="utf-8"))
        rows = read_csv(sweep_dir / "trials.csv")
    except FileNotFoundError as e:
        raise SweepError(f"{e.filename}: not found; is {sweep_dir} a sweep directory?") from e
    except json.JSONDecodeError as e:
        raise SweepError(f"{sweep_dir / 'sweep.json'}: not valid JSON ({e})") from e
    for axis in record.get("axes", []):
        if rows and axis["name"] not in rows[0]:
            raise SweepError(f"{sweep_dir / 'trials.csv'}: no column for the axis {axis['name']}")
    return record, rows


def category_order(record: dict, name: str, rows: list[dict[str, str]]) -> list[str]:
    """The axis's values in the order the sweep planned them (its file's order)."""
    index = [a["name"] for a in record["axes"]].index(name)
    order: list[str] = []
    for trial in record.get("trials", []):
        value = trial["values"][index]
        if value not in order:
            order.append(value)
    for row in rows:
        if row[name] not in order:
            order.append(row[name])
    return order


def focus(rows: list[dict[str, str]]) -> Optional[tuple[float, float]]:
    """The accuracy range of the finished trials, padded: a trial stopped early far below them
    would otherwise squash the differences that matter into one line."""
    lows, highs = [], []
    for r in rows:
        mean, std = number(r["val_accuracy_mean"]), number(r["val_accuracy_std"])
        if r["status"] == "done" and math.isfinite(mean):
            std = std if math.isfinite(std) else 0.0
            lows.append(mean - std)
            highs.append(mean + std)
    if not lows:
        return None
    pad = max(0.01, 0.15 * (max(highs) - min(lows)))
    return min(lows) - pad, max(highs) + pad


def draw_axis(ax: plt.Axes, record: dict, axis: dict, rows: list[dict[str, str]],
              ylim: Optional[tuple[float, float]]) -> None:
    name, kind = axis["name"], axis["kind"]
    scored = [r for r in rows if r["status"] in ("done", "pruned")
              and math.isfinite(number(r["val_accuracy_mean"]))]
    best = next((r for r in scored if r["status"] == "done"), None)  # trials.csv: best first
    # In trial order here, so that the spread below is not a slope.
    scored.sort(key=lambda r: int(r["trial"]))
    numeric = kind in ("range", "log-range")
    if numeric:
        positions = {r[name]: float(r[name]) for r in scored}
        ax.set_xlabel(plain(name) + (" (log scale)" if kind == "log-range" else ""), fontsize=9)
        if kind == "log-range":
            ax.set_xscale("log")
    else:
        order = category_order(record, name, rows)
        positions = {value: float(i) for i, value in enumerate(order)}
        # Several trials share a value: spread them a little so that none hides another.
        counts: dict[str, int] = {}
        offsets = {}
        for r in scored:
            counts[r[name]] = counts.get(r[name], 0) + 1
        seen: dict[str, int] = {}
        for r in scored:
            n, i = counts[r[name]], seen.get(r[name], 0)
            seen[r[name]] = i + 1
            offsets[id(r)] = 0.0 if n == 1 else (i / (n - 1) - 0.5) * min(0.4, 0.06 * n)
    for status, colour, face in (("done", DONE, DONE), ("pruned", PRUNED, "white")):
        group = [r for r in scored if r["status"] == status]
        if not group:
            continue
        x = np.array([positions[r[name]] + (0 if numeric else offsets[id(r)]) for r in group])
        y = np.array([number(r["val_accuracy_mean"]) for r in group])
        err = np.array([number(r["val_accuracy_std"]) for r in group])
        err = np.where(np.isfinite(err), err, 0.0)
        below = y < ylim[0] if ylim else np.zeros(len(y), dtype=bool)
        ax.errorbar(x[~below], y[~below], yerr=err[~below], fmt="o", color=colour,
                    markerfacecolor=face, ecolor=colour, elinewidth=1, capsize=3, markersize=6)
        # Below the shown range: a marker on the bottom edge, with its value.
        floor = ylim[0] + 0.04 * (ylim[1] - ylim[0]) if ylim else 0.0
        for xi, yi in zip(x[below], y[below]):
            ax.plot([xi], [floor], marker="v", color=colour, markerfacecolor=face,
                    linestyle="none", markersize=7)
            ax.annotate(f"{yi:.1%}", (xi, floor), textcoords="offset points", xytext=(6, -3),
                        fontsize=8, color=colour)
    if not numeric:
        # The best mean at each value, as a short bar: the axis's effect at a glance.
        for value, x in positions.items():
            ys = [number(r["val_accuracy_mean"]) for r in scored
                  if r[name] == value and r["status"] == "done"]
            if ys:
                ax.hlines(max(ys), x - 0.28, x + 0.28, color=DONE, linewidth=2, alpha=0.35)
        ax.set_xticks(list(positions.values()))
        labels = [plain(v) for v in positions]
        long = max((len(v) for v in labels), default=0) > 8 or len(labels) > 5
        ax.set_xticklabels(labels, rotation=25 if long else 0, ha="right" if long else "center",
                           fontsize=9)
        ax.set_xlim(-0.6, len(positions) - 0.4)
    if best is not None:
        bx = positions[best[name]] + (0 if numeric else offsets[id(best)])
        ax.plot([bx], [number(best["val_accuracy_mean"])], marker="*", markersize=15,
                color=BEST, linestyle="none", zorder=5)
    ax.set_title(plain(name), fontsize=11)
    ax.set_ylabel("validation accuracy", fontsize=9)
    ax.yaxis.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=1))
    ax.grid(True, axis="y", alpha=0.3)


def draw(record: dict, rows: list[dict[str, str]]) -> plt.Figure:
    axes = record["axes"]
    cols = min(3, len(axes))
    nrows = math.ceil(len(axes) / cols)
    fig, grid = plt.subplots(nrows, cols, figsize=(4.6 * cols, 3.6 * nrows + 0.6), dpi=DPI,
                             layout="constrained", squeeze=False, sharey=True)
    ylim = focus(rows)
    for i, axis in enumerate(axes):
        draw_axis(grid[i // cols][i % cols], record, axis, rows, ylim)
        if ylim:
            grid[i // cols][i % cols].set_ylim(*ylim)
    for j in range(len(axes), nrows * cols):
        grid[j // cols][j % cols].set_visible(False)
    done = sum(r["status"] == "done" for r in rows)
    pruned = sum(r["status"] == "pruned" for r in rows)
    counts = f"{done} trials" + (f", {pruned} stopped after fold 1" if pruned else "")
    # The key as a second title line: a legend inside a panel would hide points.
    key = ("filled dot: a trial's mean ± std over the folds;  bar: the best mean at that value;  "
           "red star: the best trial" + (";  hollow: stopped after fold 1" if pruned else "")
           + (";  ▼: below the range shown" if ylim and any(
               number(r["val_accuracy_mean"]) < ylim[0] for r in rows) else ""))
    fig.suptitle(plain(f"Sweep {record['name']} ({record['mode']}, {record['folds']}-fold "
                       f"cross-validation, {counts}): validation accuracy per axis value")
                 + "\n" + key, fontsize=11)
    return fig


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sweep_dir", type=Path, help="a sweep directory of `emnist sweep`")
    args = parser.parse_args()
    try:
        record, rows = load(args.sweep_dir)
    except SweepError as e:
        print(f"plot_sweep.py: {e}", file=sys.stderr)
        return 2
    if not record.get("axes"):
        print(f"plot_sweep.py: {args.sweep_dir / 'sweep.json'}: no axes", file=sys.stderr)
        return 2
    plots = args.sweep_dir / "plots"
    try:
        plots.mkdir(exist_ok=True)
        write_atomic(plots / "axes.png", png_bytes(draw(record, rows)))
    except OSError as e:
        print(f"plot_sweep.py: {e.filename or plots}: cannot write: {e.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {plots / 'axes.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
