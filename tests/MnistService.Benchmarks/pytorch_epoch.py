"""The tutorial's model in PyTorch, as the external baseline of EpochBenchmark.

Run by the benchmark with Debian's python3-torch (/usr/bin/python3): it loads MNIST once, then trains one
epoch (48,000 images, batch 128, Adam, dropout 0.3, then the forward pass over the 12,000 validation
images) every time a line "epoch" arrives on stdin, and answers "done <seconds>".
Usage: pytorch_epoch.py MNIST_DIR THREADS
"""
import gzip
import os
import sys
import time

import numpy as np
import torch
from torch import nn


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
    directory, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads if threads > 0 else os.cpu_count())
    torch.manual_seed(42)
    images = torch.from_numpy(read_idx(directory, "train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255)
    labels = torch.from_numpy(read_idx(directory, "train-labels-idx1-ubyte").astype(np.int64))
    split = int(len(labels) * 0.8)  # Keras's validation_split=0.2 takes the end
    x_train, y_train, x_val, y_val = images[:split], labels[:split], images[split:], labels[split:]

    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.3),
                          nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits

    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "epoch":
            break
        start = time.perf_counter()
        model.train()
        order = torch.randperm(split)
        for i in range(0, split, 128):
            idx = order[i:i + 128]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_accuracy = (model(x_val).argmax(1) == y_val).float().mean().item()
        print(f"done {time.perf_counter() - start:.4f} {val_accuracy:.4f}", flush=True)


if __name__ == "__main__":
    main()
