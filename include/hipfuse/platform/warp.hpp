// Cross-lane exchange within a wave (AMD, 64 lanes), a warp (NVIDIA, 32 lanes), or the single
// lane of the host platform. The width always comes from the arch trait, never a literal.
#pragma once
#include "../config.hpp"

namespace hipfuse {
namespace platform {

// Exchange with the lane whose index differs by `mask`, within groups of `width` lanes.
template <class T>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE T shuffle_xor(T value, int mask, int width) {
#if defined(HIPFUSE_PLATFORM_HIP)
  return __shfl_xor(value, mask, width);
#elif defined(HIPFUSE_PLATFORM_CUDA)
  return __shfl_xor_sync(0xFFFFFFFFu, value, mask, width);
#else
  (void)mask;
  (void)width;
  return value;  // one lane: every partner is this lane
#endif
}

}  // namespace platform
}  // namespace hipfuse
