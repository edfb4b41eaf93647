// Run-time arch detection for host launchers. It maps what the runtime reports (gcnArchName on
// AMD, the compute capability on NVIDIA) onto the same arch_id the device passes compile for.
#pragma once
#include <atomic>
#include <cstring>
#include <string>
#include "../platform/runtime.hpp"
#include "../status.hpp"
#include "arch_id.hpp"

namespace hipfuse {

// "gfx942:sramecc+:xnack-" -> gfx942. Anything else is unknown.
inline arch_id arch_from_gcn_name(const char* gcn_arch_name) {
  if (gcn_arch_name == nullptr) return arch_id::unknown;
  const std::size_t base = std::strcspn(gcn_arch_name, ":");
  const std::string name(gcn_arch_name, base);
  if (name == "gfx942") return arch_id::gfx942;
  if (name == "gfx950") return arch_id::gfx950;
  return arch_id::unknown;
}

// sm_90 (H100, H200) -> sm90; sm_89 (L4, L40, RTX 40) -> sm89. Newer GPUs need their own traits.
inline arch_id arch_from_compute_capability(int major, int minor) {
  if (major == 9 && minor == 0) return arch_id::sm90;
  if (major == 8 && minor == 9) return arch_id::sm89;
  return arch_id::unknown;
}

// The archs whose kernels this platform's launchers instantiate.
inline const char* supported_arch_list() {
#if defined(HIPFUSE_PLATFORM_HIP)
  return "gfx942 (MI300X, MI325X), gfx950 (MI350X, MI355X)";
#elif defined(HIPFUSE_PLATFORM_CUDA)
  return "sm90 (H100, H200), sm89 (L4, L40)";
#else
  return "host";
#endif
}

inline status unsupported_device(const std::string& found) {
  return status::error(status_code::unsupported_arch,
                       "hipfuse does not support the GPU found (" + found + "); supported: " + supported_arch_list());
}

namespace detail {
// Supported archs found per device index, so launches after the first skip the property query.
inline std::atomic<int>& cached_arch(int device) {
  static std::atomic<int> cache[64];  // zero = not looked up yet (arch_id::none is never cached)
  static std::atomic<int> overflow{0};
  return device >= 0 && device < 64 ? cache[device] : overflow;
}
}  // namespace detail

// The arch of the current device. Nothing launches when this is not ok().
inline status detect_arch(arch_id& out) {
  out = arch_id::unknown;
#if defined(HIPFUSE_PLATFORM_HIP)
  int device = 0;
  if (status s = platform::from_runtime(hipGetDevice(&device), "hipGetDevice"); !s.ok()) return s;
  if (const int cached = detail::cached_arch(device).load(std::memory_order_relaxed); cached != 0) {
    out = static_cast<arch_id>(cached);
    return status::success();
  }
  hipDeviceProp_t properties{};
  if (status s = platform::from_runtime(hipGetDeviceProperties(&properties, device), "hipGetDeviceProperties"); !s.ok())
    return s;
  out = arch_from_gcn_name(properties.gcnArchName);
  if (out == arch_id::unknown) return unsupported_device(properties.gcnArchName);
  detail::cached_arch(device).store(static_cast<int>(out), std::memory_order_relaxed);
#elif defined(HIPFUSE_PLATFORM_CUDA)
  int device = 0, major = 0, minor = 0;
  if (status s = platform::from_runtime(cudaGetDevice(&device), "cudaGetDevice"); !s.ok()) return s;
  if (const int cached = detail::cached_arch(device).load(std::memory_order_relaxed); cached != 0) {
    out = static_cast<arch_id>(cached);
    return status::success();
  }
  if (status s = platform::from_runtime(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device),
                                        "cudaDeviceGetAttribute");
      !s.ok())
    return s;
  if (status s = platform::from_runtime(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device),
                                        "cudaDeviceGetAttribute");
      !s.ok())
    return s;
  out = arch_from_compute_capability(major, minor);
  if (out == arch_id::unknown) return unsupported_device("sm" + std::to_string(major) + std::to_string(minor));
  detail::cached_arch(device).store(static_cast<int>(out), std::memory_order_relaxed);
#else
  out = arch_id::host;
#endif
  return status::success();
}

}  // namespace hipfuse
