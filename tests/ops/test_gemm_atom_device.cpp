// The matrix-instruction atom of the platform (mma.sync m16n8k32 e4m3 on NVIDIA, the host atom on
// the host platform) run alone, one wave, on fragments loaded through its lane maps: the device
// result must equal its host model bit for bit (inputs keep every fp32 sum exact) and the plain
// float64 matmul. On the GPU this checks the modelling method against the real instruction.
#include <hipfuse/gemm/tile_config.hpp>
#include <hipfuse/kernel.hpp>
#if defined(HIPFUSE_PLATFORM_CUDA)
#include <hipfuse/gemm/atom_wgmma_sm90.hpp>
#include <hipfuse/gemm/tma_sm90.hpp>
#endif
#include "fp8_reference.hpp"
#include "gemm_reference.hpp"
#include "test_support.hpp"

using namespace hipfuse;
using namespace hipfuse::gemm;

namespace {

template <class Policy, class Atom>
HIPFUSE_GLOBAL void atom_kernel(const typename Atom::a_fragment* a, const typename Atom::b_fragment* b,
                                typename Atom::c_fragment* c, int repeats) {
  kernel_body<typename Policy::arch>([&] {
    const int lane = platform::thread_rank();
    typename Atom::c_fragment acc = c[lane];
    for (int r = 0; r < repeats; ++r) Atom::mma(acc, a[r * Atom::lanes + lane], b[r * Atom::lanes + lane]);
    c[lane] = acc;
  });
}

template <class Atom>
void run_atom() {
  INFO(Atom::name);
  using Fp8 = typename Atom::fp8_type;
  const auto& spec = std::is_same_v<Fp8, float8_e4m3fnuz> ? hipfuse_test::e4m3fnuz_spec : hipfuse_test::e4m3fn_spec;
  std::vector<std::uint8_t> codes;
  for (int c = 0; c < 256; ++c) {
    const double v = std::fabs(spec.decode(static_cast<std::uint8_t>(c)));
    if (v >= 0.25 && v < 8.0) codes.push_back(static_cast<std::uint8_t>(c));
  }
  std::uniform_int_distribution<std::size_t> pick(0, codes.size() - 1);
  const int repeats = 3;  // accumulate over three instructions (k = 3·Atom::k)
  const int kk = repeats * Atom::k;
  std::vector<std::uint8_t> a_codes(Atom::m * kk), b_codes(Atom::n * kk);
  for (auto& x : a_codes) x = codes[pick(hipfuse_test::rng())];
  for (auto& x : b_codes) x = codes[pick(hipfuse_test::rng())];

  std::vector<typename Atom::a_fragment> fa(repeats * Atom::lanes);
  std::vector<typename Atom::b_fragment> fb(repeats * Atom::lanes);
  std::vector<typename Atom::c_fragment> fc(Atom::lanes);
  for (int r = 0; r < repeats; ++r)
    for (int lane = 0; lane < Atom::lanes; ++lane) {
      for (int i = 0; i < Atom::a_per_lane; ++i) {
        const row_k rk = Atom::a_coord(lane, i);
        fa[r * Atom::lanes + lane].set_byte(i, a_codes[rk.row * kk + r * Atom::k + rk.k]);
      }
      for (int i = 0; i < Atom::b_per_lane; ++i) {
        const row_k rk = Atom::b_coord(lane, i);
        fb[r * Atom::lanes + lane].set_byte(i, b_codes[rk.row * kk + r * Atom::k + rk.k]);
      }
    }
  std::uniform_int_distribution<int> small(-32, 32);
  for (auto& f : fc)
    for (float& v : f.value) v = static_cast<float>(small(hipfuse_test::rng()));

  // Host model, instruction by instruction.
  std::vector<typename Atom::c_fragment> model = fc;
  for (int r = 0; r < repeats; ++r) Atom::model(&fa[r * Atom::lanes], &fb[r * Atom::lanes], model.data());

  hipfuse_test::device_buffer<typename Atom::a_fragment> d_a(fa);
  hipfuse_test::device_buffer<typename Atom::b_fragment> d_b(fb);
  hipfuse_test::device_buffer<typename Atom::c_fragment> d_c(fc);
  const status s = with_detected_arch([&](auto arch_tag) {
    using P = policy<decltype(arch_tag)>;
    return platform::launch(atom_kernel<P, Atom>, {1, 1}, Atom::lanes, 0, nullptr, d_a.get(), d_b.get(), d_c.get(),
                            repeats);
  });
  REQUIRE(s.ok());
  const auto got = d_c.download();

  std::size_t model_mismatch = 0, matmul_mismatch = 0;
  std::vector<double> a_vals, b_vals;
  for (auto x : a_codes) a_vals.push_back(spec.decode(x));
  for (auto x : b_codes) b_vals.push_back(spec.decode(x));
  const std::vector<double> prod = hipfuse_test::plain_matmul(a_vals, b_vals, Atom::m, Atom::n, kk);
  for (int lane = 0; lane < Atom::lanes; ++lane)
    for (int i = 0; i < Atom::c_per_lane; ++i) {
      model_mismatch += got[lane].value[i] != model[lane].value[i];
      const row_col rc = Atom::c_coord(lane, i);
      matmul_mismatch += got[lane].value[i] != fc[lane].value[i] + prod[rc.row * Atom::n + rc.col];
    }
  CHECK(model_mismatch == 0);
  CHECK(matmul_mismatch == 0);
}

#if defined(HIPFUSE_PLATFORM_CUDA)
// wgmma m64nNk32: one warpgroup, both tiles in shared memory in the 128-byte swizzle (written here
// by plain stores through swizzled_offset, as the tensor copy would), four k steps of a 128-k row.
template <int N>
HIPFUSE_GLOBAL void wgmma_atom_kernel(const std::uint8_t* a, const std::uint8_t* b, float* d) {
  kernel_body<arch::sm90>([&] {
    using atom = atom_wgmma_m64k32<N>;
    __shared__ __align__(1024) std::uint8_t sa[64 * 128];
    __shared__ __align__(1024) std::uint8_t sb[N * 128];
    const int t = threadIdx.x;
    for (int i = t; i < 64 * 128; i += 128) sa[i] = a[i];
    for (int i = t; i < N * 128; i += 128) sb[i] = b[i];
    sm90::fence_proxy_async();
    __syncthreads();
    float acc[N / 2];
    for (int i = 0; i < N / 2; ++i) acc[i] = d[t * (N / 2) + i];
    wgmma_fence();
    for (int step = 0; step < 4; ++step)
      atom::mma_async(acc, sm90::smem_address(sa) + 32 * step, sm90::smem_address(sb) + 32 * step, 1);
    wgmma_commit();
    wgmma_wait<0>();
    wgmma_fence_registers(acc);
    for (int i = 0; i < N / 2; ++i) d[t * (N / 2) + i] = acc[i];
  });
}

template <int N>
void run_wgmma_atom() {
  using atom = atom_wgmma_m64k32<N>;
  INFO(atom::name);
  // |values| in {0.5, 1, 1.5, 2} and small integer starting values: every partial sum is a multiple
  // of 1/4 below 2^10, a dozen significant bits. The fp8 tensor cores accumulate with fewer bits
  // than fp32 (the reason for the per-128-k promotion), so only such sums are exact.
  std::vector<std::uint8_t> codes;
  for (int c = 0; c < 256; ++c) {
    const double v = std::fabs(hipfuse_test::e4m3fn_spec.decode(static_cast<std::uint8_t>(c)));
    if (v == 0.5 || v == 1.0 || v == 1.5 || v == 2.0) codes.push_back(static_cast<std::uint8_t>(c));
  }
  std::uniform_int_distribution<std::size_t> pick(0, codes.size() - 1);
  std::vector<std::uint8_t> a_codes(64 * 128), b_codes(N * 128), a_tile(a_codes.size()), b_tile(b_codes.size());
  for (auto& x : a_codes) x = codes[pick(hipfuse_test::rng())];
  for (auto& x : b_codes) x = codes[pick(hipfuse_test::rng())];
  for (int r = 0; r < 64; ++r)
    for (int k = 0; k < 128; ++k) a_tile[swizzled_offset(r, k)] = a_codes[r * 128 + k];
  for (int r = 0; r < N; ++r)
    for (int k = 0; k < 128; ++k) b_tile[swizzled_offset(r, k)] = b_codes[r * 128 + k];
  std::vector<float> init(128 * (N / 2));
  std::uniform_int_distribution<int> small(-8, 8);
  for (float& v : init) v = static_cast<float>(small(hipfuse_test::rng()));

  std::vector<float> model = init;
  auto* model_rows = reinterpret_cast<float(*)[N / 2]>(model.data());
  for (int step = 0; step < 4; ++step) atom::model(a_tile.data(), 0, b_tile.data(), 32 * step, model_rows, true);

  hipfuse_test::device_buffer<std::uint8_t> d_a(a_tile), d_b(b_tile);
  hipfuse_test::device_buffer<float> d_d(init);
  REQUIRE(platform::launch(wgmma_atom_kernel<N>, {1, 1}, 128, 0, nullptr, d_a.get(), d_b.get(), d_d.get()).ok());
  REQUIRE(platform::synchronize().ok());
  const auto got = d_d.download();

  std::vector<double> a_vals, b_vals;
  for (auto x : a_codes) a_vals.push_back(hipfuse_test::e4m3fn_spec.decode(x));
  for (auto x : b_codes) b_vals.push_back(hipfuse_test::e4m3fn_spec.decode(x));
  const std::vector<double> prod = hipfuse_test::plain_matmul(a_vals, b_vals, 64, N, 128);
  std::size_t model_mismatch = 0, matmul_mismatch = 0;
  double worst = 0;
  for (int t = 0; t < 128; ++t)
    for (int i = 0; i < N / 2; ++i) {
      const std::size_t e = static_cast<std::size_t>(t) * (N / 2) + i;
      model_mismatch += got[e] != model[e];
      worst = std::max(worst, std::fabs(double(got[e]) - double(model[e])));
      const row_col rc = atom::c_coord(t, i);
      matmul_mismatch += got[e] != init[e] + prod[rc.row * N + rc.col];
    }
  INFO("largest difference from the model " << worst);
  CHECK(model_mismatch == 0);
  CHECK(matmul_mismatch == 0);
}
#endif

template <class Arch>
using platform_atom = typename tile_config<Arch, typename policy<Arch>::template gemm_backend<float>,
                                           typename Arch::fp8_type, false>::shape::atom;

}  // namespace

TEST_CASE("the platform's matrix atom equals its host model and a float64 matmul", "[gemm][atom]") {
#if defined(HIPFUSE_PLATFORM_HOST)
  run_atom<platform_atom<arch::host>>();
#else
  run_atom<platform_atom<arch::sm90>>();  // the same mma.sync atom as sm89
#endif
}

#if defined(HIPFUSE_PLATFORM_CUDA)
TEST_CASE("wgmma m64nNk32 e4m3 on swizzled shared tiles equals its host model and a float64 matmul",
          "[gemm][atom]") {
  arch_id id{};
  REQUIRE(detect_arch(id).ok());
  if (id != arch_id::sm90) {
    WARN("wgmma needs sm90; this GPU is " << arch_name(id));
    return;
  }
  run_wgmma_atom<64>();
  run_wgmma_atom<128>();
}
#endif
