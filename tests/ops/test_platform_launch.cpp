// platform::launch refuses a grid that clusters cannot serve before launching anything: a grid that
// is not whole clusters anywhere, and clusters at all where they do not exist (AMD, the host). On
// NVIDIA sm90 a launch in clusters of two runs every block once (the wgmma GEMM's k split uses it).
#include <cstdint>
#include <vector>
#include <hipfuse/platform/thread.hpp>
#include <hipfuse/platform/runtime.hpp>
#include "test_support.hpp"

using namespace hipfuse;

namespace {
HIPFUSE_GLOBAL void mark_blocks(std::uint32_t* out) {
  if (platform::thread_rank() == 0) out[platform::block_rank_x()] += 1u;
}
}  // namespace

TEST_CASE("platform::launch checks cluster shapes before launching", "[platform]") {
  hipfuse_test::device_buffer<std::uint32_t> marks(8);
  marks.upload(std::vector<std::uint32_t>(8, 0u));
  const int block = hipfuse_test::on_gpu ? 32 : 1;
  platform::grid_dims odd{3, 1, 2};  // three blocks are not whole clusters of two
  status s = platform::launch(mark_blocks, odd, block, 0, nullptr, marks.get());
  CHECK(s.code == status_code::invalid_shape);
  platform::grid_dims none{4, 1, 0};
  CHECK(platform::launch(mark_blocks, none, block, 0, nullptr, marks.get()).code == status_code::invalid_shape);
  platform::grid_dims pairs{4, 1, 2};
  s = platform::launch(mark_blocks, pairs, block, 0, nullptr, marks.get());
#if defined(HIPFUSE_PLATFORM_CUDA)
  int major = 0;
  REQUIRE(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0) == cudaSuccess);
  if (major >= 9) {
    REQUIRE(s.ok());
    REQUIRE(platform::synchronize().ok());
    const std::vector<std::uint32_t> got = marks.download();
    CHECK(got == std::vector<std::uint32_t>{1, 1, 1, 1, 0, 0, 0, 0});
    return;
  }
#endif
  CHECK(!s.ok());
  const std::vector<std::uint32_t> got = marks.download();
  CHECK(got == std::vector<std::uint32_t>(8, 0u));  // nothing ran
}
