#!/usr/bin/env bash
# Runs every GPU op test (tests/ops/test_*.cpp built as CUDA) under compute-sanitizer memcheck and
# racecheck, at reduced sizes (HIPFUSE_TEST_REDUCED=1, read by hipfuse_test::gpu_sizes()), and
# writes results/sanitize.md (then refreshes docs/perf.md). Needs nvcc, CMake, compute-sanitizer and
# Catch2 2.x (catch2/catch.hpp in /usr/include, HIPFUSE_CATCH2_INCLUDE, or .carry/catch2).
# Logs go to $OUT/sanitize when OUT is set, else results/raw/sanitize.
#   scripts/sanitize.sh [test-name regex]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
filter=${1:-.}
build="${HIPFUSE_GPU_BUILD:-$root/build-gpu}"
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
catch2="${HIPFUSE_CATCH2_INCLUDE:-/usr/include}"
[ -f "$catch2/catch2/catch.hpp" ] || [ ! -f "$root/.carry/catch2/catch2/catch.hpp" ] || catch2="$root/.carry/catch2"
sanitizer=$(command -v compute-sanitizer || true)
for candidate in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  [ -n "$sanitizer" ] || [ ! -x "$candidate" ] || sanitizer=$candidate
done
[ -n "$sanitizer" ] || { echo "sanitize.sh: compute-sanitizer not found (it ships with the CUDA toolkit)" >&2; exit 2; }
logs=${OUT:+$OUT/sanitize}
logs=${logs:-results/raw/sanitize}
mkdir -p "$logs" results

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DHIPFUSE_GPU=ON -DHIPFUSE_NVCC="$nvcc" \
  -DHIPFUSE_CUDA_ARCH="${HIPFUSE_CUDA_ARCH:-90a}" -DHIPFUSE_CATCH2_INCLUDE="$catch2" -DHIPFUSE_BUILD_EXAMPLES=OFF \
  >"$logs/cmake.log" 2>&1 || { tail -n 30 "$logs/cmake.log" >&2; exit 1; }
mapfile -t targets < <(cd tests/ops && ls test_*.cpp 2>/dev/null | sed 's/\.cpp$/_gpu/' | grep -E -- "$filter" || true)
[ ${#targets[@]} -gt 0 ] || { echo "sanitize.sh: no GPU op tests match '$filter'" >&2; exit 2; }
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >"$logs/build.log" 2>&1 ||
  { tail -n 40 "$logs/build.log" >&2; exit 1; }

export HIPFUSE_TEST_REDUCED=1
status=0
table=("| test | memcheck | racecheck |" "|---|---|---|")
# "clean", "N errors" (the sanitizer's own count) or "test failed (exit N)".
verdict() {
  local log=$1 rc=$2 errors
  errors=$(grep -Eo "ERROR SUMMARY: [0-9]+ error|RACECHECK SUMMARY: [0-9]+ hazard" "$log" | grep -Eo "[0-9]+" | tail -n 1)
  if [ "$rc" = 0 ] && [ "${errors:-0}" = 0 ]; then echo "clean"
  elif [ "$rc" = 99 ] || [ "${errors:-0}" != 0 ]; then echo "**${errors:-?} errors/hazards**"
  else echo "**test failed (exit $rc)**"; fi
}
for t in "${targets[@]}"; do
  exe="$build/tests/$t"
  row="| $t"
  for tool in memcheck racecheck; do
    log="$logs/$t.$tool.log"
    echo "sanitize: $t under $tool" >&2
    rc=0
    timeout 600 "$sanitizer" --tool "$tool" --error-exitcode 99 --print-limit 50 "$exe" >"$log" 2>&1 || rc=$?
    v=$(verdict "$log" "$rc")
    [ "$v" = clean ] || { status=1; tail -n 20 "$log" >&2; }
    row="$row | $v"
  done
  table+=("$row |")
done

{
  echo "compute-sanitizer $("$sanitizer" --version 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1) on" \
    "$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 || echo 'unknown GPU'),"\
    "$(date -u +%Y-%m-%d), commit \`${HIPFUSE_BENCH_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}\`;" \
    "tests at reduced sizes (HIPFUSE_TEST_REDUCED=1). Command: \`scripts/sanitize.sh\`."
  echo
  printf '%s\n' "${table[@]}"
} >results/sanitize.md
cat results/sanitize.md
python3 bench/report.py --results results --docs docs/perf.md --amd results/amd_report.md \
  --sanitize results/sanitize.md --no-plots >/dev/null 2>&1 || true
[ -z "${OUT:-}" ] || { mkdir -p "$OUT/results" "$OUT/docs"; cp results/sanitize.md "$OUT/results/"; cp docs/perf.md "$OUT/docs/"; }
exit $status
