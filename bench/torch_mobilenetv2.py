"""MobileNetV2 forward throughput with Debian's PyTorch on the CPU, the
baseline for eigenlab's imported nsfwjs MobileNetV2 (BENCHMARKS.md).

torchvision's mobilenet_v2 (width 1.0, 224x224) with random weights: the
same architecture and FLOPs as the Keras backbone (the classifier head
differs and is negligible). Inference mode, float32, batch images per
forward, THREADS threads (default 2). Prints images/s per round.

Install (big: ~1 GB with dependencies; never done by make test):
    apt-get install -y --no-install-recommends python3-torch python3-torchvision
Run with Debian's interpreter:
    /usr/bin/python3 bench/torch_mobilenetv2.py [batch] [rounds]
"""
import os
import sys
import time

import torch
import torchvision

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 8
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
torch.set_num_threads(int(os.environ.get("THREADS", "2")))
torch.manual_seed(0)
net = torchvision.models.mobilenet_v2(weights=None).eval()
x = torch.rand(batch, 3, 224, 224)
with torch.inference_mode():
    net(x)  # warm-up: oneDNN primitive creation
    for r in range(rounds):
        t = time.perf_counter()
        net(x)
        dt = time.perf_counter() - t
        print(f"torch {torch.__version__} threads {torch.get_num_threads()} batch {batch}: "
              f"{dt:.3f} s, {batch / dt:.1f} images/s")
