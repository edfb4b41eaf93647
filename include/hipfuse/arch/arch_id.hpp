// The arch identifiers shared by the device pass (which code is compiled) and the host pass (which
// GPU is present). Both read the same enum, so launch geometry and compiled code cannot disagree.
#pragma once
#include "../config.hpp"

namespace hipfuse {

enum class arch_id {
  none,     // host pass of a GPU build: no device code is being generated
  host,     // plain host C++: kernels execute on the CPU
  gfx942,   // AMD CDNA3: MI300X, MI325X
  gfx950,   // AMD CDNA4: MI350X, MI355X
  sm89,     // NVIDIA Ada (mma.sync e4m3)
  sm90,     // NVIDIA Hopper
  unknown,  // a device pass for a target hipfuse has no traits for
};

inline constexpr const char* arch_name(arch_id id) {
  switch (id) {
    case arch_id::none: return "none";
    case arch_id::host: return "host";
    case arch_id::gfx942: return "gfx942";
    case arch_id::gfx950: return "gfx950";
    case arch_id::sm89: return "sm89";
    case arch_id::sm90: return "sm90";
    default: return "unknown";
  }
}

// The target the current compilation pass generates code for.
#if defined(HIPFUSE_PLATFORM_HOST)
inline constexpr arch_id device_target = arch_id::host;
#elif !defined(HIPFUSE_DEVICE_PASS)
inline constexpr arch_id device_target = arch_id::none;
#elif defined(__gfx942__)
inline constexpr arch_id device_target = arch_id::gfx942;
#elif defined(__gfx950__)
inline constexpr arch_id device_target = arch_id::gfx950;
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
inline constexpr arch_id device_target = arch_id::sm90;
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
inline constexpr arch_id device_target = arch_id::sm89;
#else
inline constexpr arch_id device_target = arch_id::unknown;
#endif

}  // namespace hipfuse
