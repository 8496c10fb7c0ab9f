"""The tutorial's model in PyTorch, as the external baseline of EpochBenchmark.

Run by the benchmark with Debian's python3-torch (/usr/bin/python3): it loads MNIST once, then trains one
epoch (48,000 images, batch 128, Adam, dropout 0.3, then the forward pass over the 12,000 validation
images) every time a line "epoch" arrives on stdin, and answers "done <seconds>".
With AUGMENT "affine" it trains as the trainer's distorted recipe does: every batch distorted afresh
(rotation ±10°, scale 0.92-1.08, shear ±6°, shift ±2 px; affine_grid + grid_sample, bilinear, zeros
outside), label smoothing 0.1 and a one-cycle learning rate peaking at 0.003.
Usage: OPENBLAS_NUM_THREADS=N pytorch_epoch.py MNIST_DIR [none|affine]
"""
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def distort(batch):
    """Each image through its own random affine map, as ImageDistorter's: q = A^-1 (p - c - t) + c."""
    n = batch.shape[0]
    angle = torch.deg2rad((torch.rand(n) * 2 - 1) * 10)
    scale = 1 + (torch.rand(n) * 2 - 1) * 0.08
    shear = torch.tan(torch.deg2rad((torch.rand(n) * 2 - 1) * 6))
    shift = (torch.rand(n, 2) * 2 - 1) * 2 * (2 / 28)  # pixels in grid_sample's [-1, 1] coordinates
    cos, sin = torch.cos(angle), torch.sin(angle)
    inverse = torch.stack([torch.stack([sin * shear + cos, -(cos * shear - sin)], 1),
                           torch.stack([-sin, cos], 1)], 1) / scale[:, None, None]
    theta = torch.cat([inverse, -(inverse @ shift[:, :, None])], 2)
    images = batch.view(n, 1, 28, 28)
    grid = F.affine_grid(theta, images.shape, align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False).view(n, 784)


def product_gflops():
    """The median speed of 128x784 times 784x256, as nn.Linear computes it (through the BLAS's sgemm)."""
    a, w = torch.randn(128, 784), torch.randn(256, 784)
    times = []
    for _ in range(25):
        start = time.perf_counter()
        F.linear(a, w)
        times.append(time.perf_counter() - start)
    return 2 * 128 * 784 * 256 / sorted(times)[len(times) // 2] / 1e9


def read_idx(directory, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise FileNotFoundError(f"{name} not found in {directory}")


def main():
    directory = sys.argv[1]
    augment = (sys.argv[2] if len(sys.argv) > 2 else "none") == "affine"
    # The matrix products run on OpenBLAS's threads (OPENBLAS_NUM_THREADS, which the benchmark sets). torch's
    # own OpenMP threads would only split the element-wise steps, too small at batch 128 to gain from it:
    # measured here, two of them cost more CPU and no less time.
    torch.set_num_threads(1)
    torch.manual_seed(42)
    images = torch.from_numpy(read_idx(directory, "train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255)
    labels = torch.from_numpy(read_idx(directory, "train-labels-idx1-ubyte").astype(np.int64))
    split = int(len(labels) * 0.8)  # Keras's validation_split=0.2 takes the end
    x_train, y_train, x_val, y_val = images[:split], labels[:split], images[split:], labels[split:]

    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.3),
                          nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1 if augment else 0.0)  # softmax + cross-entropy on the logits
    # A long cycle, so that every benchmarked epoch steps it as a run of the recipe would.
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=1_000_000, pct_start=0.3) if augment else None

    print(f"ready {product_gflops():.1f}", flush=True)
    for line in sys.stdin:
        if line.strip() != "epoch":
            break
        start, cpu_start = time.perf_counter(), time.process_time()
        model.train()
        order = torch.randperm(split)
        for i in range(0, split, 128):
            idx = order[i:i + 128]
            batch = distort(x_train[idx]) if augment else x_train[idx]
            optimizer.zero_grad()
            loss = loss_fn(model(batch), y_train[idx])
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
        model.eval()
        with torch.no_grad():
            val_accuracy = (model(x_val).argmax(1) == y_val).float().mean().item()
        cpu = time.process_time() - cpu_start
        print(f"done {time.perf_counter() - start:.4f} {val_accuracy:.4f} {cpu:.4f}", flush=True)


if __name__ == "__main__":
    main()
