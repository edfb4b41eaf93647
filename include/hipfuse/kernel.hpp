// The two pieces every op's kernel and launcher share:
//  - kernel_body<Arch>(body): a __global__ kernel compiles its body only in the device pass for
//    its own arch; in the other passes of a fat binary it is a loud trap, never a silent no-op. On
//    sm90 and later it first waits for the previous grid (programmatic dependent launch), unless
//    the kernel asks to wait in its body.
//  - with_detected_arch(f): the host launcher's switch from the run-time arch to the compile-time
//    arch tag, over the archs this platform builds (one table, read by host and device passes).
#pragma once
#include <utility>
#include "arch/detect.hpp"
#include "arch/traits.hpp"
#include "platform/trap.hpp"

namespace hipfuse {

// Where a kernel waits for the previous grid under programmatic dependent launch: first thing
// (every op), or where its body calls wait_for_previous_grid() itself (the sm90 GEMM, whose
// producer copies the weights before waiting when the caller says the previous kernel does not
// write them). A body that waits itself must do so in every thread before it reads or writes
// anything the previous kernel may touch.
enum class grid_wait { first, in_body };

// Programmatic dependent launch: wait for the previous grid's completion and memory (free for a
// kernel launched the usual way). A no-op before sm90, on AMD and on the host platform.
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void wait_for_previous_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

template <class Arch, grid_wait Wait = grid_wait::first, class Body>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void kernel_body(Body&& body) {
  if constexpr (arch::compiling_for<Arch>) {
    // No griddepcontrol.launch_dependents here: issued by every block it cost ~100 cycles per
    // block even without a dependent (Qwen3 QK norm at T = 4096, 40960 blocks of 64 threads: 30.6
    // -> 50.3 µs on the H100), so a dependent kernel starts its launch when this grid completes.
    if constexpr (Wait == grid_wait::first) wait_for_previous_grid();
    body();
  } else {
#if defined(HIPFUSE_DEVICE_PASS)
    platform::trap("a hipfuse kernel was launched on a GPU other than the arch it was instantiated for");
#endif
  }
}

// Programmatic dependent launch: lets the next grid on the stream, when it was launched with
// platform::launch_stream::programmatic_dependent_launch, begin its launch now instead of when this
// grid completes (its blocks then wait in their griddepcontrol.wait for this grid's results, so
// correctness never depends on where this is called). Only grids of few blocks call it (the token
// kernels, the sm90 GEMM, group_quant up to 512 blocks): it costs ~100 cycles per block, which large
// grids of small blocks cannot repay.
// A no-op before sm90, on AMD and on the host platform.
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void release_dependent_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Calls f(ArchTag{}) for the arch of the current device and returns its status; returns the
// detection error (naming the GPU found and the supported list) without calling f otherwise.
template <class F>
status with_detected_arch(F&& f) {
  arch_id id{};
  if (status s = detect_arch(id); !s.ok()) return s;
#if defined(HIPFUSE_PLATFORM_HIP)
  if (id == arch_id::gfx942) return f(arch::gfx942{});
  if (id == arch_id::gfx950) return f(arch::gfx950{});
#elif defined(HIPFUSE_PLATFORM_CUDA)
  if (id == arch_id::sm90) return f(arch::sm90{});
  if (id == arch_id::sm89) return f(arch::sm89{});
#else
  if (id == arch_id::host) return f(arch::host{});
#endif
  return unsupported_device(arch_name(id));
}

}  // namespace hipfuse
