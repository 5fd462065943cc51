#!/usr/bin/python3
"""emnist beside its fair PyTorch peer on the CPU (README, "Speed on the CPU"): one real training
epoch of the same IDX files on each side, the same reference model (or configs/resnet.toml's
network, trained plainly), batch 128, Adam (lr 1e-3), fp32 and thread count, run alternately,
with each side's training samples/s and peak resident memory, then the median ratio and its range.

    /usr/bin/python3 tools/cpu_speed.py --model cnn --threads 2 --rounds 4

emnist runs as shipped (`emnist train`, one epoch, no validation share; its figure is
metrics.csv's samples/s over the whole epoch, its first steps included), or with --emnist-set's
keys (train.precision=tf32: Winograd convolutions; train.precision=bf16: bfloat16 convolutions on
AMX, README "Training on the CPU"; its peer is --peer-arg=--bf16 --peer-arg=--channels-last,
PyTorch's fastest bfloat16 setting here). The peer is
tools/torch_peer.py --data: the same epoch with its first 5 batches untimed, in its best setting
on this machine by default (OMP_WAIT_POLICY=passive: its OpenMP and BLAS threads otherwise spin
against each other; for the ResNet also channels_last, which trains it about 1.17 times as fast
here); --peer-env and --peer-arg try others, and --peer-arg replaces the default arguments.
Both sides get OMP_NUM_THREADS. The first lines name the machine (the CPU, `emnist info`'s CPU
line, the peer's torch version and BLAS): a ratio holds for the machine it was measured on. A peer
whose torch loaded no OpenBLAS (the reference BLAS instead) is refused. Peak resident
memory is each process's own VmHWM (what /usr/bin/time -v prints for a process that starts no
others), sampled while it runs.
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_resident_mib(pid: int) -> float | None:
    """The process's own peak resident memory so far (VmHWM), or None once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def run(command: list[str], env: dict[str, str]) -> tuple[str, float]:
    """Runs a command to completion; returns its stdout and its own peak resident memory in MiB
    (VmHWM, read while it runs: the child processes it starts after training, emnist's plots, do
    not count, where /usr/bin/time -v would report the largest of them)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, peak_resident_mib(process.pid) or 0.0)
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        text = out.read().decode()
        if process.returncode != 0:
            sys.exit(f"cpu_speed: {' '.join(command)} failed (exit {process.returncode}):\n"
                     f"{err.read().decode()[-2000:]}")
    return text, peak


# configs/resnet.toml trains with cnn-best's recipe; the peer trains plainly (Adam at 1e-3, no
# augmentation, moving average or label smoothing), and so does emnist here.
PLAIN_TRAINING = {"resnet": ["train.lr=1e-3", "train.warmup_epochs=0", "train.ema=0",
                             "train.label_smoothing=0", "augment.rotation=0", "augment.scale=0",
                             "augment.shear=0", "augment.translate=0"]}


# The peer's fastest fp32 setting per model on this machine (README, "Speed on the CPU"): the
# ResNet gains from channels_last, the reference CNN loses (887 against 1,096 samples/s).
BEST_PEER_ARGS = {"resnet": ["--channels-last"]}


def emnist_epoch(args: argparse.Namespace, threads: int) -> tuple[float, float]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        _, peak = run([str(args.emnist), "--quiet", "train", "--config", str(ROOT / f"configs/{args.model}.toml"),
                       "--set", f"data.dataset={args.dataset}", "--data", str(args.data),
                       "--set", "data.val_fraction=0", "--set", "train.epochs=1",
                       *[a for s in PLAIN_TRAINING.get(args.model, []) for a in ("--set", s)],
                       *[a for s in args.emnist_set for a in ("--set", s)],
                       "--device", "cpu", "--out", str(run_dir)], env)
        with open(run_dir / "metrics.csv", newline="") as f:
            rows = list(csv.DictReader(f))
    return float(rows[-1]["samples_per_second"]), peak


def peer_epoch(args: argparse.Namespace, threads: int) -> tuple[float, float]:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    for setting in args.peer_env:
        key, _, value = setting.partition("=")
        env[key] = value
    out, peak = run([args.python, str(ROOT / "tools/torch_peer.py"), "--device", "cpu",
                     "--model", args.model, "--threads", str(threads), "--data", str(args.data),
                     *args.peer_arg], env)
    for line in out.splitlines():
        if line.startswith("training samples/s:"):
            return float(line.split(":")[1]), peak
    sys.exit(f"cpu_speed: the peer printed no samples/s:\n{out}")


def machine(args: argparse.Namespace) -> str:
    """What the figures were measured on: the CPU's name, what emnist's `info` says of its CPU
    backend, and the peer's torch version (the same network trains at other speeds elsewhere)."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    info = subprocess.run([str(args.emnist), "info"], capture_output=True, text=True).stdout
    backend = next((line[len("CPU: "):] for line in info.splitlines() if line.startswith("CPU: ")),
                   "no CPU line from emnist info")
    # The BLAS the peer's torch loaded: Debian's torch takes whichever libblas.so.3 the system
    # provides, and without libopenblas0 that is the reference BLAS, about 50 times slower at a
    # 1024-square product here (6.6 against 317 GFLOP/s): a peer its users would not run.
    probe = ("import torch\n"
             "libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.split()[-1]})\n"
             "print(torch.__version__, ' '.join(libs))")
    found = subprocess.run([args.python, "-c", probe], capture_output=True, text=True).stdout.split()
    if not found:
        sys.exit(f"cpu_speed: {args.python} cannot import torch (Debian: apt-get install python3-torch)")
    torch, blas = found[0], found[1:]
    if not any("openblas" in lib for lib in blas):
        sys.exit(f"cpu_speed: the peer's torch loaded no OpenBLAS ({' '.join(blas) or 'no BLAS'}): "
                 "its matrix products would run on the reference BLAS; install it "
                 "(apt-get install libopenblas0-pthread) for a fair peer")
    return f"{cpu}, {os.cpu_count()} CPUs; emnist: {backend}; torch {torch} with {blas[-1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["mlp", "cnn", "resnet"], default="cnn")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=4, help="pairs of runs (at least 4)")
    parser.add_argument("--emnist", type=Path, default=ROOT / "build/emnist")
    parser.add_argument("--python", default="/usr/bin/python3", help="the Python with torch")
    parser.add_argument("--data", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    parser.add_argument("--dataset", default="fashion-mnist", help="emnist's data.dataset for --data")
    parser.add_argument("--emnist-set", action="append", default=[],
                        help="KEY=VALUE for emnist's config (train.precision=tf32: Winograd convolutions)")
    parser.add_argument("--peer-env", action="append", default=None,
                        help="KEY=VALUE for the peer (default: OMP_WAIT_POLICY=passive)")
    parser.add_argument("--peer-arg", action="append", default=None,
                        help="an argument for torch_peer.py (--channels-last, --jit, --bf16), "
                             "written as --peer-arg=--bf16; replaces the model's default "
                             "(--channels-last for the ResNet, none otherwise)")
    args = parser.parse_args()
    if args.peer_env is None:
        args.peer_env = ["OMP_WAIT_POLICY=passive"]
    if args.peer_arg is None:
        args.peer_arg = BEST_PEER_ARGS.get(args.model, [])
    if args.rounds < 1:
        sys.exit("cpu_speed: --rounds must be at least 1")
    if not args.emnist.is_file():
        sys.exit(f"cpu_speed: {args.emnist}: no emnist binary (build it, or give --emnist)")

    print(f"{args.model}, {args.threads} thread(s), one epoch of {args.data}; emnist "
          f"{' '.join(args.emnist_set) or 'as shipped'}; peer {' '.join(args.peer_env + args.peer_arg)}",
          flush=True)
    print(f"machine: {machine(args)}", flush=True)
    print("round  emnist samples/s  peak MiB  |  pytorch samples/s  peak MiB  |  ratio", flush=True)
    ratios, ours, theirs = [], [], []
    for r in range(args.rounds):
        # Alternate which side goes first, so that neither always runs on a warmer machine.
        sides = [emnist_epoch, peer_epoch] if r % 2 == 0 else [peer_epoch, emnist_epoch]
        results = {side: side(args, args.threads) for side in sides}
        (a, a_peak), (b, b_peak) = results[emnist_epoch], results[peer_epoch]
        ours.append(a)
        theirs.append(b)
        ratios.append(a / b)
        print(f"{r + 1:5}  {a:16.1f}  {a_peak:8.1f}  |  {b:17.1f}  {b_peak:8.1f}  |  {a / b:5.2f}x",
              flush=True)
    print(f"median: emnist {statistics.median(ours):.1f}, pytorch {statistics.median(theirs):.1f}, "
          f"ratio {statistics.median(ratios):.2f}x (range {min(ratios):.2f}x to {max(ratios):.2f}x)")


if __name__ == "__main__":
    main()
