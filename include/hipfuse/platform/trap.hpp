// Loud failure for code paths that must never run: an arch-only instruction reached on another
// arch, or a kernel launched on a GPU it was not compiled for.
#pragma once
#include <cstdio>
#include <cstdlib>
#include "../config.hpp"

namespace hipfuse {
namespace platform {

[[noreturn]] HIPFUSE_HOST_DEVICE inline void trap(const char* message) {
#if defined(HIPFUSE_DEVICE_PASS) && defined(HIPFUSE_PLATFORM_CUDA)
  printf("hipfuse: %s\n", message);
  __trap();
  __builtin_unreachable();
#elif defined(HIPFUSE_DEVICE_PASS)
  // s_trap: the HIP runtime reports a GPU exception. No printf here: its hostcall buffer would
  // give every wrong-arch stub scratch memory and dozens of registers.
  (void)message;
  __builtin_trap();
#else
  std::fprintf(stderr, "hipfuse: %s\n", message);
  std::abort();
#endif
}

}  // namespace platform
}  // namespace hipfuse
