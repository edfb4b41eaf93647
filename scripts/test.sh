#!/usr/bin/env bash
# Sets up what is missing, builds, and runs every test this machine can run: host tests, AMD code
# generation checks (gfx942 + gfx950 ISA), header self-containment (g++, clang HIP, nvcc),
# packaging; where nvcc exists, an sm_90a build of the examples and benchmarks; and, when an
# NVIDIA GPU is present, the GPU tests too.
# Usage: scripts/test.sh [ctest arguments, e.g. -L rmsnorm]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
read -r -a args <<<"$(scripts/setup.sh)"
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${args[@]}" >/dev/null
cmake --build build -j"$jobs"
# Where nvcc exists, the examples and benchmarks are compiled for sm_90a too (run only with a GPU).
nvcc=$(sed -n 's/.*-DHIPFUSE_NVCC=\([^ ]*\).*/\1/p' <<<"${args[*]}")
if [ -n "$nvcc" ] && [ $# -eq 0 ]; then
  echo "test.sh: compiling the examples and benchmarks for sm_90a with $nvcc"
  cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DHIPFUSE_GPU=ON -DHIPFUSE_NVCC="$nvcc" \
    -DHIPFUSE_BUILD_TESTS=OFF >/dev/null
  cmake --build build-cuda -j"$jobs"
fi
ctest --test-dir build -j"$jobs" --output-on-failure -LE gpu "$@"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  scripts/gpu_test.sh
fi
