#!/usr/bin/python3
"""One epoch of trainbench's seed CNN on MNIST in PyTorch, on the CPU.

The network is workload.SeedCNN, the Keras MNIST example CNN:

    conv 3x3x32 (valid) ReLU -> maxpool 2x2 -> conv 3x3x64 (valid) ReLU ->
    maxpool 2x2 -> flatten (1600) -> dense 128 ReLU -> dense 10 ->
    softmax cross-entropy

trained with Adam (lr 1e-3, betas 0.9 and 0.999, epsilon 1e-7, as SeedCNN
says) in float32 on pixels scaled to [0, 1].

It is timed the way `benchrun train` times an epoch: after a warm-up of a
few steps on a throwaway model, each repetition builds a fresh model (seeded
with SEED + repetition), shuffles the training set outside the timed region,
and times one epoch over all 60000 training images (the last batch may be
short): forward, loss, backward and the optimizer step. The test accuracy
is measured after the epoch, untimed.

Every repetition prints one line in the Go benchmark format, so benchstat
and `benchrun compare` read the output:

    BenchmarkTrain/net=seed-cnn/impl=pytorch/threads=T/batch=B[-T] 1 NS ns/op IMG images/s LOSS train-loss ACC %test-acc

Run it through scripts/pytorch-mnist.sh, which finds the data and sets the
environment. Needs Debian's python3-torch (PyTorch 1.13 on Debian 12).

Usage: mnist_cnn.py --data DIR [--batch 32] [--threads 1] [--reps 5] [--seed 1]
"""
import argparse
import gzip
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import blascheck


def read_idx(data, name):
    """Reads an idx file of unsigned bytes, gzipped or not."""
    path = os.path.join(data, name)
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an idx file of unsigned bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data):
    """Returns (train images, train labels, test images, test labels) as tensors, NCHW."""
    def images(name):
        x = read_idx(data, name).astype(np.float32) / 255.0
        return torch.from_numpy(x).unsqueeze(1).contiguous()

    def labels(name):
        return torch.from_numpy(read_idx(data, name).astype(np.int64))

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


class SeedCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 5 * 5, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def adam(model):
    return torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)


def train_epoch(model, opt, x, y, batch):
    """Trains one epoch over x, y in order; returns (seconds, mean loss)."""
    model.train()
    total, steps = 0.0, 0
    start = time.perf_counter()
    for i in range(0, x.shape[0], batch):
        opt.zero_grad()
        loss = F.cross_entropy(model(x[i:i + batch]), y[i:i + batch])
        loss.backward()
        opt.step()
        total += loss.item()
        steps += 1
    return time.perf_counter() - start, total / steps


def accuracy(model, x, y, batch):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / x.shape[0]


def warm_up(xtr, ytr, xte, batch, steps=30):
    """Runs a few steps on a throwaway model: first calls create oneDNN primitives and grow buffers."""
    torch.manual_seed(12345)
    model = SeedCNN()
    opt = adam(model)
    train_epoch(model, opt, xtr[:steps * batch], ytr[:steps * batch], batch)
    model.eval()
    with torch.no_grad():
        model(xte[:batch])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="folder with the MNIST idx files (optionally .gz)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5, help="epochs, each on a fresh model")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--header", action="store_true", help="print configuration lines first")
    args = ap.parse_args()
    if args.batch < 1 or args.threads < 1 or args.reps < 1:
        ap.error("--batch, --threads and --reps must be at least 1")

    torch.set_num_threads(args.threads)
    xtr, ytr, xte, yte = load(args.data)
    if tuple(xtr.shape) != (60000, 1, 28, 28) or tuple(xte.shape) != (10000, 1, 28, 28):
        sys.exit(f"mnist_cnn: unexpected MNIST shapes {tuple(xtr.shape)}, {tuple(xte.shape)}")

    blas = blascheck.require_fast_blas("mnist_cnn.py")
    if args.header:
        # Configuration lines of the Go benchmark format: key: value.
        print(f"pytorch: {torch.__version__}")
        print(f"numpy: {np.__version__}")
        print(f"python: {platform.python_version()}")
        print(f"blas: {blas}")
        # The environment that changes PyTorch's speed (OMP_NUM_THREADS is
        # the name's threads); keys stay the same across a run's lines.
        for k in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "GLIBC_TUNABLES"):
            print(f"env-{k.lower().replace('_', '-')}: {os.environ.get(k, '(unset)')}")
    warm_up(xtr, ytr, xte, args.batch)

    name = f"BenchmarkTrain/net=seed-cnn/impl=pytorch/threads={args.threads}/batch={args.batch}"
    if args.threads > 1:
        name += f"-{args.threads}"
    epochs = []
    for rep in range(args.reps):
        seed = args.seed + rep
        perm = torch.randperm(xtr.shape[0], generator=torch.Generator().manual_seed(seed))
        xs, ys = xtr[perm].contiguous(), ytr[perm].contiguous()
        torch.manual_seed(seed)
        model = SeedCNN()
        secs, loss = train_epoch(model, adam(model), xs, ys, args.batch)
        acc = accuracy(model, xte, yte, args.batch)
        epochs.append(secs)
        print(f"{name} 1 {secs * 1e9:.0f} ns/op {xs.shape[0] / secs:.1f} images/s "
              f"{loss:.4f} train-loss {100 * acc:.2f} %test-acc", flush=True)
    print(f"# threads={args.threads} batch={args.batch}: epoch median {statistics.median(epochs):.2f} s "
          f"(min {min(epochs):.2f}, max {max(epochs):.2f}, {len(epochs)} reps)", file=sys.stderr)


if __name__ == "__main__":
    main()
