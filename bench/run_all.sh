#!/usr/bin/env bash
# The one benchmark command, for a machine with an NVIDIA GPU, nvcc, CMake, ninja and PyTorch:
# builds the CUDA benchmarks, runs them and the PyTorch peers, and writes
#   results/*.json       one file per suite (schema hipfuse-bench/1, see docs/bench.md)
#   results/summary.md   the tables;  results/*.png  the plots (with matplotlib)
#   docs/perf.md         the tables and plots with device, date and commit
# Logs go to $OUT/bench when OUT is set (and the outputs are copied there too), else results/raw.
#
#   bench/run_all.sh [--quick] [--no-peers] [--no-build] [--sanitize]
# --no-peers keeps an earlier results/peers.json; --sanitize also runs scripts/sanitize.sh (needs Catch2).
# Environment: HIPFUSE_BENCH_BUILD (build folder, default build-bench), HIPFUSE_BENCH_CMAKE_ARGS
# (extra CMake arguments), HIPFUSE_BENCH_COMMIT (the commit to record when the tree has no .git), HIPFUSE_BENCH_JOBS (build jobs, default nproc), HIPFUSE_BENCH_SKIP_PEERS=1 (same as --no-peers), PYTHON (default python3).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

quick=()
peers=${HIPFUSE_BENCH_SKIP_PEERS:-0}
build=1
sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    --quick) quick=(--quick) ;;
    --no-peers) peers=1 ;;
    --no-build) build=0 ;;
    *) echo "usage: $0 [--quick] [--no-peers] [--no-build] [--sanitize]" >&2; exit 2 ;;
  esac
done

start=$(date +%s)
results=results
logs=${OUT:+$OUT/bench}
logs=${logs:-results/raw}
mkdir -p "$results" "$logs"
build_dir=${HIPFUSE_BENCH_BUILD:-build-bench}
python=${PYTHON:-python3}
say() { echo "[run_all $(( $(date +%s) - start ))s] $*" >&2; }

# A commit given by the caller is taken as is (a copied tree without its .git cannot be checked);
# one read from git here is marked when include/ or bench/ differ from it.
commit=${HIPFUSE_BENCH_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
if [ -z "${HIPFUSE_BENCH_COMMIT:-}" ] && [ "$commit" != unknown ] &&
  [ -n "$(git status --porcelain --untracked-files=no -- include bench 2>/dev/null)" ]; then
  commit="$commit+dirty"
fi
date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# The card as we found it (never changed here): clocks, power, temperature.
if command -v nvidia-smi >/dev/null; then
  nvidia-smi >"$logs/nvidia-smi.txt" 2>&1 || true
  state=$(nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,clocks.mem,power.draw,power.limit,temperature.gpu,pstate \
    --format=csv,noheader 2>/dev/null | head -n 1 || true)
  export HIPFUSE_BENCH_GPU_STATE="name, sm clock, max sm clock, mem clock, power, power limit, temp, pstate: $state"
  say "GPU: $state"
fi

# 1. Build (only the benchmarks: no Catch2 needed).
if [ "$build" = 1 ]; then
  nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  say "configuring $build_dir (nvcc: $nvcc)"
  # shellcheck disable=SC2086
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHIPFUSE_GPU=ON "-DHIPFUSE_NVCC=$nvcc" \
    -DHIPFUSE_BUILD_TESTS=OFF -DHIPFUSE_BUILD_EXAMPLES=OFF ${HIPFUSE_BENCH_CMAKE_ARGS:-} >"$logs/cmake.log" 2>&1 ||
    { tail -n 40 "$logs/cmake.log" >&2; exit 1; }
  jobs=${HIPFUSE_BENCH_JOBS:-$(nproc)}
  say "building with $jobs jobs"
  ninja -C "$build_dir" -j"$jobs" hipfuse_bench >"$logs/build.log" 2>&1 || { tail -n 60 "$logs/build.log" >&2; exit 1; }
fi

# 2. Our benchmarks, one process each, one after another (never two on the GPU at once).
for f in "$results"/*.json "$results"/*.png "$results"/summary.md; do
  [ -e "$f" ] || continue
  [ "$peers" = 1 ] && [ "$f" = "$results/peers.json" ] && continue
  rm -f "$f"
done
failed=()
for exe in "$build_dir"/bench/bench_*; do
  [ -x "$exe" ] && [ -f "$exe" ] || continue
  name=$(basename "$exe")
  suite=${name#bench_}
  say "running $name"
  if timeout 200 "$exe" --out "$results/$suite.json" --commit "$commit" --date "$date_utc" "${quick[@]}" \
    >"$logs/$name.log" 2>&1; then
    grep -E "check passed|CHECK FAILED" "$logs/$name.log" >&2 || true
  else
    rc=$?
    failed+=("$name (exit $rc)")
    say "$name FAILED (exit $rc); last lines:"
    tail -n 15 "$logs/$name.log" >&2
  fi
done

# 3. The PyTorch peers, timed the same way.
if [ "$peers" = 1 ]; then
  say "peers skipped"
else
  say "running the PyTorch peers (includes torch.compile)"
  if ! timeout 330 "$python" bench/peers.py --out "$results/peers.json" --commit "$commit" --date "$date_utc" \
    "${quick[@]}" >"$logs/peers.log" 2>&1; then
    failed+=("peers.py")
    say "peers.py FAILED; last lines:"
    tail -n 15 "$logs/peers.log" >&2
  fi
fi

# 4. Optionally the sanitizers (they refresh results/sanitize.md).
if [ "$sanitize" = 1 ]; then
  say "running scripts/sanitize.sh"
  scripts/sanitize.sh >"$logs/sanitize.log" 2>&1 || { failed+=("sanitize.sh"); tail -n 15 "$logs/sanitize.log" >&2; }
fi

# 5. Tables, plots and docs/perf.md.
say "writing the report"
"$python" bench/report.py --results "$results" --docs docs/perf.md --amd "$results/amd_report.md" \
  --sanitize "$results/sanitize.md" >"$logs/report.log" 2>&1 || { failed+=("report.py"); tail -n 15 "$logs/report.log" >&2; }

if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT/results" "$OUT/docs"
  cp "$results"/*.json "$results"/*.md "$OUT/results/" 2>/dev/null || true
  cp "$results"/*.png "$OUT/results/" 2>/dev/null || true
  cp docs/perf.md "$OUT/docs/" 2>/dev/null || true
fi

# The tables, then the headline again: the end of the output is what a remote run shows.
grep -v '^!\[' "$results/summary.md" 2>/dev/null || true
echo
sed -n '/^## Headline/,/^## Runs/p' "$results/summary.md" 2>/dev/null | grep -v '^## Runs' || true
say "done in $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  say "failures: ${failed[*]}"
  exit 1
fi
