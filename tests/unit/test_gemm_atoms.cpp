// Every matrix-instruction atom: its lane maps cover the tile exactly once, its runs are
// contiguous in k, and loading random tiles through its maps, running its instruction model
// (written from the vendor's tables as the inverse map) and scattering the result through its C map
// equals a plain float64 matmul, exactly (inputs are chosen so fp32 sums are exact).
#include <set>
#include <utility>
#include <hipfuse/gemm/atom_host.hpp>
#include <hipfuse/gemm/atom_mfma_gfx942.hpp>
#include <hipfuse/gemm/atom_mfma_gfx950.hpp>
#include <hipfuse/gemm/atom_mma_sync_sm89.hpp>
#include <hipfuse/gemm/atom_wgmma_sm90.hpp>
#include <hipfuse/gemm/tile_pipeline.hpp>
#include "fp8_reference.hpp"
#include "gemm_reference.hpp"
#include "test_support.hpp"

using namespace hipfuse;
using namespace hipfuse::gemm;

namespace {

template <class Fp8>
const hipfuse_test::fp8_spec& spec_of() {
  return std::is_same_v<Fp8, float8_e4m3fnuz> ? hipfuse_test::e4m3fnuz_spec : hipfuse_test::e4m3fn_spec;
}

// Codes whose values lie in [1/4, 8) (either sign): products and 128-term sums stay exact in fp32.
template <class Fp8>
std::vector<std::uint8_t> exact_codes() {
  std::vector<std::uint8_t> codes;
  for (int c = 0; c < 256; ++c) {
    const double v = std::fabs(spec_of<Fp8>().decode(static_cast<std::uint8_t>(c)));
    if (v >= 0.25 && v < 8.0) codes.push_back(static_cast<std::uint8_t>(c));
  }
  return codes;
}

template <class Atom>
void check_maps() {
  INFO(Atom::name);
  std::set<std::pair<int, int>> a, b, c;
  for (int lane = 0; lane < Atom::lanes; ++lane) {
    for (int i = 0; i < Atom::a_per_lane; ++i) {
      const row_k rk = Atom::a_coord(lane, i);
      REQUIRE((rk.row >= 0 && rk.row < Atom::m && rk.k >= 0 && rk.k < Atom::k));
      a.insert({rk.row, rk.k});
      const row_k first = Atom::a_coord(lane, i - i % Atom::a_run);
      CHECK((rk.row == first.row && rk.k == first.k + i % Atom::a_run));
    }
    for (int i = 0; i < Atom::b_per_lane; ++i) {
      const row_k rk = Atom::b_coord(lane, i);
      REQUIRE((rk.row >= 0 && rk.row < Atom::n && rk.k >= 0 && rk.k < Atom::k));
      b.insert({rk.row, rk.k});
      const row_k first = Atom::b_coord(lane, i - i % Atom::b_run);
      CHECK((rk.row == first.row && rk.k == first.k + i % Atom::b_run));
    }
    for (int i = 0; i < Atom::c_per_lane; ++i) {
      const row_col rc = Atom::c_coord(lane, i);
      REQUIRE((rc.row >= 0 && rc.row < Atom::m && rc.col >= 0 && rc.col < Atom::n));
      c.insert({rc.row, rc.col});
    }
  }
  // Every element exactly once: the counts match and no pair repeats.
  CHECK(Atom::lanes * Atom::a_per_lane == Atom::m * Atom::k);
  CHECK(Atom::lanes * Atom::b_per_lane == Atom::n * Atom::k);
  CHECK(Atom::lanes * Atom::c_per_lane == Atom::m * Atom::n);
  CHECK(a.size() == static_cast<std::size_t>(Atom::m * Atom::k));
  CHECK(b.size() == static_cast<std::size_t>(Atom::n * Atom::k));
  CHECK(c.size() == static_cast<std::size_t>(Atom::m * Atom::n));
}

template <class Atom>
struct wave_tiles {
  std::vector<double> a, b, c0;  // A [m][k], B [n][k], initial C [m][n]
  std::vector<typename Atom::a_fragment> fa{std::vector<typename Atom::a_fragment>(Atom::lanes)};
  std::vector<typename Atom::b_fragment> fb{std::vector<typename Atom::b_fragment>(Atom::lanes)};
  std::vector<typename Atom::c_fragment> fc{std::vector<typename Atom::c_fragment>(Atom::lanes)};

  wave_tiles() {
    using Fp8 = typename Atom::fp8_type;
    const auto codes = exact_codes<Fp8>();
    std::uniform_int_distribution<std::size_t> pick(0, codes.size() - 1);
    std::vector<std::uint8_t> a_codes(Atom::m * Atom::k), b_codes(Atom::n * Atom::k);
    for (auto& x : a_codes) x = codes[pick(hipfuse_test::rng())];
    for (auto& x : b_codes) x = codes[pick(hipfuse_test::rng())];
    for (auto x : a_codes) a.push_back(spec_of<Fp8>().decode(x));
    for (auto x : b_codes) b.push_back(spec_of<Fp8>().decode(x));
    std::uniform_int_distribution<int> small(-64, 64);
    for (int i = 0; i < Atom::m * Atom::n; ++i) c0.push_back(small(hipfuse_test::rng()));
    // Load through the maps.
    for (int lane = 0; lane < Atom::lanes; ++lane) {
      for (int i = 0; i < Atom::a_per_lane; ++i) {
        const row_k rk = Atom::a_coord(lane, i);
        fa[lane].set_byte(i, a_codes[rk.row * Atom::k + rk.k]);
      }
      for (int i = 0; i < Atom::b_per_lane; ++i) {
        const row_k rk = Atom::b_coord(lane, i);
        fb[lane].set_byte(i, b_codes[rk.row * Atom::k + rk.k]);
      }
      for (int i = 0; i < Atom::c_per_lane; ++i) {
        const row_col rc = Atom::c_coord(lane, i);
        fc[lane].value[i] = static_cast<float>(c0[rc.row * Atom::n + rc.col]);
      }
    }
  }

  std::vector<double> scatter() const {
    std::vector<double> out(Atom::m * Atom::n, std::nan(""));
    for (int lane = 0; lane < Atom::lanes; ++lane)
      for (int i = 0; i < Atom::c_per_lane; ++i) {
        const row_col rc = Atom::c_coord(lane, i);
        out[rc.row * Atom::n + rc.col] = fc[lane].value[i];
      }
    return out;
  }
};

template <class Atom>
void check_model() {
  INFO(Atom::name);
  for (int trial = 0; trial < 4; ++trial) {
    wave_tiles<Atom> t;
    Atom::model(t.fa.data(), t.fb.data(), t.fc.data());
    const std::vector<double> got = t.scatter();
    std::vector<double> want = hipfuse_test::plain_matmul(t.a, t.b, Atom::m, Atom::n, Atom::k);
    for (std::size_t i = 0; i < want.size(); ++i) want[i] += t.c0[i];
    std::size_t bad = 0;
    for (std::size_t i = 0; i < want.size(); ++i) bad += got[i] != want[i];
    CHECK(bad == 0);
  }
}

// The scaled MFMA: each lane carries the E8M0 code of its row (A) or column (B).
template <class Atom>
void check_scaled_model() {
  INFO(Atom::name);
  wave_tiles<Atom> t;
  // Start from C = 0: a power-of-two scale keeps Σ a·b exact, but adding it to an arbitrary C would not be.
  for (auto& f : t.fc)
    for (float& v : f.value) v = 0.0f;
  for (double& v : t.c0) v = 0.0;
  std::uniform_int_distribution<int> code(120, 134);
  std::vector<int> row_code(Atom::m), col_code(Atom::n);
  for (auto& x : row_code) x = code(hipfuse_test::rng());
  for (auto& x : col_code) x = code(hipfuse_test::rng());
  std::vector<std::uint8_t> sa(Atom::lanes), sb(Atom::lanes);
  for (int lane = 0; lane < Atom::lanes; ++lane) {
    sa[lane] = static_cast<std::uint8_t>(row_code[Atom::a_coord(lane, 0).row]);
    sb[lane] = static_cast<std::uint8_t>(col_code[Atom::b_coord(lane, 0).row]);
  }
  Atom::model(t.fa.data(), t.fb.data(), t.fc.data(), sa.data(), sb.data());
  const std::vector<double> got = t.scatter();
  const std::vector<double> prod = hipfuse_test::plain_matmul(t.a, t.b, Atom::m, Atom::n, Atom::k);
  std::size_t bad = 0;
  for (int i = 0; i < Atom::m; ++i)
    for (int j = 0; j < Atom::n; ++j) {
      const double want =
          t.c0[i * Atom::n + j] + prod[i * Atom::n + j] * std::ldexp(1.0, row_code[i] - 127 + col_code[j] - 127);
      bad += got[i * Atom::n + j] != want;
    }
  CHECK(bad == 0);
}

// A and B share one k map: whatever k order the hardware uses inside a lane is then the same for
// both operands and cancels in the dot product.
template <class Atom>
void check_shared_k_map() {
  INFO(Atom::name);
  for (int lane = 0; lane < Atom::lanes; ++lane)
    for (int i = 0; i < Atom::a_per_lane; ++i) CHECK(Atom::a_coord(lane, i).k == Atom::b_coord(lane, i).k);
}

// The AMD pipeline multiplies B·Aᵀ (tile_pipeline.hpp, swap_ab): rows of C come in through the
// instruction's B operand and leave as C's columns. Loading that way and reading C transposed
// must give A·Bᵀ.
template <class Atom>
void check_swapped_model() {
  INFO(Atom::name);
  static_assert(c_column_is_lane<Atom>(), "the swapped form needs C's column to be the lane");
  wave_tiles<Atom> t;  // t.a: [m][k] rows of C; t.b: [n][k]
  std::vector<typename Atom::a_fragment> fa(Atom::lanes);
  std::vector<typename Atom::b_fragment> fb(Atom::lanes);
  std::vector<typename Atom::c_fragment> fc(Atom::lanes);
  const auto& spec = spec_of<typename Atom::fp8_type>();
  auto code_of = [&](double v) {
    for (int c = 0; c < 256; ++c)
      if (spec.decode(static_cast<std::uint8_t>(c)) == v) return static_cast<std::uint8_t>(c);
    return std::uint8_t{0};
  };
  for (int lane = 0; lane < Atom::lanes; ++lane) {
    for (int i = 0; i < Atom::a_per_lane; ++i) {  // instruction A <- B tile
      const row_k rk = Atom::a_coord(lane, i);
      fa[lane].set_byte(i, code_of(t.b[rk.row * Atom::k + rk.k]));
    }
    for (int i = 0; i < Atom::b_per_lane; ++i) {  // instruction B <- A tile
      const row_k rk = Atom::b_coord(lane, i);
      fb[lane].set_byte(i, code_of(t.a[rk.row * Atom::k + rk.k]));
    }
    for (float& v : fc[lane].value) v = 0.0f;
  }
  Atom::model(fa.data(), fb.data(), fc.data());
  const std::vector<double> want = hipfuse_test::plain_matmul(t.a, t.b, Atom::m, Atom::n, Atom::k);
  std::size_t bad = 0;
  for (int lane = 0; lane < Atom::lanes; ++lane)
    for (int e = 0; e < Atom::c_per_lane; ++e) {
      const row_col rc = Atom::c_coord(lane, e);
      CHECK(rc.col == lane % Atom::n);  // one row of C per lane
      bad += fc[lane].value[e] != want[rc.col * Atom::n + rc.row];
    }
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("AMD atoms multiply B·Aᵀ with one row of C per lane", "[gemm][atom]") {
  check_swapped_model<atom_mfma_32x32x16_fp8>();
  check_swapped_model<atom_mfma_16x16x32_fp8>();
  check_swapped_model<atom_mfma_16x16x128_f8f6f4>();
  check_swapped_model<atom_mfma_32x32x64_f8f6f4>();
  STATIC_REQUIRE_FALSE(c_column_is_lane<atom_mma_sync_m16n8k32>());
  STATIC_REQUIRE_FALSE(c_column_is_lane<atom_host<float8_e4m3fn>>());
}

TEST_CASE("atom lane maps cover each tile exactly once, in contiguous k runs", "[gemm][atom]") {
  check_maps<atom_host<float8_e4m3fn>>();
  check_maps<atom_mma_sync_m16n8k32>();
  check_maps<atom_mfma_32x32x16_fp8>();
  check_maps<atom_mfma_16x16x32_fp8>();
  check_maps<atom_mfma_16x16x128_f8f6f4>();
  check_maps<atom_mfma_32x32x64_f8f6f4>();
  check_maps<atom_mfma_scale_16x16x128_f8f6f4>();
  check_maps<atom_mfma_scale_32x32x64_f8f6f4>();
}

TEST_CASE("load through the maps + instruction model + scatter == matmul", "[gemm][atom]") {
  check_model<atom_host<float8_e4m3fn>>();
  check_model<atom_host<float8_e4m3fnuz>>();
  check_model<atom_mma_sync_m16n8k32>();
  check_model<atom_mfma_32x32x16_fp8>();
  check_model<atom_mfma_16x16x32_fp8>();
  check_model<atom_mfma_16x16x128_f8f6f4>();
  check_model<atom_mfma_32x32x64_f8f6f4>();
}

TEST_CASE("scaled MFMA model applies the per-row and per-column E8M0 scales", "[gemm][atom]") {
  check_scaled_model<atom_mfma_scale_16x16x128_f8f6f4>();
  check_scaled_model<atom_mfma_scale_32x32x64_f8f6f4>();
}

TEST_CASE("AMD atoms use one k map for A and B", "[gemm][atom]") {
  check_shared_k_map<atom_mfma_32x32x16_fp8>();
  check_shared_k_map<atom_mfma_16x16x32_fp8>();
  check_shared_k_map<atom_mfma_16x16x128_f8f6f4>();
  check_shared_k_map<atom_mfma_32x32x64_f8f6f4>();
}

TEST_CASE("a wrong lane map is caught", "[gemm][atom]") {
  // Swapping two A bytes of one lane must break the equality: the test can fail.
  wave_tiles<atom_mfma_32x32x16_fp8> t;
  std::uint8_t x = t.fa[3].byte(0), y = t.fa[3].byte(1);
  while (x == y) {
    t = wave_tiles<atom_mfma_32x32x16_fp8>();
    x = t.fa[3].byte(0), y = t.fa[3].byte(1);
  }
  t.fa[3].set_byte(0, y);
  t.fa[3].set_byte(1, x);
  atom_mfma_32x32x16_fp8::model(t.fa.data(), t.fb.data(), t.fc.data());
  const std::vector<double> got = t.scatter();
  std::vector<double> want = hipfuse_test::plain_matmul(t.a, t.b, 32, 32, 16);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i) bad += got[i] != want[i] + t.c0[i];
  CHECK(bad > 0);
}

// The wgmma shared-memory descriptor, decoded field by field as the PTX ISA defines it ("Matrix
// Descriptor Format"), and the kernel's shortcut: low half + descriptor_step(bytes) == the
// descriptor of the address `bytes` further on, for every stage base and k step of a 227 KiB ring.
TEST_CASE("wgmma descriptors: fields and constant advances", "[gemm][atom]") {
  using atom = atom_wgmma_m64k32<128>;
  for (std::uint32_t base = 0; base < 227u * 1024; base += 1024) {
    const std::uint64_t d = wgmma_sw128_descriptor(base);
    REQUIRE(((d & 0x3FFF) << 4) == base);           // start address >> 4, bits 0-13
    REQUIRE(((d >> 16) & 0x3FFF) == 1);             // leading byte offset (unused by swizzled K-major)
    REQUIRE(((d >> 32) & 0x3FFF) << 4 == 1024);     // stride byte offset: 8 rows of 128 bytes
    REQUIRE((d >> 62) == 1);                        // 128-byte swizzle
    REQUIRE(static_cast<std::uint32_t>(d >> 32) == atom::descriptor_high);
    for (std::uint32_t bytes = 0; base + bytes < 227u * 1024 && bytes < 64u * 1024; bytes += 32) {
      INFO("base " << base << " + " << bytes);
      REQUIRE(atom::descriptor_low(base) + atom::descriptor_step(bytes) == atom::descriptor_low(base + bytes));
    }
  }
}
