#!/usr/bin/env python3
# Licensed under the MIT License. See LICENSE in the repository root.
"""Accuracy at sparsity of the peer methods on Fashion-MNIST 784-300-100-10 (ReLU MLP), PyTorch CPU, side by side.

Methods (all Adam lr 1e-3, batch 128, reshuffled each epoch, PyTorch default init, cross-entropy; biases never pruned):
  dense    -- plain training for --epochs epochs (default 20).
  gmp      -- gradual magnitude pruning (Zhu & Gupta 2017) with the polynomial schedule of TF-MOT's
              prune_low_magnitude / PolynomialDecay: s_t = s_f * (1 - (1 - (t - t0) / (t1 - t0))^3), t counted in
              optimizer steps, t0 = end of epoch --prune-begin (1), t1 = end of epoch --prune-end (12); the mask is
              recomputed every --prune-frequency (100) steps from t0 on, and once more at t1 so that s_f is reached
              exactly (t1 - t0 is no multiple of 100); ONE global magnitude threshold over the three weight matrices;
              masked weights are zeroed after every optimizer step (as TF-MOT does); --epochs epochs in all.
  oneshot  -- the dense net of the same seed after --epochs epochs, one-shot global magnitude pruning to s_f, then
              --finetune-epochs (2) epochs with the mask fixed (fresh Adam, lr 1e-3, masked weights zeroed after every
              step). Its epochs and seconds include the dense pre-training.

--lr-schedule cosine decays the learning rate from 1e-3 to 0 over each training run (dense and gmp: the whole
--epochs run; oneshot: the dense run, then again over the fine-tune epochs), the same for every method.

Every method starts from the same initial weights and sees the same batch order (torch.manual_seed(seed) before the
model is built, a separate generator seeded with seed for the shuffles).

Data: Debian's dataset-fashion-mnist (gzipped IDX, big-endian header), pixels scaled to [0, 1], nothing else.
Run with Debian's interpreter (python3-torch installs for /usr/bin/python3):
  /usr/bin/python3 bench/pytorch_sparsity_reference.py --seed 0 --json /tmp/gmp_const.json
Prints a markdown table (and writes JSON with --json).
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

# Passive OpenMP waits (as bench/run.sh sets): on a shared 2-core machine spinning threads cost several times the
# epoch time. Must be in the environment before torch loads its OpenMP runtime; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch

DATA = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * d:8 + 4 * d], "big") for d in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(prefix):
    x = torch.tensor(idx(f"{DATA}/{prefix}-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
    y = torch.tensor(idx(f"{DATA}/{prefix}-labels-idx1-ubyte.gz").astype(np.int64))
    return x, y


def build(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(784, 300), torch.nn.ReLU(), torch.nn.Linear(300, 100), torch.nn.ReLU(),
                               torch.nn.Linear(100, 10))


def weights(model):
    return [model[0].weight, model[2].weight, model[4].weight]


def global_masks(model, sparsity):
    """Masks (True = kept) that zero the round(sparsity * N) smallest-magnitude weights over all three matrices."""
    ws = weights(model)
    magnitudes = torch.cat([w.detach().abs().flatten() for w in ws])
    pruned = int(round(sparsity * magnitudes.numel()))
    if pruned <= 0:
        return [torch.ones_like(w, dtype=torch.bool) for w in ws]
    # Rank, not threshold, so ties (e.g. weights already zero) still give exactly `pruned` zeros.
    order = torch.argsort(magnitudes, stable=True)
    keep = torch.ones(magnitudes.numel(), dtype=torch.bool)
    keep[order[:pruned]] = False
    masks, offset = [], 0
    for w in ws:
        masks.append(keep[offset:offset + w.numel()].view_as(w))
        offset += w.numel()
    return masks


def apply_masks(model, masks):
    with torch.no_grad():
        for w, m in zip(weights(model), masks):
            w.mul_(m)


def sparsity_report(model):
    ws = weights(model)
    zeros = [int((w == 0).sum()) for w in ws]
    sizes = [w.numel() for w in ws]
    return {"total": sum(zeros) / sum(sizes), "layers": [z / n for z, n in zip(zeros, sizes)]}


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x[i:i + 2000]).argmax(1) == y[i:i + 2000]).sum()) for i in range(0, x.shape[0], 2000))
    model.train()
    return correct / x.shape[0]


def train(model, data, epochs, seed, lr, schedule, batch=128, after_step=None):
    """Adam, reshuffled each epoch; after_step(step) runs after every optimizer step (step = steps done so far)."""
    x, y = data
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    steps_per_epoch = math.ceil(x.shape[0] / batch)
    total = epochs * steps_per_epoch
    step = 0
    model.train()
    for _ in range(epochs):
        order = torch.randperm(x.shape[0], generator=generator)
        for start in range(0, x.shape[0], batch):
            if schedule == "cosine":
                for group in optimizer.param_groups:
                    group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / total))
            rows = order[start:start + batch]
            optimizer.zero_grad()
            loss_fn(model(x[rows]), y[rows]).backward()
            optimizer.step()
            step += 1
            if after_step is not None:
                after_step(step)
    return steps_per_epoch


def row(method, target, model, test, epochs, seconds, **extra):
    s = sparsity_report(model)
    r = {"method": method, "target": target, "testAccuracy": accuracy(model, *test), "sparsity": s["total"],
         "layerSparsity": s["layers"], "epochs": epochs, "seconds": round(seconds, 1)}
    r.update(extra)
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--targets", default="0.8,0.9,0.95,0.98")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--methods", default="dense,gmp,oneshot")
    p.add_argument("--json", default=None)
    p.add_argument("--lr-schedule", choices=["constant", "cosine"], default="constant")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--prune-begin", type=int, default=None, help="epoch whose end is t0 (default 1 for 20 epochs, scaled)")
    p.add_argument("--prune-end", type=int, default=None, help="epoch whose end is t1 (default 12 for 20 epochs, scaled)")
    p.add_argument("--prune-frequency", type=int, default=100)
    p.add_argument("--finetune-epochs", type=int, default=2)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    targets = [float(t) for t in a.targets.split(",") if t]
    methods = [m for m in a.methods.split(",") if m]
    unknown = set(methods) - {"dense", "gmp", "oneshot"}
    if unknown:
        p.error(f"unknown methods {sorted(unknown)}")
    begin = a.prune_begin if a.prune_begin is not None else max(1, round(a.epochs / 20))
    end = a.prune_end if a.prune_end is not None else max(begin + 1, round(a.epochs * 12 / 20))
    if not 0 <= begin < end <= a.epochs:
        p.error("need 0 <= prune-begin < prune-end <= epochs")

    train_data, test = load("train"), load("t10k")
    results = []
    log = lambda msg: print(msg, file=sys.stderr, flush=True)

    dense_state = dense_seconds = None
    if "dense" in methods or "oneshot" in methods:
        model = build(a.seed)
        start = time.perf_counter()
        train(model, train_data, a.epochs, a.seed, a.lr, a.lr_schedule)
        dense_seconds = time.perf_counter() - start
        dense_state = {k: v.clone() for k, v in model.state_dict().items()}
        r = row("dense", 0.0, model, test, a.epochs, dense_seconds)
        log(f"dense: {100 * r['testAccuracy']:.2f} % in {dense_seconds:.1f} s")
        if "dense" in methods:
            results.append(r)

    for target in targets:
        if "gmp" in methods:
            model = build(a.seed)
            steps_per_epoch = math.ceil(train_data[0].shape[0] / 128)
            t0, t1 = begin * steps_per_epoch, end * steps_per_epoch
            state = {"masks": None, "updates": 0}

            def after_step(t):
                if t0 <= t <= t1 and ((t - t0) % a.prune_frequency == 0 or t == t1):
                    s = target * (1 - (1 - (t - t0) / (t1 - t0)) ** 3)
                    state["masks"] = global_masks(model, s)
                    state["updates"] += 1
                if state["masks"] is not None:
                    apply_masks(model, state["masks"])

            start = time.perf_counter()
            train(model, train_data, a.epochs, a.seed, a.lr, a.lr_schedule, after_step=after_step)
            seconds = time.perf_counter() - start
            r = row("gmp", target, model, test, a.epochs, seconds, t0=t0, t1=t1, maskUpdates=state["updates"])
            log(f"gmp {target}: {100 * r['testAccuracy']:.2f} % at {100 * r['sparsity']:.2f} % in {seconds:.1f} s")
            results.append(r)
        if "oneshot" in methods:
            model = build(a.seed)
            model.load_state_dict(dense_state)
            masks = global_masks(model, target)
            apply_masks(model, masks)
            before = accuracy(model, *test)
            start = time.perf_counter()
            train(model, train_data, a.finetune_epochs, a.seed, a.lr, a.lr_schedule,
                  after_step=lambda t: apply_masks(model, masks))
            seconds = time.perf_counter() - start
            r = row("oneshot", target, model, test, a.epochs + a.finetune_epochs, dense_seconds + seconds,
                    accuracyBeforeFinetune=before, finetuneSeconds=round(seconds, 1))
            log(f"oneshot {target}: {100 * r['testAccuracy']:.2f} % (before fine-tune {100 * before:.2f} %) "
                f"at {100 * r['sparsity']:.2f} % in {seconds:.1f} s fine-tune")
            results.append(r)

    print(f"Fashion-MNIST 784-300-100-10 ReLU, PyTorch {torch.__version__} CPU, {a.threads} threads, seed {a.seed}, "
          f"Adam lr {a.lr:g} ({a.lr_schedule}), batch 128, {a.epochs} epochs; GMP t0/t1 = end of epoch {begin}/{end}, "
          f"mask every {a.prune_frequency} steps; one-shot + {a.finetune_epochs} fine-tune epochs.\n")
    print("| method | target | test acc % | sparsity % | W1 784x300 % | W2 300x100 % | W3 100x10 % | epochs | seconds |"
          " one-shot acc before FT % |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        layers = " | ".join(f"{100 * s:.2f}" for s in r["layerSparsity"])
        before = f"{100 * r['accuracyBeforeFinetune']:.2f}" if "accuracyBeforeFinetune" in r else ""
        print(f"| {r['method']} | {r['target']:g} | {100 * r['testAccuracy']:.2f} | {100 * r['sparsity']:.2f} | {layers} | "
              f"{r['epochs']} | {r['seconds']:.1f} | {before} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "seed": a.seed,
                       "epochs": a.epochs, "lrSchedule": a.lr_schedule, "lr": a.lr, "pruneBeginEpoch": begin,
                       "pruneEndEpoch": end, "pruneFrequency": a.prune_frequency,
                       "finetuneEpochs": a.finetune_epochs, "results": results}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
