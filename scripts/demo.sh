#!/usr/bin/env bash
# The main demo: sets up what is missing, builds examples/demo.cpp and runs it on the GPU of this
# machine if there is one (NVIDIA through nvcc; AMD through a real ROCm's hipcc), else on the host
# backend; then compiles the same source for gfx942 and gfx950 and shows the code it generated.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
read -r -a args <<<"$(scripts/setup.sh)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${args[@]}" >/dev/null

echo "== running the demo"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  HIPFUSE_GPU_BUILD="$root/build-gpu" scripts/gpu_test.sh '^$' >/dev/null  # configures and builds the GPU tree
  build-gpu/examples/demo_gpu
elif [ -e /dev/kfd ] && command -v hipcc >/dev/null 2>&1; then
  mkdir -p build/amd
  hipcc -std=c++17 -O3 -Iinclude examples/demo.cpp -o build/amd/demo
  build/amd/demo
else
  cmake --build build --target demo hipfuse_isa_report >/dev/null
  build/examples/demo
fi

echo
echo "== the same source compiled for AMD Instinct (ISA read here; not executed without an AMD GPU)"
rocm=$(sed -n 's/.*-DHIPFUSE_ROCM_PATH=\([^ ]*\).*/\1/p' <<<"${args[*]}")
devlib=$(sed -n 's/.*-DHIPFUSE_DEVICE_LIB_PATH=\([^ ]*\).*/\1/p' <<<"${args[*]}")
cmake --build build --target hipfuse_isa_report >/dev/null
mkdir -p build/demo-isa
for arch in gfx942 gfx950; do
  clang++-22 -x hip -std=c++17 -O3 --offload-arch=$arch --cuda-device-only -S --rocm-path="$rocm" \
    ${devlib:+--rocm-device-lib-path="$devlib"} -isystem "$rocm/include" -Iinclude examples/demo.cpp \
    -o build/demo-isa/demo.$arch.s
  echo "-- $arch: key instructions in the demo's kernels (count)"
  for ins in v_mfma v_cvt_pk_fp8_f32 global_load_dwordx4 global_store_dwordx4 row_shr ds_swizzle v_rsq_f32; do
    printf '   %-22s %s\n' "$ins" "$(grep -c "$ins" build/demo-isa/demo.$arch.s || true)"
  done
done
echo "-- resources per kernel (full assembly: build/demo-isa/demo.<arch>.s)"
build/tests/hipfuse_isa_report --native-fp8-only build/demo-isa/demo.gfx942.s build/demo-isa/demo.gfx950.s
