// block_reduce and group_sum give every thread the exact sum (small integers in floats, so any
// summation order is exact), for each block size and each reduction backend the arch can run:
// the vendor library (CUB / rocPRIM), hipfuse's own shuffles (backend::native), serial on the host.
// Storage is reused twice in a row with a barrier in between, as the header documents.
#include <hipfuse/kernel.hpp>
#include <hipfuse/reduce/block_reduce.hpp>
#include "test_support.hpp"

using namespace hipfuse;

namespace {

template <class Policy, int BlockSize>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS(BlockSize) block_sum_kernel(const float* in, float* out) {
  kernel_body<typename Policy::arch>([&] {
    using reduce = block_reduce<Policy, BlockSize>;
    HIPFUSE_SHARED typename reduce::storage storage;
    const int tid = platform::thread_rank();
    const std::int64_t base = static_cast<std::int64_t>(platform::block_rank_x()) * BlockSize;
    const float first = reduce::sum(in[base + tid], storage);
    platform::block_barrier();
    const float second = reduce::sum(2.0f * in[base + tid], storage);
    out[2 * (base + tid)] = first;
    out[2 * (base + tid) + 1] = second;
  });
}

template <class Policy, int Width>
HIPFUSE_GLOBAL void group_sum_kernel(const float* in, float* out, int n) {
  kernel_body<typename Policy::arch>([&] {
    const int i = platform::block_rank_x() * platform::block_size() + platform::thread_rank();
    // Threads past n still take part in the shuffles, with zero.
    const float v = group_sum<Policy, Width>(i < n ? in[i] : 0.0f);
    if (i < n) out[i] = v;
  });
}

template <int BlockSize, class Backend>
void check_block_sum() {
  const int threads = hipfuse_test::on_gpu ? BlockSize : 1;
  const int blocks = 7;
  std::vector<float> in(static_cast<std::size_t>(threads) * blocks);
  std::uniform_int_distribution<int> small(-50, 50);
  for (float& v : in) v = static_cast<float>(small(hipfuse_test::rng()));
  hipfuse_test::device_buffer<float> d_in(in), d_out(2 * in.size());
  d_out.poison();
  const status s = with_detected_arch([&](auto arch_tag) {
    using Arch = decltype(arch_tag);
    if constexpr (Arch::id == arch_id::host) {
      return platform::launch(block_sum_kernel<policy<Arch>, 1>, {blocks, 1}, 1, 0, nullptr, d_in.get(), d_out.get());
    } else {
      using P = policy<Arch, Backend>;
      constexpr bool native = std::is_same_v<typename P::reduce_backend, backend::native>;
      INFO("backend native: " << native);
      return platform::launch(block_sum_kernel<P, BlockSize>, {blocks, 1}, BlockSize, 0, nullptr, d_in.get(),
                              d_out.get());
    }
  });
  REQUIRE(s.ok());
  const std::vector<float> out = d_out.download();
  for (int b = 0; b < blocks; ++b) {
    float want = 0.0f;
    for (int t = 0; t < threads; ++t) want += in[static_cast<std::size_t>(b * threads + t)];
    for (int t = 0; t < threads; ++t) {
      const std::size_t i = static_cast<std::size_t>(b * threads + t);
      INFO("block " << b << " thread " << t);
      REQUIRE(out[2 * i] == want);
      REQUIRE(out[2 * i + 1] == 2.0f * want);
    }
  }
}

template <int Width>
void check_group_sum() {
  const int n = 1000;  // not a multiple of the block: the last wave is partly idle
  std::vector<float> in(n);
  std::uniform_int_distribution<int> small(-50, 50);
  for (float& v : in) v = static_cast<float>(small(hipfuse_test::rng()));
  hipfuse_test::device_buffer<float> d_in(in), d_out(in.size());
  d_out.poison();
  int width = 1;
  const status s = with_detected_arch([&](auto arch_tag) {
    using Arch = decltype(arch_tag);
    constexpr int w = Width <= Arch::wave_size ? Width : Arch::wave_size;
    width = w;
    const int block = Arch::id == arch_id::host ? 1 : 128;
    return platform::launch(group_sum_kernel<policy<Arch>, w>, {(n + block - 1) / block, 1}, block, 0, nullptr,
                            d_in.get(), d_out.get(), n);
  });
  REQUIRE(s.ok());
  const std::vector<float> out = d_out.download();
  for (int i = 0; i < n; ++i) {
    const int first = i / width * width;
    float want = 0.0f;
    for (int j = first; j < first + width && j < n; ++j) want += in[j];
    INFO("element " << i << " width " << width);
    REQUIRE(out[i] == want);
  }
}

}  // namespace

TEST_CASE("block_reduce: every thread gets the block sum, with the policy's backend", "[rmsnorm][reduce]") {
  check_block_sum<32, backend::automatic>();
  check_block_sum<64, backend::automatic>();
  check_block_sum<256, backend::automatic>();
  check_block_sum<1024, backend::automatic>();
}

TEST_CASE("block_reduce: backend::native (shuffles + shared memory)", "[rmsnorm][reduce]") {
  check_block_sum<32, backend::native>();
  check_block_sum<96, backend::native>();
  check_block_sum<256, backend::native>();
  check_block_sum<1024, backend::native>();
}

TEST_CASE("group_sum: lane groups of 1 to 64 lanes", "[rmsnorm][reduce]") {
  check_group_sum<1>();
  check_group_sum<2>();
  check_group_sum<8>();
  check_group_sum<16>();
  check_group_sum<32>();
  check_group_sum<64>();
}
