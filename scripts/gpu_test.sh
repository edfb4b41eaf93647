#!/usr/bin/env bash
# Builds the op tests and examples for the NVIDIA GPU of this machine and runs the `gpu` tests.
# Needs nvcc, CMake and Catch2 2.x (catch2/catch.hpp in /usr/include, or HIPFUSE_CATCH2_INCLUDE).
# Usage: scripts/gpu_test.sh [ctest -R regex]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${HIPFUSE_GPU_BUILD:-$root/build-gpu}"
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
catch2="${HIPFUSE_CATCH2_INCLUDE:-/usr/include}"
[ -f "$catch2/catch2/catch.hpp" ] || [ ! -f "$root/.carry/catch2/catch2/catch.hpp" ] || catch2="$root/.carry/catch2"
arch="${HIPFUSE_CUDA_ARCH:-90a}"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DHIPFUSE_GPU=ON -DHIPFUSE_NVCC="$nvcc" \
  -DHIPFUSE_CUDA_ARCH="$arch" -DHIPFUSE_CATCH2_INCLUDE="$catch2" >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" -L gpu --output-on-failure ${1:+-R "$1"}
