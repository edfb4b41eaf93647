// The packed device converts, 4 and 2 wide (hardware instruction where the policy selects it), give exactly the
// bits of the emulation and of the independent reference, on 2^20 inputs over all magnitudes.
// On the host platform this exercises the emulated path through the same kernel.
#include <cstdint>
#include <hipfuse/kernel.hpp>
#include <hipfuse/numeric/fp8_convert.hpp>
#include "fp8_reference.hpp"
#include "test_support.hpp"

using namespace hipfuse;

template <class Policy>
HIPFUSE_GLOBAL void convert_kernel(const float* in, std::uint32_t* out, std::uint16_t* out2, int n4) {
  kernel_body<typename Policy::arch>([&] {
    for (int i = platform::block_rank_x() * platform::block_size() + platform::thread_rank(); i < n4;
         i += platform::grid_size_x() * platform::block_size()) {
      out[i] = convert_to_fp8x4<Policy>(in[4 * i], in[4 * i + 1], in[4 * i + 2], in[4 * i + 3]);
      out2[2 * i] = convert_to_fp8x2<Policy>(in[4 * i], in[4 * i + 1]);
      out2[2 * i + 1] = convert_to_fp8x2<Policy>(in[4 * i + 2], in[4 * i + 3]);
    }
  });
}

template <class Fp8>
void run_convert(const hipfuse_test::fp8_spec& spec) {
  const int n4 = 1 << 18;
  std::vector<float> in(4 * static_cast<std::size_t>(n4));
  std::uniform_int_distribution<std::uint32_t> bits;
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::uint32_t u = bits(hipfuse_test::rng());
    if (i % 4 != 0) u = (u & 0x807FFFFFu) | ((110u + (u >> 23) % 24u) << 23);  // most in the fp8 range
    in[i] = float_from_bits(u);
  }
  // Specials at the front: zeros, infinities, NaNs, the overflow boundaries.
  const float specials[] = {0.0f, -0.0f, 1.0f / 0.0f, -1.0f / 0.0f, quiet_nan(), -quiet_nan(), 448.0f, 464.0f,
                            465.0f, 480.0f, 240.0f, 248.0f, 256.0f, -464.0f, -248.0f, 1e-45f};
  for (std::size_t i = 0; i < sizeof(specials) / sizeof(float); ++i) in[i] = specials[i];

  hipfuse_test::device_buffer<float> d_in(in);
  hipfuse_test::device_buffer<std::uint32_t> d_out(static_cast<std::size_t>(n4));
  d_out.poison();
  hipfuse_test::device_buffer<std::uint16_t> d_out2(2 * static_cast<std::size_t>(n4));
  d_out2.poison();
  const status s = with_detected_arch([&](auto arch_tag) {
    using P = with_fp8<policy<decltype(arch_tag)>, Fp8>;
    constexpr bool hardware = std::is_same_v<typename P::template fp8_convert_backend<>, backend::hardware_fp8_convert>;
    INFO("hardware convert: " << hardware);
    const int block = hipfuse_test::on_gpu ? 256 : 1;
    const int grid = hipfuse_test::on_gpu ? 1024 : 1;
    return platform::launch(convert_kernel<P>, {grid, 1}, block, 0, nullptr, d_in.get(), d_out.get(), d_out2.get(), n4);
  });
  REQUIRE(s.ok());
  const std::vector<std::uint32_t> out = d_out.download();
  const std::vector<std::uint16_t> out2 = d_out2.download();
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::uint8_t got = static_cast<std::uint8_t>(out[i / 4] >> (8 * (i % 4)));
    const std::uint8_t got2 = static_cast<std::uint8_t>(out2[i / 2] >> (8 * (i % 2)));
    const std::uint8_t emulated = float_to_fp8<Fp8>(in[i]).bits;
    const std::uint8_t reference = spec.encode(in[i], true);
    if (got != emulated || got != reference || got2 != reference) {
      if (++mismatches <= 10)
        FAIL_CHECK("x=" << in[i] << " bits=0x" << std::hex << float_bits(in[i]) << " device x4=0x" << int(got) << " x2=0x" << int(got2)
                        << " emulation=0x" << int(emulated) << " reference=0x" << int(reference));
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("device fp8 convert (e4m3fn) equals the emulation bit for bit", "[fp8]") {
  run_convert<float8_e4m3fn>(hipfuse_test::e4m3fn_spec);
}

TEST_CASE("device fp8 convert (e4m3fnuz) equals the emulation bit for bit", "[fp8]") {
  run_convert<float8_e4m3fnuz>(hipfuse_test::e4m3fnuz_spec);
}
