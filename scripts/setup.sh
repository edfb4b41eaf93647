#!/usr/bin/env bash
# Installs what building and testing hipfuse needs, idempotently, and prints the CMake arguments
# that point the build at it (to stdout; progress goes to stderr).
#   - Debian 12 packages: cmake, g++, ninja, clang-22, clang-tools-22 (clang-offload-bundler,
#     which HIP object compiles run), lld-22, Catch2 (only those missing).
#   - ROCm HIP headers, rocPRIM and the LLVM-22 AMD device libraries: an existing ROCm
#     (HIPFUSE_ROCM_PATH, else /opt/rocm) if there is one; otherwise the ROCm 7.2.4 packages from
#     Debian experimental, unpacked into .deps/rocm (never into the system).
#   - nvcc, if present, turns the NVIDIA build on.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps="$root/.deps"
log() { echo "setup: $*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages.
need=()
for pkg in cmake g++ ninja-build clang-22 clang-tools-22 lld-22 catch2 ca-certificates; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# 2. ROCm headers and device libraries.
rocm_path=""
device_lib_path=""
find_device_libs() {  # the folder that holds ocml.bc under a ROCm root
  local bc
  bc=$(find "$1" -name ocml.bc -path '*amdgcn*' 2>/dev/null | head -n 1)
  [ -n "$bc" ] && dirname "$bc"
}
for candidate in "${HIPFUSE_ROCM_PATH:-}" /opt/rocm; do
  if [ -n "$candidate" ] && [ -f "$candidate/include/hip/hip_runtime.h" ] && [ -d "$candidate/include/rocprim" ]; then
    rocm_path="$candidate"
    device_lib_path=$(find_device_libs "$candidate" || true)
    log "using the ROCm at $rocm_path"
    break
  fi
done
if [ -z "$rocm_path" ]; then
  rocm_path="$deps/rocm/usr"
  if [ ! -f "$deps/rocm/.complete" ]; then
    log "fetching ROCm 7.2.4 headers and device libraries from Debian experimental into .deps/rocm"
    state="$deps/apt"
    mkdir -p "$state/lists/partial" "$state/archives" "$deps/rocm"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian experimental main" \
      >"$state/sources.list"
    apt_opts=(-o "Dir::Etc::SourceList=$state/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$state/lists" -o "Dir::Cache::Archives=$state/archives" -o Debug::NoLocking=1)
    apt-get "${apt_opts[@]}" update -qq >&2
    # Pinned versions known to work; experimental moves, so fall back to the newest 7.x offered.
    for spec in libamdhip64-dev=7.2.4-1~exp2 librocprim-dev=7.2.4-1~exp1 libhipcub-dev=7.2.4-1~exp1 \
      rocm-device-libs-22=7.2.4+dfsg-1~exp1; do
      pkg=${spec%%=*}
      (cd "$state/archives" && apt-get "${apt_opts[@]}" download "$spec" >&2 2>/dev/null) || {
        newest=$(apt-cache "${apt_opts[@]}" policy "$pkg" | awk '/Candidate:/ {print $2}')
        case "$newest" in 7.*) ;; *) log "no ROCm 7.x $pkg in Debian experimental (found '$newest')"; exit 1 ;; esac
        log "$spec is gone from experimental; taking $pkg=$newest"
        (cd "$state/archives" && apt-get "${apt_opts[@]}" download "$pkg=$newest" >&2)
      }
    done
    for deb in "$state/archives"/*.deb; do dpkg-deb -x "$deb" "$deps/rocm"; done
    touch "$deps/rocm/.complete"
  fi
  device_lib_path=$(find_device_libs "$deps/rocm" || true)
fi

# 3. NVIDIA.
nvcc=$(command -v nvcc || true)
[ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc

args=(-DHIPFUSE_CLANG=/usr/bin/clang++-22 "-DHIPFUSE_ROCM_PATH=$rocm_path" "-DHIPFUSE_DEVICE_LIB_PATH=$device_lib_path")
if [ -n "$nvcc" ]; then args+=("-DHIPFUSE_NVCC=$nvcc"); fi
echo "${args[@]}"
