#!/usr/bin/env bash
# Debian's interpreter on purpose: python3-torch installs for /usr/bin/python3, which a pyenv python3 on PATH may shadow.
# Side-by-side performance table: our console benchmarks and PyTorch (Debian python3-torch, OpenBLAS) on the same
# machine in the same run, 2 threads each. Usage: bench/run.sh [output.md]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-bench/results.md}"
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-pthread python3-numpy >/dev/null
fi
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null

dotnet build test/Microsoft.ML.SparseL1.Benchmarks -c Release >/dev/null
dotnet run -c Release --no-build --project test/Microsoft.ML.SparseL1.Benchmarks -- json gemm epoch predict sparse-forward selection-run frozen-epoch fit-cost fit-cost-wide > bench/ours.json
# OpenBLAS core-type overrides slow a current build; unset them for this command only (env README), passive OpenMP waits.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 \
  /usr/bin/python3 bench/pytorch_reference.py > bench/pytorch.json
/usr/bin/python3 bench/compare.py bench/ours.json bench/pytorch.json | tee "$out"
