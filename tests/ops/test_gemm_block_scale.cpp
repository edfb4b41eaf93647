// Block-scale FP8 GEMM through the public launcher, on the host platform and (built as CUDA) on
// the NVIDIA GPU, against the float64 reference: every scale layout and type, standard and
// preshuffled B, bias, padded strides, M from 1 (small-M tile) up, N tails. On the GPU also the
// DeepSeek-V3 N×K shapes for M in {1, 7, 64, 129, 4096}. Outputs are poisoned first; padding must
// stay poisoned, every element of C must be written, NaN never passes; where a case asks, repeated
// launches give the same bits. Bad arguments return the right status and write nothing.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <hipfuse/gemm/block_scale_gemm_launcher.hpp>
#include <hipfuse/gemm/preshuffle.hpp>
#include "fp8_reference.hpp"
#include "gemm_reference.hpp"
#include "test_support.hpp"

using namespace hipfuse;
using namespace hipfuse::gemm;

namespace {

// A Backend argument of run_case that launches one wgmma tile shape directly (sm90), whatever
// pick_wgmma_config would choose for the problem: tails and scale blocks the picker never sends
// to that shape at test sizes.
template <class Shape>
struct wgmma_shape_tag {
  using shape = Shape;
  static constexpr const char* name = "wgmma, one tile shape";
};
template <class T>
struct is_shape_tag : std::false_type {};
template <class Shape>
struct is_shape_tag<wgmma_shape_tag<Shape>> : std::true_type {};

template <class Backend, class Args>
status launch_for_test(const Args& args) {
  if constexpr (is_shape_tag<Backend>::value) {
#if defined(HIPFUSE_PLATFORM_CUDA)
    int sms = 0;
    if (status s = platform::multiprocessor_count(sms); !s.ok()) return s;
    if (status s = can_implement(args); !s.ok()) return s;
    return launch_block_scale_gemm_wgmma<typename Backend::shape, Args>(args, {}, sms);
#else
    return status::error(status_code::unsupported_arch, "wgmma tile shapes run on sm90 only");
#endif
  } else {
    return block_scale_gemm<Backend>(args);
  }
}

#if defined(HIPFUSE_PLATFORM_HOST)
using default_fp8 = float8_e4m3fn;
#else
using default_fp8 = float8_e4m3fn;  // sm89/sm90
#endif

template <class Fp8>
const hipfuse_test::fp8_spec& spec_of() {
  return std::is_same_v<Fp8, float8_e4m3fnuz> ? hipfuse_test::e4m3fnuz_spec : hipfuse_test::e4m3fn_spec;
}

// Random finite fp8 codes with magnitudes up to ~2^6 (activations and weights after 1x128 /
// 128x128 quantization use the whole range; this keeps sums of mixed signs meaningful).
template <class Fp8>
std::vector<std::uint8_t> random_codes(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 8 == 0) bits = hipfuse_test::rng()();
    std::uint8_t c = static_cast<std::uint8_t>(bits >> (8 * (i % 8)));
    if ((c & 0x7F) >= 0x68) c = static_cast<std::uint8_t>(c & 0xDF);  // lower the exponent: no NaN, |x| < 2^6
    if (std::is_same_v<Fp8, float8_e4m3fnuz> && c == 0x80) c = 0;
    v[i] = c;
  }
  return v;
}

// aiter's shuffle_weight(w, (16, 16)) for fp8, from its view/permute description:
// out[n0][k0][k1][n1][k2] = w[16·n0 + n1][32·k0 + 16·k1 + k2].
std::vector<std::uint8_t> shuffle_16x16(const std::vector<std::uint8_t>& w, int n, int k) {
  std::vector<std::uint8_t> out(w.size());
  std::size_t o = 0;
  for (int n0 = 0; n0 < n / 16; ++n0)
    for (int k0 = 0; k0 < k / 32; ++k0)
      for (int k1 = 0; k1 < 2; ++k1)
        for (int n1 = 0; n1 < 16; ++n1)
          for (int k2 = 0; k2 < 16; ++k2)
            out[o++] = w[static_cast<std::size_t>(16 * n0 + n1) * k + 32 * k0 + 16 * k1 + k2];
  return out;
}

struct options {
  bool bias = false;
  int lda_pad = 0, ldc_pad = 0, scale_pad = 0;
  bool nan_shared = false;  // fill every SM's shared memory with NaN bytes right before the launch
  int repeats = 0;          // launches after the first, each of which must give the first one's bits
};

#if defined(HIPFUSE_PLATFORM_CUDA)
__global__ void fill_shared_with_nan(int bytes) {
  extern __shared__ unsigned char shared[];
  for (int i = static_cast<int>(threadIdx.x); i < bytes; i += static_cast<int>(blockDim.x)) shared[i] = 0xFF;
}
#endif

// 0xFF bytes (NaN as fp8 e4m3fn and as fp32) in the shared memory of every SM, so that a tile
// reading stage rows that no copy of its own launch wrote meets NaN there rather than zeros or an
// earlier launch's data: the wgmma stages hold only the rows of A below M when M ends inside a row
// tile, and the rows past M must not reach C.
void fill_shared_memory_with_nan() {
#if defined(HIPFUSE_PLATFORM_CUDA)
  constexpr int bytes = 227 * 1024;
  int sms = 0;
  REQUIRE(platform::multiprocessor_count(sms).ok());
  REQUIRE(cudaFuncSetAttribute(fill_shared_with_nan, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes) ==
          cudaSuccess);
  fill_shared_with_nan<<<sms, 1024, bytes>>>(bytes);
  REQUIRE(cudaDeviceSynchronize() == cudaSuccess);
#endif
}

// One zeroed workspace that every case passes (args.workspace): the decode shapes that split a
// tile over blocks through it may then be picked, and the cases take turns with it, as the GEMMs
// of an engine's stream would (its tile counters must be left zero by every launch).
constexpr std::int64_t test_workspace_bytes = std::int64_t{8} << 20;
hipfuse_test::device_buffer<std::uint32_t>& test_workspace() {
  static hipfuse_test::device_buffer<std::uint32_t> w(
      std::vector<std::uint32_t>(static_cast<std::size_t>(test_workspace_bytes / 4), 0u));
  return w;
}

template <class Scale>
Scale make_scale(std::uint8_t code, float f) {
  if constexpr (std::is_same_v<Scale, ue8m0>) {
    (void)f;
    return ue8m0{code};
  } else {
    (void)code;
    return f;
  }
}
template <class Scale>
double scale_double(Scale s) {
  if constexpr (std::is_same_v<Scale, ue8m0>) {
    return std::ldexp(1.0, static_cast<int>(s.bits) - 127);
  } else {
    return s;
  }
}

// B and its scales, generated once per N×K and shared by several M.
template <class Fp8, class BLayout, class BScale>
struct weight {
  int n, k;
  std::vector<std::uint8_t> codes;  // [n][k], standard layout (the reference reads these)
  std::vector<BScale> scales;       // [ceil(n/128)][k/128]
  hipfuse_test::device_buffer<Fp8> device;
  hipfuse_test::device_buffer<BScale> device_scales;

  weight(int n_, int k_)
      : n(n_), k(k_), codes(random_codes<Fp8>(static_cast<std::size_t>(n_) * k_)),
        scales(make_scales(n_, k_)), device(codes.size()), device_scales(scales) {
    const auto stored = std::is_same_v<BLayout, b_preshuffled> ? shuffle_16x16(codes, n, k) : codes;
    REQUIRE(platform::copy(device.get(), stored.data(), stored.size(), platform::copy_kind::host_to_device).ok());
  }
  static std::vector<BScale> make_scales(int n, int k) {
    std::vector<BScale> s(static_cast<std::size_t>((n + 127) / 128) * (k / 128));
    std::uniform_int_distribution<int> code(118, 124);
    std::uniform_real_distribution<float> f(0.002f, 0.02f);
    for (auto& x : s)
      x = make_scale<BScale>(static_cast<std::uint8_t>(code(hipfuse_test::rng())), f(hipfuse_test::rng()));
    return s;
  }
};

template <class Fp8, class ALayout, class AScale, class BLayout, class BScale, class Backend = backend::automatic>
void run_case(const weight<Fp8, BLayout, BScale>& w, int m, const options& o) {
  const int n = w.n, k = w.k, kb = k / 128;
  INFO("M=" << m << " N=" << n << " K=" << k << " A scales " << ALayout::name << " "
            << (std::is_same_v<AScale, ue8m0> ? "ue8m0" : "fp32") << ", B " << BLayout::name << ", bias " << o.bias
            << ", lda pad " << o.lda_pad << ", ldc pad " << o.ldc_pad << ", fp8 " << Fp8::name << ", backend "
            << Backend::name);
  const std::int64_t lda = k + o.lda_pad, ldc = n + o.ldc_pad;
  const std::vector<std::uint8_t> a_codes = random_codes<Fp8>(static_cast<std::size_t>(m) * lda);

  // A scales: a logical [m][kb] matrix placed into the layout's storage by this test's own rules.
  constexpr bool row_major = std::is_same_v<ALayout, scale_layout::row_major>;
  constexpr bool packed = std::is_same_v<ALayout, scale_layout::ue8m0_packed_column_major>;
  constexpr bool aligned = std::is_same_v<ALayout, scale_layout::column_major_aligned4> || packed;
  using storage = std::conditional_t<packed, std::int32_t, AScale>;
  const std::int64_t sa_ld = row_major ? kb + o.scale_pad : (aligned ? (m + 3) / 4 * 4 : m + o.scale_pad);
  std::vector<AScale> sa(static_cast<std::size_t>(m) * kb);
  std::uniform_int_distribution<int> code(118, 124);
  std::uniform_real_distribution<float> f(0.002f, 0.02f);
  for (auto& x : sa)
    x = make_scale<AScale>(static_cast<std::uint8_t>(code(hipfuse_test::rng())), f(hipfuse_test::rng()));
  // Storage up to the last element the layout holds and no further (the last row, or column, ends at
  // its last scale, not at the stride), so that a read past it is out of bounds for memcheck.
  const std::size_t words = packed      ? static_cast<std::size_t>(((kb + 3) / 4 - 1) * sa_ld + m)
                            : row_major ? static_cast<std::size_t>((m - 1) * sa_ld + kb)
                                        : static_cast<std::size_t>((kb - 1) * sa_ld + m);
  std::vector<storage> sa_storage(words);
  std::memset(static_cast<void*>(sa_storage.data()), 0x7F, words * sizeof(storage));
  for (int i = 0; i < m; ++i)
    for (int g = 0; g < kb; ++g) {
      const AScale v = sa[static_cast<std::size_t>(i) * kb + g];
      if constexpr (packed) {
        reinterpret_cast<unsigned char*>(&sa_storage[static_cast<std::size_t>((g / 4) * sa_ld + i)])[g % 4] =
            reinterpret_cast<const unsigned char&>(v);
      } else {
        sa_storage[static_cast<std::size_t>(row_major ? i * sa_ld + g : g * sa_ld + i)] =
            reinterpret_cast<const storage&>(v);
      }
    }
  std::vector<bfloat16> bias(o.bias ? n : 0);
  for (auto& x : bias) x = to_bfloat16(std::uniform_real_distribution<float>(-4.0f, 4.0f)(hipfuse_test::rng()));

  hipfuse_test::device_buffer<Fp8> d_a(a_codes.size());
  REQUIRE(platform::copy(d_a.get(), a_codes.data(), a_codes.size(), platform::copy_kind::host_to_device).ok());
  hipfuse_test::device_buffer<storage> d_sa(sa_storage);
  hipfuse_test::device_buffer<bfloat16> d_bias(std::max<std::size_t>(bias.size(), 1));
  if (o.bias) d_bias.upload(bias);
  hipfuse_test::device_buffer<bfloat16> d_c(static_cast<std::size_t>(m) * ldc);
  d_c.poison();

  block_scale_gemm_args<Fp8, ALayout, AScale, BLayout, BScale> args;
  args.a = d_a.get();
  args.lda = lda;
  args.a_scale = {d_sa.get(), sa_ld};
  args.b = {w.device.get(), k};
  args.b_scale = w.device_scales.get();
  args.bias = o.bias ? d_bias.get() : nullptr;
  args.c = d_c.get();
  args.ldc = ldc;
  args.m = m;
  args.n = n;
  args.k = k;
  args.workspace = test_workspace().get();
  args.workspace_bytes = test_workspace_bytes;
  if (o.nan_shared) fill_shared_memory_with_nan();
  const status s = launch_for_test<Backend>(args);
  INFO(s.message);
  REQUIRE(s.ok());
  const std::vector<bfloat16> c = d_c.download();
  // The same bits at every launch: the k splits add their partial sums in a fixed order whichever
  // warpgroup or block finishes first.
  int launches_differing = 0;
  for (int r = 0; r < o.repeats; ++r) {
    d_c.poison();
    REQUIRE(launch_for_test<Backend>(args).ok());
    const std::vector<bfloat16> again = d_c.download();
    launches_differing += std::memcmp(again.data(), c.data(), c.size() * sizeof(bfloat16)) != 0;
  }
  CHECK(launches_differing == 0);

  // Every element written, padding untouched, no NaN.
  const std::uint16_t poison = hipfuse_test::device_buffer<bfloat16>::poison_value().bits;
  std::size_t unwritten = 0, nans = 0, padding_written = 0;
  for (int i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < ldc; ++j) {
      const bfloat16 v = c[static_cast<std::size_t>(i * ldc + j)];
      if (j >= n) {
        padding_written += v.bits != poison;
      } else {
        unwritten += v.bits == poison;
        nans += std::isnan(to_float(v));
      }
    }
  }
  CHECK(unwritten == 0);
  CHECK(nans == 0);
  CHECK(padding_written == 0);

  // Compare with float64: every element of small problems, a sample (corners, tile edges, random)
  // of large ones.
  const auto& spec = spec_of<Fp8>();
  double decode[256];
  for (int i = 0; i < 256; ++i) decode[i] = spec.decode(static_cast<std::uint8_t>(i));
  auto a_at = [&](int r, int kk) { return decode[a_codes[static_cast<std::size_t>(r * lda + kk)]]; };
  auto b_at = [&](int col, int kk) { return decode[w.codes[static_cast<std::size_t>(col) * k + kk]]; };
  auto sa_at = [&](int r, int kb_) { return scale_double(sa[static_cast<std::size_t>(r) * kb + kb_]); };
  auto sb_at = [&](int nb, int kb_) { return scale_double(w.scales[static_cast<std::size_t>(nb * kb + kb_)]); };
  std::vector<std::pair<int, int>> points;
  if (static_cast<std::int64_t>(m) * n <= 40000) {
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) points.push_back({i, j});
  } else {
    for (int i : {0, m / 2, m - 1})
      for (int j : {0, 63, 64, 127, 128, n / 2, n - 1}) points.push_back({i, std::min(j, n - 1)});
    std::uniform_int_distribution<int> ri(0, m - 1), rj(0, n - 1);
    for (int t = 0; t < 3000; ++t) points.push_back({ri(hipfuse_test::rng()), rj(hipfuse_test::rng())});
  }
  std::vector<double> got, want;
  for (auto [i, j] : points) {
    double ref = hipfuse_test::gemm_reference_element(i, j, k, a_at, b_at, sa_at, sb_at);
    if (o.bias) ref += to_float(bias[j]);
    want.push_back(ref);
    got.push_back(to_float(c[static_cast<std::size_t>(i * ldc + j)]));
  }
  const double err = hipfuse_test::relative_frobenius_error(got, want);
  INFO("relative Frobenius error " << err << " over " << points.size() << " elements");
  CHECK(err <= 1e-2);
}

template <class Fp8, class ALayout, class AScale, class BLayout, class BScale, class Backend = backend::automatic>
void run_shapes(const std::vector<std::pair<int, int>>& nk, const std::vector<int>& ms, const options& o) {
  for (auto [n, k] : nk) {
    weight<Fp8, BLayout, BScale> w(n, k);
    for (int m : ms) run_case<Fp8, ALayout, AScale, BLayout, BScale, Backend>(w, m, o);
  }
}

// Small shapes for the host platform; the GPU runs them too.
const std::vector<std::pair<int, int>> small_nk = {{16, 128}, {80, 256}, {200, 128}, {256, 384}};
const std::vector<std::pair<int, int>> small_nk16 = {{16, 128}, {208, 256}};
const std::vector<int> small_m = {1, 7, 17, 129};

}  // namespace

TEST_CASE("block-scale GEMM, fp32 scales row-major, standard B", "[gemm]") {
  run_shapes<default_fp8, scale_row_major, float, b_standard, float>(small_nk, small_m, {});
}

TEST_CASE("block-scale GEMM, bias and padded strides", "[gemm]") {
  options o;
  o.bias = true;
  o.lda_pad = 32;
  o.ldc_pad = 5;
  run_shapes<default_fp8, scale_row_major, float, b_standard, float>({{80, 256}}, {3, 40}, o);
}

TEST_CASE("block-scale GEMM, column-major A scales (stride M, padded, align(M, 4))", "[gemm]") {
  run_shapes<default_fp8, scale_col_major, float, b_standard, float>({{80, 256}}, {1, 7, 33}, {});
  options o;
  o.scale_pad = 3;
  run_shapes<default_fp8, scale_col_major, float, b_standard, float>({{80, 256}}, {9}, o);
  run_shapes<default_fp8, scale_row_major, float, b_standard, float>({{80, 256}}, {9}, o);
  run_shapes<default_fp8, column_major_aligned4, float, b_standard, float>({{200, 128}}, {5, 18}, {});
}

TEST_CASE("block-scale GEMM, UE8M0 scales", "[gemm]") {
  run_shapes<default_fp8, scale_row_major, ue8m0, b_standard, ue8m0>({{80, 256}}, {1, 30}, {});
  run_shapes<default_fp8, scale_col_major, ue8m0, b_standard, ue8m0>({{16, 128}}, {20}, {});
  run_shapes<default_fp8, scale_row_major, ue8m0, b_standard, float>({{16, 128}}, {20}, {});
  // DeepGEMM's packed layout: four UE8M0 codes per int32 along K; K/128 = 6 leaves a partial word.
  run_shapes<default_fp8, ue8m0_packed_column_major, ue8m0, b_standard, ue8m0>({{80, 768}}, {1, 21}, {});
}

TEST_CASE("block-scale GEMM, preshuffled B", "[gemm]") {
#if defined(HIPFUSE_PLATFORM_HOST)
  // The host's 32x32 tile loads preshuffled B straight into the fragments (the gfx950 main loop's
  // path) and its small-M tile through shared memory: both run below.
  using pre = block_scale_gemm_args<default_fp8, scale_row_major, float, b_preshuffled, float>;
  using std_b = block_scale_gemm_args<default_fp8, scale_row_major, float, b_standard, float>;
  STATIC_REQUIRE(block_scale_gemm_tile<policy<arch::host>, pre>::pipeline::b_direct);
  STATIC_REQUIRE_FALSE(block_scale_gemm_tile<policy<arch::host>, pre, true>::pipeline::b_direct);
  STATIC_REQUIRE_FALSE(block_scale_gemm_tile<policy<arch::host>, std_b>::pipeline::b_direct);
#endif
  run_shapes<default_fp8, scale_row_major, float, b_preshuffled, float>(small_nk16, {1, 7, 129}, {});
  // Three 128-k blocks (B fragments prefetched across two block boundaries), a 16-row N tail
  // and partial M tiles.
  run_shapes<default_fp8, scale_col_major, float, b_preshuffled, float>({{48, 384}}, {17, 33}, {});
  options o;
  o.bias = true;
  run_shapes<default_fp8, scale_col_major, ue8m0, b_preshuffled, ue8m0>({{208, 256}}, {19}, o);
}

#if defined(HIPFUSE_PLATFORM_HOST)
TEST_CASE("block-scale GEMM, e4m3fnuz operands on the host platform", "[gemm]") {
  run_shapes<float8_e4m3fnuz, scale_row_major, float, b_standard, float>({{80, 256}}, {1, 20}, {});
}
#endif

TEST_CASE("block-scale GEMM, DeepSeek-V3 shapes", "[gemm][deepseek]") {
  if (!hipfuse_test::gpu_sizes()) {
    // The host platform runs one thread per block (and the sanitizer is slow): reduced N and K.
    run_shapes<default_fp8, scale_col_major, float, b_standard, float>({{264, 896}}, {1, 64}, {});
    return;
  }
  const std::vector<std::pair<int, int>> nk = {{2112, 7168}, {24576, 1536}, {32768, 512},
                                               {7168, 16384}, {4096, 7168}, {7168, 2048}};
  run_shapes<default_fp8, scale_col_major, float, b_standard, float>(nk, {1, 7, 64, 129, 257, 4096}, {});
}

// Decode with long k where the launcher takes one round of 128-row tiles over several of 64-row
// ones on an H100 (pick_wgmma_config): 128x192 on 18432x7168 at M = 16, 128x128 on 12288x7168 at
// M = 96 (a last row tile that holds part of its rows); the host runs reduced sizes.
TEST_CASE("block-scale GEMM, long-k decode in one round of 128-row tiles", "[gemm]") {
  const bool gpu = hipfuse_test::gpu_sizes();
  run_shapes<default_fp8, scale_col_major, float, b_standard, float>({{gpu ? 18432 : 392, gpu ? 7168 : 512}}, {16},
                                                                     {});
  run_shapes<default_fp8, scale_col_major, float, b_standard, float>({{gpu ? 12288 : 264, gpu ? 7168 : 512}}, {96},
                                                                     {});
}

// On sm90 the 128-row wgmma tiles take fp32 column-major A scales (stride a multiple of 4, K/128
// a multiple of 4) by copy into the stages and every other case from global memory: both,
// with a last row tile that holds only part of a scale column. M = 130 and 256 with N = 7168 run
// 128x128 tiles on an H100 (pick_wgmma_config); the host runs reduced sizes.
TEST_CASE("block-scale GEMM scale paths of the large tiles", "[gemm]") {
  const bool gpu = hipfuse_test::gpu_sizes();
  const int n = gpu ? 7168 : 136;
  run_shapes<default_fp8, column_major_aligned4, float, b_standard, float>({{n, 512}}, {130}, {});
  run_shapes<default_fp8, scale_col_major, float, b_standard, float>({{n, 768}}, {gpu ? 256 : 12}, {});
  run_shapes<default_fp8, scale_row_major, float, b_standard, float>({{n, 512}}, {gpu ? 256 : 12}, {});
  run_shapes<default_fp8, ue8m0_packed_column_major, ue8m0, b_standard, ue8m0>({{n, 512}}, {gpu ? 256 : 12}, {});
}

#if defined(HIPFUSE_PLATFORM_CUDA)
// Prefill where A outgrows the L2: the persistent blocks walk the tiles in bands of 8 row tiles
// (wgmma_group_rows), and the launcher takes 192-row tiles (pick_wgmma_config). M is set from this
// GPU's L2 so that it bands, and is a multiple of neither 128 nor 192: the last band is narrower
// than 8 and its last row tile holds part of its rows (on an H100 4844 rows: 26 row tiles of
// 192x128 or 38 of 128x128 over 8 columns). Both tiles run, the pick and 128x128 launched directly.
// Every element is checked as written (poisoned C), a sample against float64.
TEST_CASE("block-scale GEMM, tile walk in bands where A outgrows the L2", "[gemm]") {
  int l2 = 0, sms = 0;
  REQUIRE(platform::l2_cache_bytes(l2).ok());
  REQUIRE(platform::multiprocessor_count(sms).ok());
  REQUIRE(l2 > 0);
  const int k = 7168, n = 1024;
  int m = static_cast<int>(std::int64_t{3} * l2 / 5 / k) / 128 * 128 + 128 * 3 + 108;
  while ((m + 127) / 128 % 8 == 0 || (m + 191) / 192 % 8 == 0 || m % 192 == 0) m += 128;
  REQUIRE(hipfuse::gemm::wgmma_group_rows((m + 127) / 128, std::int64_t{m} * k, l2) == 8);
  REQUIRE(hipfuse::gemm::wgmma_group_rows((m + 191) / 192, std::int64_t{m} * k, l2) == 8);
  REQUIRE(hipfuse::gemm::pick_wgmma_config(m, n, sms, k, 0, true, l2) == hipfuse::gemm::wgmma_config::t192x128);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float>({{n, k}}, {m}, {});
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_128x128>>({{n, k}},
                                                                                                          {m}, {});
}

// The 192×128 wgmma tiles (three consumer warpgroups), launched directly: a last row tile that M
// ends inside its first, second or third row group (M = 1, 100, 130, 250, 383, 400), one row
// tile and several, N tails (200: a tile and a half), scales by copy (column-major A scales) and
// from global memory (row-major, UE8M0), bias and padded strides.
TEST_CASE("block-scale GEMM, 192x128 wgmma tiles", "[gemm]") {
  const bool full = hipfuse_test::gpu_sizes();  // reduced under the sanitizers
  using tile = wgmma_shape_tag<wgmma_shape_192x128>;
  const std::vector<int> ms = full ? std::vector<int>{1, 100, 130, 250, 383, 400} : std::vector<int>{1, 130, 250};
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, tile>({{200, 512}, {2112, 1024}}, ms, {});
  run_shapes<default_fp8, scale_row_major, float, b_standard, float, tile>({{456, 512}}, {193}, {});
  run_shapes<default_fp8, ue8m0_packed_column_major, ue8m0, b_standard, ue8m0, tile>({{2112, 512}},
                                                                                     {full ? 577 : 130}, {});
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, tile>({{7168, full ? 2048 : 512}},
                                                                         {full ? 1000 : 200}, {true, 32, 8, 4});
}
#endif

#if defined(HIPFUSE_PLATFORM_CUDA)
// The 128×192 wgmma tiles, launched directly: tiles that start on a 128-column scale block and
// ones that start 64 columns into one (n0 = 192), a last tile whose second block lies past N
// (N = 200, 256: no second row of B scales), one that needs it (N = 2112), scales by bulk copy
// (column-major A scales) and from global memory (row-major, UE8M0).
TEST_CASE("block-scale GEMM, 128x192 wgmma tiles on scale-block boundaries and N tails", "[gemm]") {
  const bool full = hipfuse_test::gpu_sizes();  // reduced under the sanitizers
  using tile = wgmma_shape_tag<wgmma_shape_128x192>;
  const std::vector<int> ms = full ? std::vector<int>{1, 130, 300} : std::vector<int>{1, 130};
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, tile>({{200, 512}, {256, 256}, {2112, 1024}}, ms,
                                                                           {});
  run_shapes<default_fp8, scale_row_major, float, b_standard, float, tile>({{456, 512}}, {129}, {});
  run_shapes<default_fp8, ue8m0_packed_column_major, ue8m0, b_standard, ue8m0, tile>({{2112, 512}},
                                                                                     {full ? 257 : 130}, {});
  if (full)
    run_shapes<default_fp8, column_major_aligned4, float, b_standard, float, tile>({{7168, 2048}}, {256},
                                                                                 {true, 0, 0});
}

// The 64×32 tiles with four consumer warpgroups splitting the k blocks, launched directly: k block
// counts that leave a warpgroup with none (K = 384: three blocks) or uneven shares (640, 1152), N
// tails, partial row tiles, scales from global memory in every layout.
TEST_CASE("block-scale GEMM, 64x32 wgmma tiles with a four-way k split", "[gemm]") {
  using tile = wgmma_shape_tag<wgmma_shape_64x32_k4>;
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, tile>({{80, 384}, {200, 640}, {2112, 1152}},
                                                                           {1, 7, 64, 100}, {});
  run_shapes<default_fp8, scale_row_major, float, b_standard, float, tile>({{48, 512}}, {33}, {true, 0, 0});
  run_shapes<default_fp8, ue8m0_packed_column_major, ue8m0, b_standard, ue8m0, tile>({{96, 640}}, {64}, {});
  if (hipfuse_test::gpu_sizes())
    run_shapes<default_fp8, scale_col_major, float, b_standard, float, tile>({{2112, 7168}, {4096, 7168}}, {64, 128},
                                                                             {});
}

// The 64×16 tiles with four consumer warpgroups splitting the k blocks (decode on N = 2112),
// launched directly: N tails (200: half a tile), k block counts that leave a warpgroup none or
// uneven shares, every scale layout, and M inside the row tile, where each stage holds only the
// M rows of A (the rest of the stage is NaN from the fill before the launch).
TEST_CASE("block-scale GEMM, 64x16 wgmma tiles with a four-way k split", "[gemm]") {
  using tile = wgmma_shape_tag<wgmma_shape_64x16_k4>;
  options nan_shared;
  nan_shared.nan_shared = true;
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, tile>({{80, 384}, {200, 640}, {2112, 1152}},
                                                                           {1, 3, 7, 64, 100}, nan_shared);
  run_shapes<default_fp8, scale_row_major, float, b_standard, float, tile>({{48, 512}}, {33}, {true, 0, 0});
  run_shapes<default_fp8, ue8m0_packed_column_major, ue8m0, b_standard, ue8m0, tile>({{96, 640}}, {5}, nan_shared);
  if (hipfuse_test::gpu_sizes())
    run_shapes<default_fp8, scale_col_major, float, b_standard, float, tile>({{2112, 7168}}, {1, 16, 64}, {});
}

// The 64-row tiles with one consumer warpgroup taking every k block (decode up to 128 rows),
// launched directly: N tails (200: a tile and a half of 64x128), k block counts from 3 to 9, M
// inside the first row tile and in a last row tile that holds 36 or 2 rows (the stages' other
// rows NaN from the fill before the launch), scales by copy and from global memory in every
// layout (column-major with a stride that is not a multiple of 4 among them), bias and padded
// strides (an odd ldc: the stores from registers instead of the tensor store).
TEST_CASE("block-scale GEMM, 64-row wgmma tiles with one consumer", "[gemm]") {
  options nan_shared;
  nan_shared.nan_shared = true;
  options padded;
  padded.bias = true;
  padded.lda_pad = 32;
  padded.ldc_pad = 5;
  options scale_padded;
  scale_padded.scale_pad = 3;
  const auto run = [&](auto tile) {
    using tile_t = decltype(tile);
    run_shapes<default_fp8, scale_col_major, float, b_standard, float, tile_t>({{80, 384}, {200, 640}, {2112, 1152}},
                                                                               {1, 7, 64, 100, 130}, nan_shared);
    run_shapes<default_fp8, scale_row_major, float, b_standard, float, tile_t>({{48, 512}}, {33, 90}, padded);
    run_shapes<default_fp8, scale_col_major, float, b_standard, float, tile_t>({{200, 512}}, {9, 70}, scale_padded);
    run_shapes<default_fp8, ue8m0_packed_column_major, ue8m0, b_standard, ue8m0, tile_t>({{96, 640}}, {5, 70},
                                                                                          nan_shared);
  };
  run(wgmma_shape_tag<wgmma_shape_64x128>{});
  run(wgmma_shape_tag<wgmma_shape_64x64_k1>{});
  if (hipfuse_test::gpu_sizes()) {
    run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_64x128>>(
        {{32768, 512}, {24576, 1536}}, {1, 16, 128}, {});
    run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_64x64_k1>>(
        {{7168, 2048}, {4096, 7168}}, {1, 64, 96}, {});
  }
}

// Every tile shape with M inside its first row tile or inside a later one (whose stages copy only
// the rows below M through their own boxes), the stages' rows past M (and, where the scales come
// by copy, the A scales' slots past M rounded up to 4) NaN from before the launch.
TEST_CASE("block-scale GEMM, wgmma stages past M are never read into C", "[gemm]") {
  options nan_shared;
  nan_shared.nan_shared = true;
  const std::vector<std::pair<int, int>> nk = {{200, 512}};
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_128x128>>(
      nk, {1, 5, 100, 130, 250}, nan_shared);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_128x192>>(
      nk, {2, 64, 133}, nan_shared);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_192x128>>(
      nk, {3, 70, 150, 199}, nan_shared);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_128x64>>(
      nk, {3, 190}, nan_shared);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_64x64>>(
      nk, {1, 9, 70}, nan_shared);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_64x32>>(
      nk, {6, 97}, nan_shared);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_64x128>>(
      nk, {1, 9, 66}, nan_shared);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_64x64_k1>>(
      nk, {2, 127}, nan_shared);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_64x32_k4>>(
      nk, {96}, nan_shared);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_64x16_k4>>(
      nk, {80}, nan_shared);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_64x64_c2>>(
      nk, {1, 7, 70}, nan_shared);
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, wgmma_shape_tag<wgmma_shape_64x64_g4>>(
      nk, {1, 7, 70}, nan_shared);
}

// The small cases of a k split across four and two blocks: k block counts that leave a block none
// or uneven shares, more tiles than the grid holds at once, N tails, bias, every scale layout.
template <class Four, class Two>
void run_block_split_cases() {
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, Four>({{80, 128}, {200, 384}, {2112, 1152}},
                                                                           {1, 7, 64, 100}, {});
  run_shapes<default_fp8, scale_col_major, float, b_standard, float, Two>({{80, 128}, {200, 640}, {2112, 1152}},
                                                                          {1, 7, 64, 200}, {});
  run_shapes<default_fp8, scale_row_major, float, b_standard, float, Four>({{48, 512}}, {33}, {true, 0, 0});
  run_shapes<default_fp8, ue8m0_packed_column_major, ue8m0, b_standard, ue8m0, Two>({{96, 640}}, {64}, {});
}

// The 64×64 tiles whose k blocks a cluster of two (four) blocks shares, launched directly: k block
// counts that leave a block with none (K = 128, 384 over four) or uneven shares (640, 1152), more
// tiles than clusters (rank 0's slots reused: N = 2112 at M = 100 / 200 makes 66 / 132 tiles of 64×64
// for 30 clusters of four / 66 of two on an H100), N tails, partial row tiles, bias, every scale layout.
TEST_CASE("block-scale GEMM, 64x64 wgmma tiles with a k split across a cluster", "[gemm]") {
  // Four blocks per cluster: no launcher picks it on the H100 (30 clusters of four fit), but the
  // hand-over is written for any count.
  using c4 = wgmma_shape_tag<wgmma_shape<64, 64, 9, 2, 2, 4>>;
  using c2 = wgmma_shape_tag<wgmma_shape_64x64_c2>;
  run_block_split_cases<c4, c2>();
  if (hipfuse_test::gpu_sizes()) {
    options repeated;  // rank 0 adds the other blocks' sums in rank order: the same bits every time
    repeated.repeats = 10;
    options bias_repeated = repeated;
    bias_repeated.bias = true;
    run_shapes<default_fp8, scale_col_major, float, b_standard, float, c4>({{2112, 7168}, {4096, 7168}},
                                                                           {1, 16, 64, 128}, repeated);
    run_shapes<default_fp8, scale_col_major, float, b_standard, float, c2>({{4096, 7168}, {7168, 2048}},
                                                                           {1, 16, 64}, bias_repeated);
  }
}

TEST_CASE("block-scale GEMM, 64x64 wgmma tiles with a k split over blocks through a workspace", "[gemm]") {
  // Four blocks per tile (picked for N = 2112 decode) and two (written for any count): k block
  // counts that leave a block none or uneven shares, more tiles than the grid holds at once, N
  // tails, bias, every scale layout. The shared workspace's counters must come back to zero after
  // each launch, or the next case would not find its last block.
  using g4 = wgmma_shape_tag<wgmma_shape_64x64_g4>;
  using g2 = wgmma_shape_tag<wgmma_shape<64, 64, 12, 2, 2, 2, split_handoff::global>>;
  run_block_split_cases<g4, g2>();
  if (hipfuse_test::gpu_sizes()) {
    options repeated;  // whichever block counts last adds the slots in rank order: the same bits
    repeated.repeats = 10;
    options bias_repeated = repeated;
    bias_repeated.bias = true;
    run_shapes<default_fp8, scale_col_major, float, b_standard, float, g4>({{2112, 7168}, {7168, 2048}},
                                                                           {1, 16, 32, 64}, bias_repeated);
    run_shapes<default_fp8, scale_col_major, float, b_standard, float, g2>({{4096, 7168}}, {1, 16}, repeated);
  }
}

// On sm90 the automatic backend is wgmma (standard B); the mma.sync tiles stay selectable and run
// preshuffled B, so they keep their own GPU coverage here.
TEST_CASE("block-scale GEMM, mma.sync backend chosen explicitly", "[gemm]") {
  using mma = backend::mma_sync_e4m3;
  run_shapes<default_fp8, scale_row_major, float, b_standard, float, mma>(small_nk, small_m, {});
  run_shapes<default_fp8, scale_col_major, ue8m0, b_standard, ue8m0, mma>({{80, 768}}, {1, 21}, {});
  if (hipfuse_test::gpu_sizes())
    run_shapes<default_fp8, scale_col_major, float, b_standard, float, mma>({{2112, 7168}, {7168, 2048}},
                                                                            {1, 64, 129, 4096}, {});
}
#endif

TEST_CASE("preshuffle_b matches aiter's (16, 16) layout", "[gemm]") {
  const int n = 48, k = 256;
  const auto codes = random_codes<default_fp8>(static_cast<std::size_t>(n) * k);
  hipfuse_test::device_buffer<default_fp8> d_b(codes.size()), d_out(codes.size());
  REQUIRE(platform::copy(d_b.get(), codes.data(), codes.size(), platform::copy_kind::host_to_device).ok());
  d_out.poison();
  preshuffle_b_args<default_fp8> args{d_b.get(), k, d_out.get(), n, k};
  REQUIRE(preshuffle_b(args).ok());
  const auto out = d_out.download();
  const auto want = shuffle_16x16(codes, n, k);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i) bad += out[i].bits != want[i];
  CHECK(bad == 0);
  // The host utility gives the same bytes.
  std::vector<default_fp8> host_in(codes.size()), host_out(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) host_in[i].bits = codes[i];
  preshuffle_b_host(preshuffle_b_args<default_fp8>{host_in.data(), k, host_out.data(), n, k});
  bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i) bad += host_out[i].bits != want[i];
  CHECK(bad == 0);
  // Bad shapes are refused.
  CHECK(preshuffle_b(preshuffle_b_args<default_fp8>{d_b.get(), k, d_out.get(), 40, k}).code ==
        status_code::invalid_shape);
}

// Repeated launches of one problem give the same bits, on the decode shapes whose tiles split k
// over warpgroups (the picker's choices for these N×K and M; the cluster and workspace splits
// repeat in their own cases above), and on the small shapes everywhere.
TEST_CASE("block-scale GEMM, repeated launches give the same bits", "[gemm]") {
  options repeated;
  repeated.repeats = 2;
  run_shapes<default_fp8, scale_col_major, float, b_standard, float>({{80, 256}, {200, 640}}, {1, 7, 64}, repeated);
  if (hipfuse_test::gpu_sizes()) {
    repeated.repeats = 20;
    run_shapes<default_fp8, scale_col_major, float, b_standard, float>(
        {{2112, 7168}, {4096, 7168}, {7168, 16384}, {7168, 2048}}, {1, 16, 32, 64, 128}, repeated);
  }
}

TEST_CASE("block-scale GEMM validation: a clear status and nothing written", "[gemm][validation]") {
  const int m = 8, n = 32, k = 256;
  hipfuse_test::device_buffer<default_fp8> a(static_cast<std::size_t>(m) * k + 16), b(static_cast<std::size_t>(n) * k);
  hipfuse_test::device_buffer<float> sa(static_cast<std::size_t>(m) * 2), sb(2);
  hipfuse_test::device_buffer<bfloat16> c(static_cast<std::size_t>(m) * n);
  using args_t = block_scale_gemm_args<default_fp8, scale_row_major, float, b_standard, float>;
  auto good = [&] {
    args_t p;
    p.a = a.get();
    p.lda = k;
    p.a_scale = {sa.get(), 2};
    p.b = {b.get(), k};
    p.b_scale = sb.get();
    p.c = c.get();
    p.ldc = n;
    p.m = m;
    p.n = n;
    p.k = k;
    return p;
  };
  REQUIRE(can_implement(good()).ok());
  struct bad_case {
    const char* what;
    status_code expected;
    void (*edit)(args_t&);
  };
  const bad_case cases[] = {
      {"a null", status_code::null_pointer, [](args_t& p) { p.a = nullptr; }},
      {"a_scale null", status_code::null_pointer, [](args_t& p) { p.a_scale.data = nullptr; }},
      {"b null", status_code::null_pointer, [](args_t& p) { p.b.ptr = nullptr; }},
      {"b_scale null", status_code::null_pointer, [](args_t& p) { p.b_scale = nullptr; }},
      {"c null", status_code::null_pointer, [](args_t& p) { p.c = nullptr; }},
      {"m = 0", status_code::invalid_shape, [](args_t& p) { p.m = 0; }},
      {"n < 0", status_code::invalid_shape, [](args_t& p) { p.n = -16; }},
      {"k % 128", status_code::invalid_shape, [](args_t& p) { p.k = 192; }},
      {"lda < k", status_code::invalid_stride, [](args_t& p) { p.lda = 128; }},
      {"b.ld < k", status_code::invalid_stride, [](args_t& p) { p.b.ld = 128; }},
      {"ldc < n", status_code::invalid_stride, [](args_t& p) { p.ldc = 31; }},
      {"a_scale.stride < k/128", status_code::invalid_stride, [](args_t& p) { p.a_scale.stride = 1; }},
      {"lda % 16", status_code::misaligned, [](args_t& p) { p.lda = 264; }},
      {"a misaligned", status_code::misaligned, [](args_t& p) { p.a = p.a + 8; }},
      {"c overlaps b_scale", status_code::overlap,
       [](args_t& p) { p.c = reinterpret_cast<bfloat16*>(const_cast<float*>(p.b_scale)); }},
      {"workspace of 0 bytes", status_code::invalid_value,
       [](args_t& p) { p.workspace = test_workspace().get(), p.workspace_bytes = 0; }},
      {"workspace misaligned", status_code::misaligned,
       [](args_t& p) { p.workspace = test_workspace().get() + 1, p.workspace_bytes = 1024; }},
      {"c overlaps the workspace", status_code::overlap,
       [](args_t& p) { p.workspace = p.c, p.workspace_bytes = 1024; }},
  };
  c.poison();
  for (const bad_case& bc : cases) {
    INFO(bc.what);
    args_t p = good();
    bc.edit(p);
    const status s = block_scale_gemm(p);
    INFO(s.message);
    CHECK(s.code == bc.expected);
    CHECK(!s.message.empty());
  }
  const auto out = c.download();
  std::size_t written = 0;
  for (const bfloat16& v : out) written += v.bits != hipfuse_test::device_buffer<bfloat16>::poison_value().bits;
  CHECK(written == 0);

  // Column-major scales need ld >= M.
  block_scale_gemm_args<default_fp8, scale_col_major, float, b_standard, float> q;
  q.a = a.get();
  q.lda = k;
  q.a_scale = {sa.get(), m - 1};
  q.b = {b.get(), k};
  q.b_scale = sb.get();
  q.c = c.get();
  q.ldc = n;
  q.m = m;
  q.n = n;
  q.k = k;
  CHECK(block_scale_gemm(q).code == status_code::invalid_stride);
  // Preshuffled B needs N % 16 == 0.
  block_scale_gemm_args<default_fp8, scale_row_major, float, b_preshuffled, float> r;
  r.a = a.get();
  r.lda = k;
  r.a_scale = {sa.get(), 2};
  r.b = {b.get(), k};
  r.b_scale = sb.get();
  r.c = c.get();
  r.ldc = n;
  r.m = m;
  r.n = 24;
  r.k = k;
  CHECK(block_scale_gemm(r).code == status_code::invalid_shape);
  // A backend the platform's GPU cannot run is refused by name, C untouched.
  {
    const status s = block_scale_gemm<backend::mfma_fp8>(good());
    CHECK(s.code == status_code::unsupported_arch);
    CHECK(s.message.find("mfma_fp8") != std::string::npos);
#if defined(HIPFUSE_PLATFORM_HOST)
    CHECK(block_scale_gemm<backend::wgmma_e4m3>(good()).code == status_code::unsupported_arch);
#endif
  }
#if !defined(HIPFUSE_PLATFORM_HOST)
  std::vector<bfloat16> host_c(static_cast<std::size_t>(m) * n);
  args_t h = good();
  h.c = host_c.data();
  CHECK(block_scale_gemm(h).code == status_code::not_device_memory);
  std::vector<std::uint32_t> host_workspace(1024);
  args_t hw = good();
  hw.workspace = host_workspace.data();
  hw.workspace_bytes = 4096;
  CHECK(block_scale_gemm(hw).code == status_code::not_device_memory);
#endif
#if defined(HIPFUSE_PLATFORM_CUDA)
  // A k split through the workspace launched directly: refused without one, or with one too small.
  {
    int sms = 0;
    REQUIRE(platform::multiprocessor_count(sms).ok());
    args_t w = good();
    CHECK(launch_block_scale_gemm_wgmma<wgmma_shape_64x64_g4, args_t>(w, {}, sms).code == status_code::null_pointer);
    w.workspace = test_workspace().get();
    w.workspace_bytes = 1024;
    const status small = launch_block_scale_gemm_wgmma<wgmma_shape_64x64_g4, args_t>(w, {}, sms);
    CHECK(small.code == status_code::invalid_value);
    CHECK(small.message.find("workspace") != std::string::npos);
    CHECK(block_scale_gemm_workspace_bytes(m, n) == wgmma_split_workspace_bytes<wgmma_shape_64x64_g4>(m, n));
    CHECK(block_scale_gemm_workspace_bytes(m, n) > 1024);
    const auto after = c.download();
    std::size_t touched = 0;
    for (const bfloat16& v : after) touched += v.bits != hipfuse_test::device_buffer<bfloat16>::poison_value().bits;
    CHECK(touched == 0);
  }
#endif
}
