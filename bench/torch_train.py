#!/usr/bin/python3
"""One training epoch in PyTorch CPU (Debian python3-torch), the peer of stages/nn/train's
BenchmarkEpoch for bench/train_vs_torch.sh: the shallow MLP (784-2000-10) or the CNN of
NewCNN(1, 28, 28, [16, 32], [1000], 10) (conv3x3-ReLU-maxpool2 twice, dense 800-1000-ReLU,
dense 1000-10), SGD with lr 0.01 and momentum 0.9, batch 128, cross-entropy, on N uniform
random 28x28 samples with random labels in a random batch order, after a warm-up of two
batches; the thread count pinned with torch.set_num_threads.

Usage: torch_train.py mlp|cnn N threads [float32|float64]
Prints: <model> <dtype> <samples/s>
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def model(kind):
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 2000), nn.ReLU(), nn.Linear(2000, 10))
    return nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(32 * 5 * 5, 1000), nn.ReLU(), nn.Linear(1000, 10))


def epoch(m, opt, x, y, bs):
    perm = torch.randperm(len(y))
    for b0 in range(0, len(y), bs):
        idx = perm[b0:b0 + bs]
        opt.zero_grad()
        F.cross_entropy(m(x[idx]), y[idx]).backward()
        opt.step()


def main():
    kind, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    dtype = sys.argv[4] if len(sys.argv) > 4 else "float32"
    torch.set_num_threads(threads)
    torch.set_default_dtype(getattr(torch, dtype))
    torch.manual_seed(0)
    m = model(kind)
    x = torch.rand(n, 1, 28, 28)
    y = torch.randint(0, 10, (n,))
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    epoch(m, opt, x[:256], y[:256], 128)
    start = time.perf_counter()
    epoch(m, opt, x, y, 128)
    print(kind, dtype, n / (time.perf_counter() - start))


if __name__ == "__main__":
    main()
