// Host-side runtime calls used by launchers, examples, tests and benchmarks: memory, copies,
// synchronization, pointer checks and kernel launch. On the host platform "device" memory is host
// memory and a launch walks the grid serially on the calling thread.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include "../config.hpp"
#include "../status.hpp"
#include "thread.hpp"

namespace hipfuse {
namespace platform {

#if defined(HIPFUSE_PLATFORM_HIP)
using stream_t = hipStream_t;
using error_t = hipError_t;
inline constexpr error_t success_code = hipSuccess;
inline const char* error_string(error_t e) { return hipGetErrorString(e); }
#elif defined(HIPFUSE_PLATFORM_CUDA)
using stream_t = cudaStream_t;
using error_t = cudaError_t;
inline constexpr error_t success_code = cudaSuccess;
inline const char* error_string(error_t e) { return cudaGetErrorString(e); }
#else
using stream_t = void*;
#endif

struct grid_dims {
  int x = 1, y = 1;
  // Blocks per thread-block cluster along x (NVIDIA sm90: the blocks of a cluster run at once on one
  // GPC and reach each other's shared memory); x must be a multiple of it. 1: no clusters.
  int cluster_x = 1;
};

// Where and how a launcher launches: the stream, and whether the kernel's launch may overlap the
// previous kernel on the stream (NVIDIA's programmatic dependent launch, sm90 and later). Every hipfuse
// kernel waits for the previous grid's completion and memory (griddepcontrol.wait) before it touches
// any tensor, so what overlaps is the launch and block start-up (MLA QK norm, one token: 1.57 -> 1.30
// µs on the H100), except a GEMM told that its B is not written by the kernel before it
// (block_scale_gemm_args::b_independent_of_previous_kernel): the sm90 kernel copies its first B slabs
// before it waits. The flag marks a launch in a chain of such launches: the kernels with one
// block per token also let the next kernel begin its launch while they run (release_dependent_grid
// in kernel.hpp), which a kernel can only do for a next one that waits. A stream converts implicitly:
//   hipfuse::rmsnorm(args, stream);                                   // as usual
//   hipfuse::platform::launch_stream on{stream};
//   on.programmatic_dependent_launch = true;
//   hipfuse::rmsnorm(args, on);                                       // overlaps the previous kernel
// Elsewhere (AMD, the host platform, NVIDIA before sm90) the flag has no effect.
struct launch_stream {
  stream_t stream = nullptr;
  bool programmatic_dependent_launch = false;
  launch_stream(stream_t s = nullptr) : stream(s) {}  // NOLINT: implicit on purpose
};

#if !defined(HIPFUSE_PLATFORM_HOST)
inline status from_runtime(error_t e, const char* what) {
  if (e == success_code) return status::success();
  return status::error(status_code::runtime_error, std::string(what) + ": " + error_string(e));
}
#endif

inline status device_alloc(void** p, std::size_t bytes) {
#if defined(HIPFUSE_PLATFORM_HIP)
  return from_runtime(hipMalloc(p, bytes), "hipMalloc");
#elif defined(HIPFUSE_PLATFORM_CUDA)
  return from_runtime(cudaMalloc(p, bytes), "cudaMalloc");
#else
  *p = std::malloc(bytes == 0 ? 1 : bytes);
  return *p ? status::success() : status::error(status_code::runtime_error, "malloc failed");
#endif
}

inline void device_free(void* p) {
#if defined(HIPFUSE_PLATFORM_HIP)
  (void)hipFree(p);
#elif defined(HIPFUSE_PLATFORM_CUDA)
  (void)cudaFree(p);
#else
  std::free(p);
#endif
}

enum class copy_kind { host_to_device, device_to_host, device_to_device };

inline status copy(void* dst, const void* src, std::size_t bytes, copy_kind kind) {
#if defined(HIPFUSE_PLATFORM_HIP)
  const hipMemcpyKind k = kind == copy_kind::host_to_device   ? hipMemcpyHostToDevice
                          : kind == copy_kind::device_to_host ? hipMemcpyDeviceToHost
                                                              : hipMemcpyDeviceToDevice;
  return from_runtime(hipMemcpy(dst, src, bytes, k), "hipMemcpy");
#elif defined(HIPFUSE_PLATFORM_CUDA)
  const cudaMemcpyKind k = kind == copy_kind::host_to_device   ? cudaMemcpyHostToDevice
                           : kind == copy_kind::device_to_host ? cudaMemcpyDeviceToHost
                                                               : cudaMemcpyDeviceToDevice;
  return from_runtime(cudaMemcpy(dst, src, bytes, k), "cudaMemcpy");
#else
  (void)kind;
  if (bytes) std::memmove(dst, src, bytes);
  return status::success();
#endif
}

inline status synchronize() {
#if defined(HIPFUSE_PLATFORM_HIP)
  return from_runtime(hipDeviceSynchronize(), "hipDeviceSynchronize");
#elif defined(HIPFUSE_PLATFORM_CUDA)
  return from_runtime(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
#else
  return status::success();
#endif
}

#if defined(HIPFUSE_PLATFORM_HIP)
using device_attribute = hipDeviceAttribute_t;
#elif defined(HIPFUSE_PLATFORM_CUDA)
using device_attribute = cudaDeviceAttr;
#endif

#if defined(HIPFUSE_PLATFORM_HIP) || defined(HIPFUSE_PLATFORM_CUDA)
// One attribute of the current device.
inline status current_device_attribute(int& value, device_attribute attribute) {
  int device = 0;
#if defined(HIPFUSE_PLATFORM_HIP)
  if (status s = from_runtime(hipGetDevice(&device), "hipGetDevice"); !s.ok()) return s;
  return from_runtime(hipDeviceGetAttribute(&value, attribute, device), "hipDeviceGetAttribute");
#else
  if (status s = from_runtime(cudaGetDevice(&device), "cudaGetDevice"); !s.ok()) return s;
  return from_runtime(cudaDeviceGetAttribute(&value, attribute, device), "cudaDeviceGetAttribute");
#endif
}
#endif

// Compute units / SMs of the current device (persistent kernels size their grid by it); the host
// platform reports one.
inline status multiprocessor_count(int& count) {
  count = 1;
#if defined(HIPFUSE_PLATFORM_HIP)
  return current_device_attribute(count, hipDeviceAttributeMultiprocessorCount);
#elif defined(HIPFUSE_PLATFORM_CUDA)
  return current_device_attribute(count, cudaDevAttrMultiProcessorCount);
#else
  return status::success();
#endif
}

// The current device's L2 cache in bytes (0 on the host platform).
inline status l2_cache_bytes(int& bytes) {
  bytes = 0;
#if defined(HIPFUSE_PLATFORM_HIP)
  return current_device_attribute(bytes, hipDeviceAttributeL2CacheSize);
#elif defined(HIPFUSE_PLATFORM_CUDA)
  return current_device_attribute(bytes, cudaDevAttrL2CacheSize);
#else
  return status::success();
#endif
}

// Can a kernel on the current device dereference p? Plain host memory cannot.
inline bool is_device_accessible(const void* p) {
#if defined(HIPFUSE_PLATFORM_HIP)
  hipPointerAttribute_t attributes{};
  if (hipPointerGetAttributes(&attributes, p) != hipSuccess) {
    (void)hipGetLastError();
    return false;
  }
  return attributes.type == hipMemoryTypeDevice || attributes.type == hipMemoryTypeManaged;
#elif defined(HIPFUSE_PLATFORM_CUDA)
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, p) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
#else
  (void)p;
  return true;
#endif
}

#if defined(HIPFUSE_PLATFORM_CUDA)
// The launch attribute for clusters of `cluster_x` blocks along x (launch, and occupancy queries).
inline cudaLaunchAttribute cluster_attribute(int cluster_x) {
  cudaLaunchAttribute a{};
  a.id = cudaLaunchAttributeClusterDimension;
  a.val.clusterDim.x = static_cast<unsigned>(cluster_x);
  a.val.clusterDim.y = 1;
  a.val.clusterDim.z = 1;
  return a;
}
#endif

// Launch kernel<<<grid, block, shared_bytes, stream>>>(args...) and report launch errors. On the
// host platform blocks have one thread (the arch trait host::wave_size) and run one after another.
template <class... KernelArgs, class... Args>
status launch(void (*kernel)(KernelArgs...), grid_dims grid, int block, std::size_t shared_bytes, launch_stream stream,
              Args&&... args) {
  if (grid.cluster_x < 1 || grid.x % grid.cluster_x != 0)
    return status::error(status_code::invalid_shape, "kernel launch: the grid is not whole clusters");
#if defined(HIPFUSE_PLATFORM_CUDA)
  if (stream.programmatic_dependent_launch || grid.cluster_x > 1) {
    cudaLaunchConfig_t config{};
    config.gridDim = dim3(static_cast<unsigned>(grid.x), static_cast<unsigned>(grid.y));
    config.blockDim = dim3(static_cast<unsigned>(block));
    config.dynamicSmemBytes = shared_bytes;
    config.stream = stream.stream;
    cudaLaunchAttribute attribute[2];
    unsigned count = 0;
    if (stream.programmatic_dependent_launch) {
      attribute[count].id = cudaLaunchAttributeProgrammaticStreamSerialization;
      attribute[count++].val.programmaticStreamSerializationAllowed = 1;
    }
    if (grid.cluster_x > 1) attribute[count++] = cluster_attribute(grid.cluster_x);
    config.attrs = attribute;
    config.numAttrs = count;
    return from_runtime(cudaLaunchKernelEx(&config, kernel, static_cast<KernelArgs>(std::forward<Args>(args))...),
                        grid.cluster_x > 1 ? "kernel launch (clusters)" : "kernel launch (programmatic dependent)");
  }
#else
  if (grid.cluster_x > 1)
    return status::error(status_code::unsupported_arch, "kernel launch: clusters exist on NVIDIA sm90 and later only");
#endif
#if defined(HIPFUSE_PLATFORM_HIP) || defined(HIPFUSE_PLATFORM_CUDA)
  const dim3 g(static_cast<unsigned>(grid.x), static_cast<unsigned>(grid.y));
  kernel<<<g, dim3(static_cast<unsigned>(block)), shared_bytes, stream.stream>>>(std::forward<Args>(args)...);
#if defined(HIPFUSE_PLATFORM_HIP)
  return from_runtime(hipGetLastError(), "kernel launch");
#else
  return from_runtime(cudaGetLastError(), "kernel launch");
#endif
#else
  (void)shared_bytes;
  (void)stream;
  if (block != 1) return status::error(status_code::runtime_error, "host platform blocks have exactly one thread");
  const host_grid_state saved = host_grid;
  host_grid.grid_x = grid.x;
  host_grid.grid_y = grid.y;
  for (int by = 0; by < grid.y; ++by) {
    for (int bx = 0; bx < grid.x; ++bx) {
      host_grid.block_x = bx;
      host_grid.block_y = by;
      kernel(args...);
    }
  }
  host_grid = saved;
  return status::success();
#endif
}

}  // namespace platform
}  // namespace hipfuse
