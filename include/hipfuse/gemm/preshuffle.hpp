// preshuffle_b: B fp8 [N, K] (row stride ldb) -> aiter's (16, 16) weight layout for fp8,
//   w.view(N/16, 16, K/32, 2, 16).permute(0, 1, 3, 4, 2, 5)  [sic, as aiter's shuffle_weight]
// i.e. bytes ordered [n0][k0][k1][n1][k2] with n = 16·n0 + n1, k = 32·k0 + 16·k1 + k2: every
// 16-byte chunk holds 16 consecutive k of one row, and 16 rows of one chunk position are
// contiguous. Needs N % 16 == 0 and K % 32 == 0. Do it once per weight, at load time.
//   preshuffle_b_host(...)                      on the calling thread
//   preshuffle_b_chunks<Policy>::run(args)      device functor (all threads of all blocks)
//   preshuffle_b(args, stream)                  validating launcher
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include "../kernel.hpp"
#include "../numeric/vec.hpp"
#include "../platform/runtime.hpp"
#include "../platform/thread.hpp"
#include "../policy.hpp"
#include "../status.hpp"
#include "layouts.hpp"

namespace hipfuse {
namespace gemm {

template <class Fp8>
struct preshuffle_b_args {
  const Fp8* b = nullptr;  // [N, K], row stride ldb
  std::int64_t ldb = 0;
  Fp8* out = nullptr;  // N·K bytes
  int n = 0, k = 0;
};

// Source byte offset of output chunk i (16 bytes at out + 16·i).
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::int64_t preshuffle_source_offset(std::int64_t i, int k,
                                                                             std::int64_t ldb) {
  const std::int64_t o = i * 16, group = std::int64_t{16} * k;
  const std::int64_t n0 = o / group, rest = o % group;
  const std::int64_t k0 = rest / 512, k1 = (rest % 512) / 256, n1 = (rest % 256) / 16;
  return (n0 * 16 + n1) * ldb + k0 * 32 + k1 * 16;
}

template <class Fp8>
void preshuffle_b_host(const preshuffle_b_args<Fp8>& p) {
  const std::int64_t chunks = std::int64_t{p.n} * p.k / 16;
  for (std::int64_t i = 0; i < chunks; ++i) {
    std::memcpy(p.out + i * 16, p.b + preshuffle_source_offset(i, p.k, p.ldb), 16);
  }
}

template <class Policy>
struct preshuffle_b_chunks {
  template <class Fp8>
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void run(const preshuffle_b_args<Fp8>& p) {
    using chunk = vec<std::uint32_t, 4>;
    const std::int64_t chunks = std::int64_t{p.n} * p.k / 16;
    const std::int64_t stride = std::int64_t{platform::grid_size_x()} * platform::block_size();
    for (std::int64_t i = std::int64_t{platform::block_rank_x()} * platform::block_size() + platform::thread_rank();
         i < chunks; i += stride) {
      chunk::load(reinterpret_cast<const std::uint32_t*>(p.b + preshuffle_source_offset(i, p.k, p.ldb)))
          .store(reinterpret_cast<std::uint32_t*>(p.out + i * 16));
    }
  }
};

template <class Policy, class Fp8>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS(256) preshuffle_b_kernel(preshuffle_b_args<Fp8> args) {
  kernel_body<typename Policy::arch>([&] { preshuffle_b_chunks<Policy>::run(args); });
}

template <class Fp8>
status can_implement(const preshuffle_b_args<Fp8>& p) {
  if (p.b == nullptr || p.out == nullptr)
    return status::error(status_code::null_pointer, "preshuffle_b: b and out must not be null");
  if (p.n < 1 || p.k < 1 || p.n % 16 != 0 || p.k % 32 != 0)
    return status::error(status_code::invalid_shape, "preshuffle_b: needs n % 16 == 0 and k % 32 == 0 (n=" +
                                                         std::to_string(p.n) + ", k=" + std::to_string(p.k) + ")");
  if (p.ldb < p.k)
    return status::error(status_code::invalid_stride, "preshuffle_b: ldb=" + std::to_string(p.ldb) +
                                                          " is smaller than k=" + std::to_string(p.k));
  if (reinterpret_cast<std::uintptr_t>(p.b) % 16 != 0 || reinterpret_cast<std::uintptr_t>(p.out) % 16 != 0 ||
      p.ldb % 16 != 0)
    return status::error(status_code::misaligned,
                         "preshuffle_b: b and out must be 16-byte aligned, ldb a multiple of 16");
  const auto b0 = reinterpret_cast<std::uintptr_t>(p.b), o0 = reinterpret_cast<std::uintptr_t>(p.out);
  const auto b_bytes = static_cast<std::uintptr_t>((p.n - 1) * p.ldb + p.k);
  const auto o_bytes = static_cast<std::uintptr_t>(std::int64_t{p.n} * p.k);
  if (b0 < o0 + o_bytes && o0 < b0 + b_bytes)
    return status::error(status_code::overlap, "preshuffle_b: out overlaps b");
  return status::success();
}

template <class Fp8>
status preshuffle_b(const preshuffle_b_args<Fp8>& args, platform::launch_stream stream = {}) {
  if (status s = can_implement(args); !s.ok()) return s;
  return with_detected_arch([&](auto arch_tag) {
    using P = policy<decltype(arch_tag)>;
    const bool host = decltype(arch_tag)::id == arch_id::host;
    const std::int64_t chunks = std::int64_t{args.n} * args.k / 16;
    const int grid = host ? 1 : static_cast<int>(chunks / 256 + 1 < 4096 ? chunks / 256 + 1 : 4096);
    return platform::launch(preshuffle_b_kernel<P, Fp8>, {grid, 1}, host ? 1 : 256, 0, stream, args);
  });
}

}  // namespace gemm
}  // namespace hipfuse
