// Reductions across the lanes that share one quantization group: Width consecutive lanes of a
// wave, aligned to Width, exchange values with shuffle_xor so every lane of the group ends with
// the result. On the host platform a group is one lane and these are the identity.
//
//   std::uint32_t amax_bits = hipfuse::group_max<Policy, 16>(my_amax_bits);
//
// All lanes of the wave must call (the shuffles read every lane), so lanes without work take part
// with a neutral value instead of returning early.
#pragma once
#include <cstdint>
#include "../config.hpp"
#include "../platform/warp.hpp"

namespace hipfuse {

template <class Policy, int Width, class T, class Op>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE T group_reduce(T value, Op op) {
  static_assert(Width >= 1 && (Width & (Width - 1)) == 0, "group width must be a power of two");
  static_assert(Width <= Policy::wave_size, "a lane group lies within one wave");
#if defined(HIPFUSE_DEVICE_PASS)
#pragma unroll
  for (int mask = Width / 2; mask > 0; mask /= 2) value = op(value, platform::shuffle_xor(value, mask, Width));
#else
  (void)op;
#endif
  return value;
}

namespace detail {
struct group_max_u32 {
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::uint32_t operator()(std::uint32_t a, std::uint32_t b) const {
    return a > b ? a : b;
  }
};
}  // namespace detail

// Unsigned maximum. Applied to float bits with the sign cleared it is a NaN-propagating absolute
// maximum: every NaN orders above +inf, which orders above every finite magnitude.
template <class Policy, int Width>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::uint32_t group_max(std::uint32_t value) {
  return group_reduce<Policy, Width>(value, detail::group_max_u32{});
}

}  // namespace hipfuse
