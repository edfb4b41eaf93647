// Programmatic dependent launch with the GEMM: a two-layer chain x -> h -> x (fp8_linear twice: each
// a group_quant and a GEMM that fp8_linear chains to it, copying its weight before the quantizer has
// finished), plus a third GEMM right after the second with the same operands into a separate
// output (a GEMM chained to a GEMM, told its weight is not written by it). Every step reads what
// the step before wrote, and the second layer overwrites the x the first layer's quantizer read,
// so a kernel that touched anything but its weight before the previous grid finished would read
// stale or half-written values, or overwrite them early. The chain launched this way must give
// exactly the bits of the same chain as separate group_quant and block_scale_gemm launches, none
// of them chained. Elsewhere than sm90 the flags have no effect and the comparison is with the
// same computation.
// On NVIDIA GPUs a second case makes the hazard certain: A and its scales are written by kernels
// that let the GEMM launch at once and write only ~50 µs later, so a GEMM that read them before
// its wait would multiply the old values.
#include <cmath>
#include <cstring>
#include <hipfuse/gemm/fp8_linear.hpp>
#include "fp8_reference.hpp"
#include "test_support.hpp"

using namespace hipfuse;

namespace {

using fp8 = float8_e4m3fn;  // the host platform and NVIDIA
using layout = scale_layout::column_major_aligned4;
using linear_args = gemm::fp8_linear_args<fp8, bfloat16, layout, float>;

// An fp8 weight [n, k] of random codes (no NaN) and block scales that keep a layer's output of the
// order of its input: 1 / (sqrt(k) · rms of the codes), times a random factor per block.
struct weight {
  hipfuse_test::device_buffer<fp8> codes;
  hipfuse_test::device_buffer<float> scales;
  weight(int n, int k) : codes(static_cast<std::size_t>(n) * k), scales(static_cast<std::size_t>((n + 127) / 128) * (k / 128)) {
    const std::vector<std::uint8_t> bits = hipfuse_test::random_codes(hipfuse_test::e4m3fn_spec, codes.size(), hipfuse_test::rng());
    double squares = 0;
    for (std::uint8_t b : bits) squares += hipfuse_test::e4m3fn_spec.decode(b) * hipfuse_test::e4m3fn_spec.decode(b);
    REQUIRE(platform::copy(codes.get(), bits.data(), bits.size(), platform::copy_kind::host_to_device).ok());
    const double unit = 1.0 / (std::sqrt(double(k)) * std::sqrt(squares / double(bits.size())));
    std::vector<float> s = hipfuse_test::random_floats(scales.size(), 0.8f, 1.2f);
    for (float& v : s) v = static_cast<float>(v * unit);
    scales.upload(s);
  }
};

struct chain_result {
  std::vector<bfloat16> x, h, x_again;
};

// rounds × (h = linear(x, w1); x = linear(h, w2); x_again = the second layer's GEMM once more).
chain_result run_chain(const std::vector<bfloat16>& x0, int m, int k, int n, const weight& w1, const weight& w2,
                       bool chained, int rounds) {
  hipfuse_test::device_buffer<bfloat16> x(x0), h(static_cast<std::size_t>(m) * n), x_again(x0.size());
  // One quantization workspace per layer, and one zeroed GEMM workspace for all (the decode shapes
  // that split a tile over blocks through it are picked at M <= 32 with K >= 4096 on the H100).
  linear_args l1, l2;
  const auto describe = [&](linear_args& a, const bfloat16* in, const weight& w, bfloat16* out, int rows, int ins,
                            int outs) {
    a.x = in;
    a.ldx = ins;
    a.w = {w.codes.get(), ins};
    a.w_scale = w.scales.get();
    a.y = out;
    a.ldy = outs;
    a.m = rows;
    a.n = outs;
    a.k = ins;
  };
  describe(l1, x.get(), w1, h.get(), m, k, n);
  describe(l2, h.get(), w2, x.get(), m, n, k);
  hipfuse_test::device_buffer<fp8> q1(static_cast<std::size_t>(m) * k), q2(static_cast<std::size_t>(m) * n);
  hipfuse_test::device_buffer<float> s1(static_cast<std::size_t>(l1.scale_elements())),
      s2(static_cast<std::size_t>(l2.scale_elements()));
  const std::int64_t ws_bytes = std::int64_t{8} << 20;
  hipfuse_test::device_buffer<std::uint32_t> ws(std::vector<std::uint32_t>(static_cast<std::size_t>(ws_bytes / 4), 0u));
  for (linear_args* a : {&l1, &l2}) a->gemm_workspace = ws.get(), a->gemm_workspace_bytes = ws_bytes;
  l1.x_q = q1.get(), l1.x_scale = s1.get();
  l2.x_q = q2.get(), l2.x_scale = s2.get();
  auto again = l2.gemm();
  again.c = x_again.get();

  platform::launch_stream on{nullptr};
  on.programmatic_dependent_launch = chained;
  for (int r = 0; r < rounds; ++r) {
    for (const linear_args* a : {&l1, &l2}) {
      if (chained) {
        REQUIRE(fp8_linear(*a, on).ok());  // its GEMM chained to its quantizer, weight first
      } else {
        REQUIRE(group_quant(a->quantization()).ok());
        REQUIRE(block_scale_gemm(a->gemm()).ok());
      }
    }
    again.b_independent_of_previous_kernel = chained;
    REQUIRE(block_scale_gemm(again, on).ok());
  }
  return {x.download(), h.download(), x_again.download()};
}

#if defined(HIPFUSE_PLATFORM_CUDA)
// Lets the next grid launch, then waits delay_ns before copying two ranges: a writer still running
// while a dependent launched early has started.
struct late_range {
  const std::uint8_t* from;
  std::uint8_t* to;
  std::size_t bytes;
};
__global__ void late_copy(late_range first, late_range second, unsigned long long delay_ns) {
  wait_for_previous_grid();
  release_dependent_grid();
  unsigned long long start = 0, now = 0;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (now - start < delay_ns);
  const std::size_t step = std::size_t{gridDim.x} * blockDim.x;
  const late_range ranges[2] = {first, second};
  for (const late_range& r : ranges)
    for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < r.bytes; i += step) r.to[i] = r.from[i];
}
#endif

bool same_bits(const std::vector<bfloat16>& a, const std::vector<bfloat16>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(bfloat16)) == 0;
}

bool all_finite(const std::vector<bfloat16>& v) {
  for (bfloat16 e : v)
    if (!std::isfinite(to_float(e))) return false;
  return true;
}

}  // namespace

TEST_CASE("programmatic dependent launch: GEMMs chained weight-first give the plain chain's bits", "[gemm]") {
  const bool gpu = hipfuse_test::gpu_sizes();
  // K = 7168 and N = 2048 on the GPU: up to M = 64 the first layer takes 64x16 tiles whose k blocks
  // four warpgroups of a block share, at 300 and 4096 whole-k tiles (with the scales by copy); the
  // second layer (K = 2048) 64x64 tiles with one consumer up to M = 64 and whole-k 128-row tiles above.
  const int k = gpu ? 7168 : 512, n = gpu ? 2048 : 256, rounds = gpu ? 4 : 2;
  const weight w1(n, k), w2(k, n);
  for (int m : gpu ? std::vector<int>{1, 16, 64, 300, 4096} : std::vector<int>{1, 3}) {
    INFO("M=" << m << " K=" << k << " N=" << n);
    const std::vector<bfloat16> x0 = hipfuse_test::random_values<bfloat16>(static_cast<std::size_t>(m) * k, -3.0f, 3.0f);
    const chain_result plain = run_chain(x0, m, k, n, w1, w2, false, rounds);
    const chain_result overlapped = run_chain(x0, m, k, n, w1, w2, true, rounds);
    // The computation is not empty: finite values, x changed, the repeated GEMM equals the layer's.
    REQUIRE(all_finite(plain.x));
    REQUIRE(all_finite(plain.h));
    CHECK(!same_bits(plain.x, x0));
    CHECK(same_bits(plain.x_again, plain.x));
    CHECK(same_bits(overlapped.h, plain.h));
    CHECK(same_bits(overlapped.x, plain.x));
    CHECK(same_bits(overlapped.x_again, plain.x_again));
  }
}

#if defined(HIPFUSE_PLATFORM_CUDA)
TEST_CASE("programmatic dependent launch: a GEMM copying its weight first waits for A and its scales", "[gemm]") {
  const bool gpu = hipfuse_test::gpu_sizes();
  const int k = gpu ? 7168 : 1024;
  using gemm_args = gemm::block_scale_gemm_args<fp8, layout, float>;
  // The H100's picks: N = 2112 at M = 1 takes 64x16 tiles (which copy nothing before the wait),
  // N = 1024 at M = 1 splits each 64x64 tile over four blocks, N = 4096 at M = 16 a 64x32 tile over
  // four warpgroups, N = 7168 at M = 1 and N = 12288 at M = 16 64x64 and 64x128 tiles with one
  // consumer and the scales by copy, and M = 300 takes whole-k 128x128 tiles.
  for (const auto& [m, n] : {std::pair{1, 2112}, std::pair{1, 1024}, std::pair{16, 4096}, std::pair{1, 7168},
                             std::pair{16, 12288}, std::pair{300, 2048}}) {
    INFO("M=" << m << " N=" << n << " K=" << k);
    const weight w(n, k);
    const std::int64_t stride = layout::natural_stride(m, k / 128);
    const std::size_t a_bytes = static_cast<std::size_t>(m) * k,
                      scale_count = static_cast<std::size_t>(layout::extent(m, k / 128, stride));
    // Old and new A (codes up to 0x77, no NaN) and scales: the GEMM of the old ones gives other bits.
    const auto codes = [&](float lo, float hi) {
      std::vector<std::uint8_t> bits;
      for (float v : hipfuse_test::random_floats(a_bytes, lo, hi)) bits.push_back(static_cast<std::uint8_t>(v));
      return bits;
    };
    hipfuse_test::device_buffer<std::uint8_t> a(codes(0.0f, 120.0f)), a_new(codes(0.0f, 120.0f));
    hipfuse_test::device_buffer<float> sa(hipfuse_test::random_floats(scale_count, 1e-3f, 2e-3f)),
        sa_new(hipfuse_test::random_floats(scale_count, 1e-3f, 2e-3f));
    hipfuse_test::device_buffer<bfloat16> c(static_cast<std::size_t>(m) * n);
    const std::int64_t ws_bytes = std::int64_t{8} << 20;
    hipfuse_test::device_buffer<std::uint32_t> ws(std::vector<std::uint32_t>(static_cast<std::size_t>(ws_bytes / 4), 0u));
    gemm_args g;
    g.a = reinterpret_cast<const fp8*>(a.get());
    g.lda = k;
    g.a_scale = {sa.get(), stride};
    g.b = {w.codes.get(), k};
    g.b_scale = w.scales.get();
    g.c = c.get();
    g.ldc = n;
    g.m = m, g.n = n, g.k = k;
    g.workspace = ws.get(), g.workspace_bytes = ws_bytes;

    REQUIRE(block_scale_gemm(g).ok());
    const std::vector<bfloat16> stale = c.download();
    c.poison();
    platform::launch_stream on{nullptr};
    on.programmatic_dependent_launch = true;
    const late_range codes_range{a_new.get(), a.get(), a_bytes},
        scales_range{reinterpret_cast<const std::uint8_t*>(sa_new.get()), reinterpret_cast<std::uint8_t*>(sa.get()),
                     scale_count * 4};
    REQUIRE(platform::launch(late_copy, {4}, 256, 0, {}, codes_range, scales_range, 50000ull).ok());
    g.b_independent_of_previous_kernel = true;
    REQUIRE(block_scale_gemm(g, on).ok());
    const std::vector<bfloat16> chained = c.download();
    g.b_independent_of_previous_kernel = false;
    c.poison();
    REQUIRE(block_scale_gemm(g).ok());  // after the copies, in stream order
    const std::vector<bfloat16> fresh = c.download();
    CHECK(!same_bits(fresh, stale));
    CHECK(same_bits(chained, fresh));
  }
}
#endif
