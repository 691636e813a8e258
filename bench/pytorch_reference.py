#!/usr/bin/env python3
# Licensed under the MIT License. See LICENSE in the repository root.
"""PyTorch side of the side-by-side benchmark (bench/run.sh): the same shapes and workloads as
test/Microsoft.ML.SparseL1.Benchmarks, with Debian's python3-torch (1.13, OpenBLAS), 2 threads. Prints JSON."""
import gzip, json, os, statistics, sys, time

import numpy as np
import torch

torch.set_num_threads(2)
torch.manual_seed(1)
DATA = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def median_seconds(fn, repeats):
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * d:8 + 4 * d], "big") for d in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


results = []
# Dense products: forward X·Wᵀ, weight gradient δᵀ·X, input gradient δ·W (same as EngineBenchmarks.DenseProducts).
for name, m, n, k, ta, tb in [("forward 128x784 * (300x784)T", 128, 300, 784, False, True),
                              ("forward 128x300 * (100x300)T", 128, 100, 300, False, True),
                              ("weight-grad (128x300)T * 128x784", 300, 784, 128, True, False),
                              ("weight-grad (128x100)T * 128x300", 100, 300, 128, True, False),
                              ("input-grad 128x100 * 100x300", 128, 300, 100, False, False)]:
    a = torch.rand(k, m).t() if ta else torch.rand(m, k)
    b = torch.rand(n, k).t() if tb else torch.rand(k, n)
    inner = max(1, int(2e9 / (2.0 * m * n * k) / 20))
    seconds = median_seconds(lambda: [torch.mm(a, b) for _ in range(inner)], 15) / inner
    results.append({"benchmark": "gemm", "shape": name, "threads": 2, "gflops": round(2.0 * m * n * k / seconds / 1e9, 1)})

images = torch.tensor(idx(f"{DATA}/train-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
labels = torch.tensor(idx(f"{DATA}/train-labels-idx1-ubyte.gz"), dtype=torch.long)
model = torch.nn.Sequential(torch.nn.Linear(784, 300), torch.nn.ReLU(), torch.nn.Linear(300, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()


def epoch():
    order = torch.randperm(images.shape[0])
    for start in range(0, images.shape[0], 128):
        batch = order[start:start + 128]
        optimizer.zero_grad()
        loss_fn(model(images[batch]), labels[batch]).backward()
        optimizer.step()


results.append({"benchmark": "epoch", "optimizer": "Adam", "threads": 2, "secondsPerEpoch": round(median_seconds(epoch, 3), 3)})

# Prediction at 90 % sparsity: magnitude pruning of random-init weights, dense and CSR, as in PredictionBenchmarks.
with torch.no_grad():
    for layer in [model[0], model[2], model[4]]:
        w = layer.weight
        threshold = w.abs().flatten().kthvalue(int(0.9 * w.numel())).values
        w[w.abs() <= threshold] = 0
    model.eval()
    row = images[:1]
    block = images[:10000]
    single = median_seconds(lambda: [model(images[i:i + 1]) for i in range(1000)], 11) / 1000
    batch = median_seconds(lambda: model(block), 11)
    csr = [(l.weight.to_sparse_csr(), l.bias) for l in [model[0], model[2], model[4]]]

    def csr_forward(x):
        h = x.t()
        for j, (w, b) in enumerate(csr):
            h = torch.sparse.mm(w, h) + b[:, None] if hasattr(torch.sparse, "mm") else w.matmul(h) + b[:, None]
            if j < 2:
                h = torch.relu(h)
        return h.t()

    csr_single = median_seconds(lambda: [csr_forward(images[i:i + 1]) for i in range(200)], 5) / 200
    csr_batch = median_seconds(lambda: csr_forward(block), 3)
results.append({"benchmark": "predict", "network": "dense (90 % zeros stored dense)", "singleRowMicroseconds": round(single * 1e6, 2), "batchRowsPerSecond": round(10000 / batch)})
results.append({"benchmark": "predict", "network": "CSR (torch sparse_csr)", "singleRowMicroseconds": round(csr_single * 1e6, 2), "batchRowsPerSecond": round(10000 / csr_batch)})
json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}, sys.stdout, indent=2)
print()
