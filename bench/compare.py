#!/usr/bin/env python3
# Licensed under the MIT License. See LICENSE in the repository root.
"""Joins bench/ours.json and bench/pytorch.json into a markdown table with ratios (ours / PyTorch or inverse, so >1 is better for us)."""
import json, platform, sys

ours = json.load(open(sys.argv[1]))
torch = json.load(open(sys.argv[2]))
print(f"Measured {ours['date']} on {ours['machine']}, kernel path {ours['kernelPath']}; PyTorch {torch['torch']} ({torch['threads']} threads), same run.\n")
print("| measurement | ours | PyTorch | ours vs PyTorch |")
print("|---|---|---|---|")
tg = {r["shape"]: r["gflops"] for r in torch["results"] if r["benchmark"] == "gemm"}
for r in ours["results"]:
    if r["benchmark"] == "gemm" and r["threads"] == 2:
        t = tg[r["shape"]]
        print(f"| GEMM {r['shape']} (2 threads) | {r['gflops']} GFLOP/s | {t} GFLOP/s | {r['gflops'] / t:.2f}x |")
te = next(r for r in torch["results"] if r["benchmark"] == "epoch")
for r in ours["results"]:
    if r["benchmark"] == "epoch":
        print(f"| epoch 784-300-100-10, 60k rows, batch 128, {r['optimizer']} | {r['secondsPerEpoch']} s | {te['secondsPerEpoch']} s (Adam) | {te['secondsPerEpoch'] / r['secondsPerEpoch']:.2f}x faster |")
tp = [r for r in torch["results"] if r["benchmark"] == "predict"]
dense_t = tp[0]
for r in ours["results"]:
    if r["benchmark"] == "predict-direct":
        print(f"| single-row predict, {r['weights']}, ours {r['network']} | {r['singleRowMicroseconds']} µs | {dense_t['singleRowMicroseconds']} µs (dense) | {dense_t['singleRowMicroseconds'] / r['singleRowMicroseconds']:.2f}x faster |")
        print(f"| 10k-row batch predict (2 threads), {r['weights']}, ours {r['network']} | {r['batchRowsPerSecond']:,} rows/s | {dense_t['batchRowsPerSecond']:,} rows/s (dense) | {r['batchRowsPerSecond'] / dense_t['batchRowsPerSecond']:.2f}x |")
    if r["benchmark"] == "predict-mlnet":
        print(f"| ML.NET PredictionEngine single row (compact) | {r['predictionEngineMicroseconds']} µs | {dense_t['singleRowMicroseconds']} µs (dense) | {dense_t['singleRowMicroseconds'] / r['predictionEngineMicroseconds']:.2f}x faster |")
        print(f"| ML.NET Transform (row cursor, compact) | {r['transformRowsPerSecond']:,} rows/s | {dense_t['batchRowsPerSecond']:,} rows/s (dense batch) | {r['transformRowsPerSecond'] / dense_t['batchRowsPerSecond']:.2f}x |")
csr_t = tp[1]
print(f"| PyTorch's own CSR at 90 % (for reference) | | {csr_t['singleRowMicroseconds']} µs single, {csr_t['batchRowsPerSecond']:,} rows/s batch | |")

# Our sparse training kernels against our own dense path, side by side in the same process (PyTorch trains dense only).
for r in ours["results"]:
    if r["benchmark"] == "sparse-forward":
        print(f"| training forward {r['shape']} at density {r['density']}, sparse vs our dense GEMM | {r['sparseMicroseconds']} µs | ({r['denseMicroseconds']} µs ours dense) | {r['sparseSpeedup']:.2f}x |")
    if r["benchmark"] == "frozen-epoch" and r["density"] in (0.02, 0.1):
        print(f"| epoch with layers 1-2 frozen at {r['density']:.0%} kept ({r['threads']} threads), kept products vs our dense epoch | {r['frozenKeptProductsSeconds']} s | ({r['denseEpochSeconds']} s ours dense; PyTorch dense {te['secondsPerEpoch']} s) | {1 / r['keptAgainstDenseEpoch']:.2f}x |")
    if r["benchmark"] == "fit-cost":
        sections = f", {r['parallelSections']}" if "parallelSections" in r else ""
        print(f"| whole run: {r['run']}, {r['network']} ({r['threads']} threads{sections}) | {r['seconds']} s, test {r['testAccuracy']:.2%} | | |")
    if r["benchmark"] == "selection-run":
        print(f"| one selection run ({r['network']}), sparse kernels vs our dense path | {r['sparseKernelsSeconds']} s | ({r['denseSeconds']} s ours dense; PyTorch dense epoch {te['secondsPerEpoch']} s x 5) | {r['speedup']:.2f}x |")
