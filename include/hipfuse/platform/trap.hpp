// Loud failure for code paths that must never run: an arch-only instruction reached on another
// arch, or a kernel launched on a GPU it was not compiled for.
#pragma once
#include <cstdio>
#include <cstdlib>
#include "../config.hpp"

namespace hipfuse {
namespace platform {

[[noreturn]] HIPFUSE_HOST_DEVICE inline void trap(const char* message) {
#if defined(HIPFUSE_DEVICE_PASS)
  printf("hipfuse: %s\n", message);
  __builtin_trap();
#else
  std::fprintf(stderr, "hipfuse: %s\n", message);
  std::abort();
#endif
}

}  // namespace platform
}  // namespace hipfuse
