#!/usr/bin/env python3
"""PyTorch peer of nnlab's training benchmark (tests/bench/bench_all.sh).

One training epoch of Fashion-MNIST (60 000 samples), in two pipelines:

  seed       as the seed's review notes write it: torchvision dataset with
             transform=ToTensor(), DataLoader(batch_size, shuffle=True),
             model(data.reshape(-1, 28*28)), zero_grad / backward / step.
  preloaded  the whole training set as one float tensor (x/255) made once,
             outside the timing; each epoch indexes it with a random
             permutation, batch by batch. Same model, loss and optimizer.

Models: seed = 784-64-10 Sigmoid, SGD lr 0.01, batch 32;
        large = 784-256-10 ReLU, Adam lr 1e-3, batch 128;
        scaling = the rows of bench_all.sh's scaling table, preloaded only:
        784-H-...-H-10 ReLU, Adam lr 1e-3, given as --rows
        "LAYERS:HIDDEN:BATCH:SAMPLES:EPOCHS,..." (the first SAMPLES training
        samples, EPOCHS passes each), one JSON line per row with its
        "layers", "hidden", "batch", "samples", per-pass "seconds" and
        "cpu_seconds" (the process's CPU time over each pass, all threads:
        above the seconds when PyTorch's BLAS runs threads of its own beside
        torch.set_num_threads); all rows in one process, so PyTorch's start-up
        is paid once.

Prints one JSON object per line:
  {"model", "pipeline", "threads", "seconds": [per epoch...], "test_acc", "torch"}
The test accuracy (after the last epoch, test loader batch 1000) is a sanity
check only: PyTorch's initial weights differ from nnlab's.

  /usr/bin/python3 tests/bench/torch_peer.py --data DIR --model seed \
      --pipeline seed --threads 1 [--epochs 1]
  /usr/bin/python3 tests/bench/torch_peer.py --data DIR --model scaling \
      --pipeline preloaded --threads 1 --rows 1:256:128:18333:2,3:64:32:59125:2

--threads 0 leaves PyTorch's default thread count alone. The IDX files (raw or
.gz) are copied, decompressed, into a temporary torchvision layout first
(untimed) and removed at exit.
"""
import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import time

FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def torchvision_layout(src, dst):
    """dst/FashionMNIST/raw/<the four files, decompressed>; returns dst."""
    raw = os.path.join(dst, "FashionMNIST", "raw")
    os.makedirs(raw)
    for name in FILES:
        plain, packed = os.path.join(src, name), os.path.join(src, name + ".gz")
        if os.path.exists(plain):
            shutil.copyfile(plain, os.path.join(raw, name))
        elif os.path.exists(packed):
            with gzip.open(packed, "rb") as f, open(os.path.join(raw, name), "wb") as g:
                shutil.copyfileobj(f, g)
        else:
            sys.exit("torch_peer: %s has neither %s nor %s.gz" % (src, name, name))
    return dst


def build(torch, model_name, layers=1, hidden=256, batch=128):
    nn, optim = torch.nn, torch.optim
    if model_name == "scaling":
        stack, width = [], 28 * 28
        for _ in range(layers):
            stack += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        model = nn.Sequential(*stack, nn.Linear(width, 10))
        return model, optim.Adam(model.parameters(), lr=1e-3), batch
    if model_name == "seed":
        model = nn.Sequential(nn.Linear(28 * 28, 64), nn.Sigmoid(), nn.Linear(64, 10))
        return model, optim.SGD(model.parameters(), lr=0.01), 32
    model = nn.Sequential(nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, 10))
    return model, optim.Adam(model.parameters(), lr=1e-3), 128


def preloaded_epoch(torch, model, optimizer, loss_fn, X, Y, batch_size, cpu=None):
    """One pass over the preloaded X, Y in a random order; its seconds. The
    process's CPU seconds over the pass (all threads) are appended to cpu."""
    t0, c0 = time.perf_counter(), time.process_time()
    n = X.shape[0]
    perm = torch.randperm(n)
    for i in range(0, n, batch_size):
        idx = perm[i:i + batch_size]
        y_pred = model(X[idx])
        loss = loss_fn(y_pred, Y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if cpu is not None:
        cpu.append(time.process_time() - c0)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", choices=["seed", "large", "scaling"], required=True)
    ap.add_argument("--pipeline", choices=["seed", "preloaded"], required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--rows", default="", help="scaling: LAYERS:HIDDEN:BATCH:SAMPLES:EPOCHS,...")
    args = ap.parse_args()
    if args.model == "scaling" and (args.pipeline != "preloaded" or not args.rows):
        sys.exit("torch_peer: --model scaling needs --pipeline preloaded and --rows")

    import torch
    from torch.utils.data import DataLoader
    from torchvision.datasets import FashionMNIST
    from torchvision.transforms import ToTensor

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    tmp = tempfile.mkdtemp(prefix="nnlab-torch-peer-")
    try:
        root = torchvision_layout(args.data, tmp)
        train_dataset = FashionMNIST(root=root, train=True, transform=ToTensor(), download=False)
        test_dataset = FashionMNIST(root=root, train=False, transform=ToTensor(), download=False)
        loss_fn = torch.nn.CrossEntropyLoss()
        if args.model == "scaling":
            X_all = train_dataset.data.reshape(-1, 28 * 28).float().div_(255.0)
            Y_all = train_dataset.targets.clone()
            for spec in args.rows.split(","):
                layers, hidden, batch, samples, epochs = (int(v) for v in spec.split(":"))
                model, optimizer, batch_size = build(torch, "scaling", layers, hidden, batch)
                X, Y = X_all[:samples], Y_all[:samples]
                cpu = []
                seconds = [preloaded_epoch(torch, model, optimizer, loss_fn, X, Y, batch_size, cpu)
                           for _ in range(epochs)]
                print(json.dumps({"model": "scaling", "layers": layers, "hidden": hidden, "batch": batch,
                                  "samples": samples, "threads": torch.get_num_threads(),
                                  "seconds": seconds, "cpu_seconds": cpu,
                                  "torch": torch.__version__}), flush=True)
            return
        model, optimizer, batch_size = build(torch, args.model)
        seconds = []

        if args.pipeline == "seed":
            train_loader = DataLoader(train_dataset, batch_size=batch_size, shuffle=True)
            for _ in range(args.epochs):
                t0 = time.perf_counter()
                for data, target in train_loader:
                    y_pred = model(data.reshape(-1, 28 * 28))
                    loss = loss_fn(y_pred, target)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                seconds.append(time.perf_counter() - t0)
        else:
            X = train_dataset.data.reshape(-1, 28 * 28).float().div_(255.0)
            Y = train_dataset.targets.clone()
            for _ in range(args.epochs):
                seconds.append(preloaded_epoch(torch, model, optimizer, loss_fn, X, Y, batch_size))

        with torch.no_grad():
            Xt = test_dataset.data.reshape(-1, 28 * 28).float().div_(255.0)
            correct = sum(int((model(Xt[i:i + 1000]).argmax(1) == test_dataset.targets[i:i + 1000]).sum())
                          for i in range(0, Xt.shape[0], 1000))
        print(json.dumps({
            "model": args.model, "pipeline": args.pipeline,
            "threads": torch.get_num_threads(), "seconds": seconds,
            "test_acc": 100.0 * correct / Xt.shape[0], "torch": torch.__version__,
        }), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
