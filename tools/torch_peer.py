#!/usr/bin/env python3
"""The PyTorch peer: trains DESIGN.md's reference MLP and CNN, and configs/resnet.toml's ResNet,
with the same batch size, optimizer (Adam, lr 1e-3), initialisation scheme (PyTorch's defaults,
which emnist copies) and thread count as `emnist bench`, and prints training samples per second in the same form, so the two can be run side
by side:

    build/emnist bench --device cpu --model mlp
    /usr/bin/python3 tools/torch_peer.py --device cpu --model mlp

Inputs are random images of the right shape (as `emnist bench` without --data), already in memory
(on the device for CUDA), so both sides time the training step alone.

--data DIR trains one real epoch instead, as `emnist train` does: the IDX files of DIR's training
split (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz: MNIST, Fashion-MNIST) held in
memory as uint8, shuffled, each batch normalised to x/255, the last partial batch dropped; the
first --warmup batches are trained but not timed, and samples/s is the rest of the epoch's count
over its time. tools/cpu_speed.py runs this beside `emnist train` (the fair peer, README).
--channels-last and --jit (torch.jit.trace of the model) are options a PyTorch user might try.

--compile trains the model under torch.compile(mode="reduce-overhead") (PyTorch 2 or later), which
also replays CUDA graphs: the strongest peer. On CUDA, Adam is the fused implementation where the
PyTorch version has it, in both modes. --tf32 allows TF32 in matmuls and cuDNN (default: strict
FP32, as `emnist bench --precision fp32`). Exit code 3: --compile asked of a PyTorch without it.
"""
import argparse
import gzip
import inspect
import os
import struct
import sys
import time
from pathlib import Path

import torch
from torch import nn


class Net(nn.Module):
    """The layers as one nn.Sequential named `layers`, so that state_dict names are emnist's
    (layers.0.weight, ...). The MLP flattens its input itself: its first layer is layers.0."""

    def __init__(self, layers: list[nn.Module], flatten_input: bool):
        super().__init__()
        self.layers = nn.Sequential(*layers)
        self.flatten_input = flatten_input

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.flatten(1) if self.flatten_input else x)


def activation(kind="relu", leaky_slope=0.01, elu_alpha=1.0) -> nn.Module:
    """model.activation as a module."""
    if kind == "relu":
        return nn.ReLU()
    if kind == "leaky_relu":
        return nn.LeakyReLU(leaky_slope)
    if kind == "elu":
        return nn.ELU(elu_alpha)
    raise ValueError(f"unknown activation {kind!r}")


def dense_blocks(width: int, hidden, dropout: float, act, norm=True) -> tuple[list[nn.Module], int]:
    """Linear, [BatchNorm1d], activation, [Dropout] per hidden width, as emnist builds them."""
    layers: list[nn.Module] = []
    for h in hidden:
        layers.append(nn.Linear(width, h, bias=not norm))
        if norm:
            layers.append(nn.BatchNorm1d(h))
        layers.append(act())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    return layers, width


def reference_mlp(classes: int, hidden=(512, 256, 128), dropout=0.2, act=nn.ReLU,
                  norm=True) -> nn.Module:
    layers, width = dense_blocks(28 * 28, hidden, dropout, act, norm)
    layers.append(nn.Linear(width, classes))
    return Net(layers, flatten_input=True)


def reference_cnn(classes: int, conv=(32, 32, "pool", 64, 64, "pool"), hidden=(256,),
                  dropout=0.3, kernel=3, size=28, act=nn.ReLU, norm=True) -> nn.Module:
    layers: list[nn.Module] = []
    channels = 1
    for item in conv:
        if item == "pool":
            layers.append(nn.MaxPool2d(2))
            size //= 2
        else:
            layers.append(nn.Conv2d(channels, item, kernel, padding=kernel // 2, bias=not norm))
            if norm:
                layers.append(nn.BatchNorm2d(item))
            layers.append(act())
            channels = item
    layers.append(nn.Flatten())
    head, width = dense_blocks(channels * size * size, hidden, dropout, act, norm)
    layers += head
    layers.append(nn.Linear(width, classes))
    return Net(layers, flatten_input=False)


class ResidualBlock(nn.Module):
    """He et al.'s basic block, named as emnist names it: body (conv 3x3 at the block's stride, BN,
    activation, conv 3x3, BN) plus shortcut (the identity, or a strided 1x1 conv and BN where the
    shape changes), then the activation."""

    def __init__(self, channels: int, out: int, stride: int, act=nn.ReLU):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(out), act(),
            nn.Conv2d(out, out, 3, padding=1, bias=False), nn.BatchNorm2d(out))
        self.shortcut = nn.Sequential()
        if stride != 1 or out != channels:
            self.shortcut = nn.Sequential(nn.Conv2d(channels, out, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out))
        self.act = act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.shortcut(x))


def reference_resnet(classes: int, stem=32, stages=(32, 64, 128), blocks=(2, 2, 2),
                     strides=(1, 2, 2), hidden=(), dropout=0.2, act=nn.ReLU,
                     pooling="average") -> nn.Module:
    """configs/resnet.toml's network (model.kind = "resnet"; its defaults are these). pooling
    "none" flattens the last stage's map into the head (model.pooling)."""
    layers: list[nn.Module] = [nn.Conv2d(1, stem, 3, padding=1, bias=False),
                               nn.BatchNorm2d(stem), act()]
    channels = stem
    for width, count, stride in zip(stages, blocks, strides):
        for b in range(count):
            layers.append(ResidualBlock(channels, width, stride if b == 0 else 1, act))
            channels = width
    features = channels
    if pooling == "average":
        layers.append(nn.AdaptiveAvgPool2d(1))
    else:
        side = 28
        for stride in strides:
            side = (side + stride - 1) // stride
        features = channels * side * side
    layers.append(nn.Flatten())
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    head, width = dense_blocks(features, hidden, dropout, act)
    layers += head
    layers.append(nn.Linear(width, classes))
    return Net(layers, flatten_input=False)


BUILDERS = {"mlp": reference_mlp, "cnn": reference_cnn, "resnet": reference_resnet}


def read_idx(path: Path) -> torch.Tensor:
    """An IDX file of unsigned bytes (images [n, rows, cols] or labels [n]), gzip or not."""
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    magic, = struct.unpack(">I", raw[:4])
    if magic >> 8 != 0x08:
        sys.exit(f"peer: {path}: not an IDX file of unsigned bytes (magic {magic:#010x})")
    dims = struct.unpack(f">{magic & 0xFF}I", raw[4:4 + 4 * (magic & 0xFF)])
    data = torch.frombuffer(bytearray(raw[4 + 4 * len(dims):]), dtype=torch.uint8)
    return data.reshape(dims)


def load_training_split(folder: Path) -> tuple[torch.Tensor, torch.Tensor]:
    def find(stem: str) -> Path:
        for name in (stem + ".gz", stem):
            if (folder / name).is_file():
                return folder / name
        sys.exit(f"peer: {folder}: no {stem}[.gz]; give a folder with MNIST-style IDX files")
    images = read_idx(find("train-images-idx3-ubyte"))
    labels = read_idx(find("train-labels-idx1-ubyte")).long()
    return images.unsqueeze(1).contiguous(), labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=sorted(BUILDERS), default="cnn")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=50, help="timed steps, after warm-up")
    parser.add_argument("--warmup", type=int, default=5)
    # emnist uses one OpenMP thread per core (OMP_NUM_THREADS overrides); so does the peer.
    parser.add_argument("--threads", type=int,
                        default=int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)),
                        help="CPU threads (default: OMP_NUM_THREADS, else one per core)")
    parser.add_argument("--classes", type=int, default=47)
    parser.add_argument("--tf32", action="store_true", help="allow TF32 (default: strict FP32)")
    parser.add_argument("--compile", action="store_true",
                        help='train under torch.compile(mode="reduce-overhead")')
    parser.add_argument("--data", type=Path, help="train one real epoch of this IDX folder")
    parser.add_argument("--channels-last", action="store_true", help="channels_last memory format")
    parser.add_argument("--jit", action="store_true", help="torch.jit.trace the model")
    parser.add_argument("--bf16", action="store_true",
                        help="forward and loss under torch.autocast(dtype=torch.bfloat16): "
                             "convolutions and matrix products in bfloat16, weights fp32")
    args = parser.parse_args()
    if args.compile and not hasattr(torch, "compile"):
        print(f"peer: torch.compile needs PyTorch 2 or later; this is {torch.__version__}", file=sys.stderr)
        sys.exit(3)

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
    torch.manual_seed(1)
    data = load_training_split(args.data) if args.data is not None else None
    if data is not None:
        args.classes = int(data[1].max()) + 1
    device = torch.device(args.device)
    model = BUILDERS[args.model](args.classes).to(device)
    fused = args.device == "cuda" and "fused" in inspect.signature(torch.optim.Adam).parameters
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, **({"fused": True} if fused else {}))
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    forward = torch.compile(model, mode="reduce-overhead") if args.compile else model
    if args.jit:
        forward = torch.jit.trace(model, torch.rand(args.batch, 1, 28, 28, device=device))
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(args.batch, 1, 28, 28, device=device).contiguous(memory_format=memory_format)
    y = torch.randint(0, args.classes, (args.batch,), device=device)
    if data is not None:
        epoch(args, data, model, forward, optimizer, loss_fn, memory_format)
        return

    def step() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        with autocast(args):
            loss = loss_fn(forward(x), y)
        loss.backward()
        optimizer.step()
        return loss

    model.train()
    # torch.compile compiles and records its graphs during the first steps: warm up longer.
    for _ in range(args.warmup * (4 if args.compile else 1)):
        step()
    if args.device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    if args.device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    params = sum(p.numel() for p in model.parameters())
    mode = "compile(reduce-overhead)" if args.compile else "eager"
    precision = "bf16 autocast" if args.bf16 else "tf32" if args.tf32 else "fp32"
    print(f"peer: pytorch {torch.__version__}, device {args.device}, threads "
          f"{torch.get_num_threads()}, model {args.model} ({params} parameters), batch {args.batch}, "
          f"{mode}, {precision}{options_text(args, fused=fused)}")
    print(f"training samples/s: {args.steps * args.batch / seconds:.1f}")
    print(f"time per step: {1000 * seconds / args.steps:.3f} ms")


def options_text(args, fused=False, bf16=False) -> str:
    """The settings beyond the defaults that a run used, each after ", ", for its peer: line."""
    options = (("channels_last", args.channels_last), ("jit", args.jit), ("bf16 autocast", bf16),
               ("fused Adam", fused))
    return "".join(", " + name for name, on in options if on)


def autocast(args) -> torch.autocast:
    """bfloat16 autocast on the run's device when --bf16 asks for it, else a context that does
    nothing."""
    return torch.autocast(args.device, dtype=torch.bfloat16, enabled=args.bf16)


def epoch(args, data, model, forward, optimizer, loss_fn, memory_format) -> None:
    """One shuffled epoch of real images, timed after the warm-up batches."""
    images, labels = data
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(1))
    batches = len(labels) // args.batch
    if batches <= args.warmup:
        sys.exit(f"peer: {args.data}: {len(labels)} images make {batches} batches; need more than "
                 f"--warmup {args.warmup}")
    model.train()
    start = time.perf_counter()
    for b in range(batches):
        if b == args.warmup:
            start = time.perf_counter()
        rows = order[b * args.batch:(b + 1) * args.batch]
        x = (images[rows].float() / 255).contiguous(memory_format=memory_format)
        optimizer.zero_grad(set_to_none=True)
        with autocast(args):
            loss = loss_fn(forward(x), labels[rows])
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    samples = (batches - args.warmup) * args.batch
    print(f"peer: pytorch {torch.__version__}, device cpu, threads {torch.get_num_threads()}, "
          f"model {args.model}, batch {args.batch}, one epoch of {args.data} ({len(labels)} images, "
          f"{batches} batches, {args.warmup} untimed){options_text(args, bf16=args.bf16)}")
    print(f"training samples/s: {samples / seconds:.1f}")
    print(f"final batch loss: {loss.item():.4f}")


if __name__ == "__main__":
    main()
