#!/usr/bin/env bash
# Tabular benchmark (issue 28): 5-fold cross-validation of SparseMlp against LightGbm, FastTree and a min-max normalized
# linear trainer, each with its defaults, on the sets of bench/tabular-sets.tsv (the six of data/ and sets of Debian's R
# data packages, written to the git-ignored bench/tabular-data/ at run time; no data in the repository).
# Arguments go to the program (bench/SparseL1.Bench.Tabular/Arguments.cs): --sets a,b --half tune|check|all
# --trainers sparsemlp,lightgbm,fasttree,linear --sparsemlp 'Key=Value;...' --folds N --label NAME.
#   bench/tabular.sh [--sets ... | --half ...]   all trainers, defaults: adds the sets to bench/tabular-results.json and
#                                              bench/tabular-peers.json, then writes bench/tabular-results.md from all
#                                              sets measured so far (so a long run can be split by --sets or --half)
#   bench/tabular.sh --label NAME [...]        a configuration to compare: bench/tabular-runs/NAME.{json,md}; with
#                                              --trainers, the others' results come from bench/tabular-peers.json
#   bench/tabular.sh --experiment S [...]      per set a SparseMlpExperiment of S seconds against the defaults and the
#                                              ML.NET trainers: bench/tabular-runs/{NAME or experiment}.md
# Example: bench/tabular.sh --label wide --half tune --trainers sparsemlp --sparsemlp 'HiddenLayerSizes=256,256'
set -euo pipefail
cd "$(dirname "$0")/.."
if ! Rscript -e 'for (p in c("modeldata", "MASS", "palmerpenguins", "AER", "carData", "dslabs", "ggplot2", "caret")) stopifnot(requireNamespace(p, quietly = TRUE))' >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends r-base-core r-cran-modeldata r-cran-mass r-cran-palmerpenguins r-cran-aer r-cran-cardata r-cran-dslabs r-cran-ggplot2 r-cran-caret >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends r-base-core r-cran-modeldata r-cran-mass r-cran-palmerpenguins r-cran-aer r-cran-cardata r-cran-dslabs r-cran-ggplot2 r-cran-caret >&2; }
fi
Rscript bench/tabular-export.R bench/tabular-sets.tsv bench/tabular-data >&2
label=""
trainers=""
experiment=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --label) label="${args[i + 1]:-}" ;;
    --trainers) trainers="${args[i + 1]:-}" ;;
    --experiment) experiment=1 ;;
  esac
done
# An experiment comparison never replaces the defaults' results: it goes to bench/tabular-runs/ (named "experiment" unless labelled).
[[ -n "$experiment" && -z "$label" ]] && label=experiment
if [[ -n "$label" ]]; then
  mkdir -p bench/tabular-runs
  out="bench/tabular-runs/$label"
  extra=(--json "$out.json")
  [[ -n "$trainers" ]] && extra+=(--peers bench/tabular-peers.json)
else
  out="bench/tabular-results"
  extra=(--json "$out.json")
  [[ -z "$trainers" ]] && extra+=(--save-peers bench/tabular-peers.json)
fi
dotnet build bench/SparseL1.Bench.Tabular -c Release -nologo -v quiet >&2
# The build's compiler servers stay busy for a while after it: stop them so they do not share the cores with the folds.
dotnet build-server shutdown >/dev/null 2>&1 || true
dotnet run -c Release --no-build --project bench/SparseL1.Bench.Tabular -- "${extra[@]}" "$@" >"$out.log.md"
if [[ -n "$experiment" ]]; then
  # An experiment comparison prints its own table (no JSON to report from).
  { echo "# Tabular benchmark, experiments (\`bench/tabular.sh\`, commit $(git rev-parse --short HEAD))"; echo; cat "$out.log.md"; } >"$out.md"
  rm -f "$out.log.md"
  echo "Wrote $out.md." >&2
  exit 0
fi
{
  echo "# Tabular benchmark (\`bench/tabular.sh\`, commit $(git rev-parse --short HEAD))"
  echo
  echo "Sets: bench/tabular-sets.tsv (tune: defaults may be chosen on these; check: held out). Each set read with TextLoader;"
  echo "categorical columns one-hot encoded, missing numbers replaced by the column mean, concatenated to Features (fitted once"
  echo "on the whole set, without the label); label a key (multiclass), Boolean (binary) or Single (regression). CrossValidate"
  echo "(seed 1, the same folds for every trainer), MLContext(seed: 1), every trainer with its defaults; no normalization except"
  echo "NormalizeMinMax before the linear trainer. Score: mean ± sample sd over the folds; fit s / fold: median over the folds"
  echo "of one fold's Fit, after untimed fits of the trainer on the whole set (at least one, for at least two seconds)."
  echo "Sets with more rows than the manifest's rowcap are a seeded sample of that many rows (cps1988: 20,000 of 28,155)."
  echo
  dotnet run -c Release --no-build --project bench/SparseL1.Bench.Tabular -- --report --json "$out.json"
} >"$out.md"
rm -f "$out.log.md"
echo "Wrote $out.md and $out.json." >&2
