#!/usr/bin/env bash
# Accuracy at sparsity, side by side (issue 15): our trainer with default options (layer sizes and target only) and
# PyTorch's dense network, gradual magnitude pruning (Zhu & Gupta; TF-MOT's prune_low_magnitude schedule) and one-shot
# pruning + 2 fine-tune epochs, on Fashion-MNIST 784-300-100-10 at the same targets, in one run.
# Writes bench/sparsity-results.md. About 10 minutes on 2 idle cores (PyTorch runs 6 x 20 epochs). Needs dataset-fashion-mnist and python3-torch.
# Usage: bench/sparsity.sh [targets, default 0.8,0.9,0.95,0.98]
set -euo pipefail
cd "$(dirname "$0")/.."
targets="${1:-0.8,0.9,0.95,0.98}"
# OpenBLAS, not the reference BLAS that python3-torch alone pulls in (20x slower epochs), as bench/run.sh installs it.
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-pthread >/dev/null
fi
dotnet build examples/SparseL1.Examples.FashionMnist -c Release -nologo -v quiet >&2
out=bench/sparsity-results.md
{
  echo "# Accuracy at sparsity, Fashion-MNIST 784-300-100-10 (\`bench/sparsity.sh\`, commit $(git rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "## SparseMlp, default options (layer sizes and target only)"
  echo
  echo "| target | test accuracy | sparsity reached | per layer (784x300 / 300x100 / 100x10) | epochs | seconds |"
  echo "|---|---|---|---|---|---|"
  for t in ${targets//,/ }; do
    line=$(dotnet run -c Release --no-build --project examples/SparseL1.Examples.FashionMnist -- 60000 "$t" | tr '\r' '\n' | grep '^RESULT')
    get() { echo "$line" | grep -o "$1=[^ ]*" | cut -d= -f2; }
    echo "| $t | $(get accuracy) | $(get sparsity) | $(get layers) | $(get epochs) | $(get seconds) |"
  done
  echo
  echo "## PyTorch references (bench/pytorch_sparsity_reference.py)"
  echo
  # Debian's interpreter: python3-torch installs for /usr/bin/python3, which a pyenv python3 on PATH may shadow.
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 \
    /usr/bin/python3 bench/pytorch_sparsity_reference.py --targets "$targets" --seed 0 --threads 2
} | tee "$out"
dotnet run -c Release --project bench/SparseL1.Bench.SparsityChart -- "$out" bench/sparsity-chart.png
