// The pair rounding to bf16 that the RMSNorm stores and the fused quantizer use (to_bfloat16x2: the
// packed hardware convert on NVIDIA GPUs) gives exactly the bits of the portable to_bfloat16 and
// of an independent round-to-nearest-even in double (NaN: the canonical 0x7FFF), on 2^20 inputs over every magnitude,
// subnormals, ties, the overflow boundary, infinities and NaNs (also a NaN paired with a number).
// On the host platform this exercises the portable path through the same kernel.
#include <cmath>
#include <cstdint>
#include <hipfuse/kernel.hpp>
#include <hipfuse/numeric/half_types.hpp>
#include <hipfuse/platform/runtime.hpp>
#include "test_support.hpp"

using namespace hipfuse;

template <class Arch>
HIPFUSE_GLOBAL void pair_kernel(const float* in, bfloat16* out, int pairs) {
  kernel_body<Arch>([&] {
    for (int i = platform::block_rank_x() * platform::block_size() + platform::thread_rank(); i < pairs;
         i += platform::grid_size_x() * platform::block_size())
      to_bfloat16x2(in[2 * i], in[2 * i + 1], out[2 * i], out[2 * i + 1]);
  });
}

namespace {

// Round-to-nearest-even of a non-NaN float to bf16 by comparing the two neighbours in double.
std::uint16_t reference_bits(float x) {
  const std::uint32_t u = float_bits(x);
  const std::uint32_t sign = u & 0x80000000u, mag = u & 0x7FFFFFFFu;
  if (mag >= 0x7F800000u) return static_cast<std::uint16_t>(u >> 16);  // infinity
  const std::uint32_t low = mag & 0xFFFF0000u, high = low + 0x10000u;
  const double v = static_cast<double>(float_from_bits(mag));
  const double lo = static_cast<double>(float_from_bits(low));
  const double hi = high == 0x7F800000u ? std::ldexp(1.0, 128) : static_cast<double>(float_from_bits(high));
  std::uint32_t pick = v - lo < hi - v ? low : hi - v < v - lo ? high : ((low >> 16) & 1u ? high : low);
  return static_cast<std::uint16_t>((sign | pick) >> 16);
}

}  // namespace

TEST_CASE("bf16 pair rounding equals the portable rounding and round-to-nearest-even", "[rmsnorm][numeric]") {
  const int pairs = 1 << 19;
  std::vector<float> in(2 * static_cast<std::size_t>(pairs));
  std::uniform_int_distribution<std::uint32_t> bits;
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::uint32_t u = bits(hipfuse_test::rng());
    if (i % 8 == 1) u &= 0x8000FFFFu | (u & 0x00FF0000u);  // many subnormals and tiny normals
    if (i % 8 == 2) u = (u & 0xFFFF0000u) | 0x8000u;       // exact ties
    in[i] = float_from_bits(u);
  }
  const std::uint32_t specials[] = {0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFC00001u,
                                    0x7F800001u, 0x3F800000u, 0x7F7FFFFFu, 0x7F7F7FFFu, 0x7F7F8000u, 0xFF7F8000u,
                                    0x00000001u, 0x00008000u, 0x00018000u, 0x807FFFFFu, 0x3F808000u, 0x3F818000u,
                                    0x7FA00000u, 0x3F800000u};  // the last two: a NaN paired with a number
  for (std::size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); ++i) in[i] = float_from_bits(specials[i]);

  hipfuse_test::device_buffer<float> d_in(in);
  hipfuse_test::device_buffer<bfloat16> d_out(in.size());
  d_out.poison();
  const status s = with_detected_arch([&](auto arch_tag) {
    const int block = hipfuse_test::on_gpu ? 256 : 1;
    const int grid = hipfuse_test::on_gpu ? 1024 : 1;
    return platform::launch(pair_kernel<decltype(arch_tag)>, {grid, 1}, block, 0, nullptr, d_in.get(), d_out.get(),
                            pairs);
  });
  REQUIRE(s.ok());
  const std::vector<bfloat16> out = d_out.download();
  std::size_t portable_mismatches = 0, reference_mismatches = 0, nans = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (out[i].bits != to_bfloat16(in[i]).bits) ++portable_mismatches;
    if (is_nan(in[i])) {
      ++nans;
      if (out[i].bits != 0x7FFFu) ++reference_mismatches;  // every NaN becomes the canonical 0x7FFF
      continue;
    }
    if (out[i].bits != reference_bits(in[i])) ++reference_mismatches;
  }
  INFO("inputs " << in.size() << ", NaNs " << nans);
  CHECK(portable_mismatches == 0);
  CHECK(reference_mismatches == 0);
  CHECK(nans > 0);
}
