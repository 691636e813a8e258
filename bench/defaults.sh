#!/usr/bin/env bash
# Defaults benchmark (issue 16, item 5): 5-fold cross-validation of SparseMlp with its default options against
# LightGbm, FastTree and ML.NET's linear trainers with theirs, on the real sets in data/, no normalization.
# Writes bench/defaults-results.md (and the per-fold numbers to bench/defaults-results.json); about 8 minutes on 2 cores.
# Usage: bench/defaults.sh [--sets wine,digits,...] [--folds N]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/SparseL1.Bench.Defaults -c Release -nologo -v quiet >&2
# The build's compiler servers stay alive and busy for a while after it: stop them so they do not share the cores with
# the first timed folds (wine's first folds took 0.19-0.23 s beside them, 0.065 s without).
dotnet build-server shutdown >/dev/null 2>&1 || true
{
  echo "# Defaults benchmark (\`bench/defaults.sh${*:+ $*}\`, commit $(git rev-parse --short HEAD))"
  echo
  dotnet run -c Release --no-build --project bench/SparseL1.Bench.Defaults -- --json bench/defaults-results.json "$@"
} | tee bench/defaults-results.md
