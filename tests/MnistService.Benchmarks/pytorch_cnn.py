"""A small convolutional network trained in PyTorch: how far a classifier stronger than any MLP takes the number reader.

Not a model of the product (its networks are our own code): a measurement. It trains conv 5x5 (C1) - max pool 2 -
conv 5x5 (C2) - max pool 2 - dense F1 (relu, dropout 0.3) - dense 10 on MNIST's 60,000 training digits, each batch
distorted afresh as the trainer's distorted recipe does (rotation ±10°, scale 0.92-1.08, shear ±6°, shift ±2 px), with
label smoothing 0.1 and a one-cycle learning rate peaking at 0.003 (Adam, batch 128), prints the test accuracy after
each epoch, and writes an ONNX model the service loads as any other (input 'image' [N,1,28,28], output
'probabilities' [N,10]; no digit detector). docs/reading-numbers.md says what the reader reads with it.

Usage, with Debian's python3-torch and the settings PyTorch needs on the 2 cores (OPENBLAS_CORETYPE matching the CPU):
  OMP_WAIT_POLICY=PASSIVE OPENBLAS_CORETYPE=ZEN /usr/bin/python3 pytorch_cnn.py MNIST_DIR OUT.onnx [EPOCHS=12] [C1,C2,F1=32,64,256]
"""
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pytorch_epoch import distort, read_idx  # the trainer's distortions and the IDX reader of the MLP baseline


def images(directory, name):
    return torch.from_numpy(read_idx(directory, name).astype(np.float32) / 255).view(-1, 1, 28, 28)


def labels(directory, name):
    return torch.from_numpy(read_idx(directory, name).astype(np.int64))


class ConvNet(nn.Module):
    def __init__(self, c1, c2, f1):
        super().__init__()
        self.c1 = nn.Conv2d(1, c1, 5, padding=2)
        self.c2 = nn.Conv2d(c1, c2, 5, padding=2)
        self.f1 = nn.Linear(c2 * 7 * 7, f1)
        self.f2 = nn.Linear(f1, 10)
        self.drop = nn.Dropout(0.3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.f2(self.drop(F.relu(self.f1(x.flatten(1)))))


class Probabilities(nn.Module):
    """The exported graph: softmax of the logits, as the service expects."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, image):
        return F.softmax(self.net(image), 1)


def main():
    directory, out = sys.argv[1], sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    c1, c2, f1 = (int(v) for v in (sys.argv[4] if len(sys.argv) > 4 else "32,64,256").split(","))
    torch.manual_seed(42)
    x_train, y_train = images(directory, "train-images-idx3-ubyte"), labels(directory, "train-labels-idx1-ubyte")
    x_test, y_test = images(directory, "t10k-images-idx3-ubyte"), labels(directory, "t10k-labels-idx1-ubyte")
    net = ConvNet(c1, c2, f1)
    print(f"conv {c1} - pool - conv {c2} - pool - {f1} - 10: {sum(p.numel() for p in net.parameters()):,} parameters, "
          f"{(25 * c1 * 784 + 25 * c1 * c2 * 196 + c2 * 49 * f1 + f1 * 10) / 1e6:.1f} M multiply-adds per image", flush=True)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.003)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.003, total_steps=epochs * ((len(x_train) + 127) // 128),
                                                   pct_start=0.3)
    for epoch in range(epochs):
        start = time.time()
        net.train()
        order = torch.randperm(len(x_train))
        for b in range(0, len(x_train), 128):
            batch = order[b:b + 128]
            loss = F.cross_entropy(net(distort(x_train[batch].view(-1, 784)).view(-1, 1, 28, 28)), y_train[batch], label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        net.eval()
        with torch.no_grad():
            read = torch.cat([net(x_test[b:b + 1000]).argmax(1) for b in range(0, len(x_test), 1000)])
        print(f"epoch {epoch + 1}/{epochs}: {time.time() - start:.0f} s, test accuracy {100 * (read == y_test).float().mean().item():.2f} %",
              flush=True)
    torch.onnx.export(Probabilities(net), torch.zeros(1, 1, 28, 28), out, input_names=["image"], output_names=["probabilities"],
                      dynamic_axes={"image": {0: "N"}, "probabilities": {0: "N"}}, opset_version=13)
    print("wrote", out)


if __name__ == "__main__":
    main()
