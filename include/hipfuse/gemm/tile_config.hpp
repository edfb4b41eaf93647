// Per-arch tile parameters of the block-scale GEMM, in one table read by the kernels (device pass)
// and the launcher (host pass), so launch geometry and compiled code cannot disagree.
// The k depth of a block tile is always 128: one A scale and one B scale per stage.
#pragma once
#include <type_traits>
#include "../arch/traits.hpp"
#include "../policy.hpp"
#include "atom_host.hpp"
#include "atom_mfma_gfx942.hpp"
#include "atom_mfma_gfx950.hpp"
#include "atom_mma_sync_sm89.hpp"

namespace hipfuse {
namespace gemm {

inline constexpr int scale_block = 128;

// WarpsK > 1 splits each 128-k block's atom steps over that many warp groups, which add their
// results at the end (the small-M tiles: many narrow blocks, each still with several warps).
// BDirect: when B is preshuffled (each lane's B fragment is whole 16-byte runs of global memory,
// 16 rows of a run contiguous), B goes from global memory straight into the operand registers
// instead of through shared memory: shared-memory traffic per 128-k block then is A's alone.
template <class Atom, int BlockM, int BlockN, int WarpsM, int WarpsN, int WarpsK = 1, bool BDirect = false>
struct tile_shape {
  using atom = Atom;
  static constexpr bool b_direct = BDirect;
  static constexpr int block_m = BlockM, block_n = BlockN, block_k = scale_block;
  static constexpr int warps_m = WarpsM, warps_n = WarpsN, warps_k = WarpsK;
  static constexpr int warps_mn = WarpsM * WarpsN, warps = warps_mn * WarpsK;
  static constexpr int threads = warps * Atom::lanes;
  static constexpr int warp_m = BlockM / WarpsM, warp_n = BlockN / WarpsN;
  static constexpr int repeat_m = warp_m / Atom::m, repeat_n = warp_n / Atom::n;
  static constexpr int k_steps = block_k / Atom::k;
  static constexpr int stages = 2;  // shared-memory double buffering
  static constexpr int a_tile_bytes = BlockM * block_k, b_tile_bytes = BlockN * block_k;

  static_assert(BlockM % WarpsM == 0 && BlockN % WarpsN == 0, "warps must split the block tile evenly");
  static_assert(warp_m % Atom::m == 0 && warp_n % Atom::n == 0, "a warp tile is a whole number of atoms");
  static_assert(block_k % Atom::k == 0, "the atom's k divides the 128-k scale block");
  static_assert(k_steps % WarpsK == 0, "the k split divides the atom steps of a 128-k block");
  static_assert(scale_block % BlockN == 0, "a block tile lies inside one 128-column B scale block");
  static_assert(BlockN % 16 == 0, "block_n is a multiple of 16 (preshuffled B loads 16-row groups)");
};

// The table. Small-M tiles (M <= 16, decode) use one atom row so M = 1 does not pay for 128 rows.
template <class Arch, class Backend, class Fp8, bool SmallM>
struct tile_config {
  static_assert(dependent_false<Arch>,
                "no GEMM tile configuration for this (arch, backend): reference_matmul runs only on arch::host");
};

// The host tiles cover both B paths: preshuffled B goes through shared memory in the small-M tile
// and straight from memory into the fragments in the other (the gfx950 main loop's path).
template <class Fp8, bool SmallM>
struct tile_config<arch::host, backend::reference_matmul, Fp8, SmallM> {
  using shape = std::conditional_t<SmallM, tile_shape<atom_host<Fp8>, 16, 16, 1, 1>,
                                   tile_shape<atom_host<Fp8>, 32, 32, 1, 1, 1, true>>;
};

template <class Fp8, bool SmallM>
struct tile_config<arch::gfx942, backend::mfma_fp8, Fp8, SmallM> {
  static_assert(std::is_same_v<Fp8, float8_e4m3fnuz>, "the gfx942 fp8 MFMA takes e4m3fnuz operands");
  // 128x128 tiles double-buffered fill exactly the 64 KiB of LDS. Small M: 16x16 tiles, the four
  // 32-k steps of a block on four waves.
  using shape = std::conditional_t<SmallM, tile_shape<atom_mfma_16x16x32_fp8, 16, 16, 1, 1, 4>,
                                   tile_shape<atom_mfma_32x32x16_fp8, 128, 128, 2, 2>>;
};

// gfx950: with A and B both read from LDS, a 128-k block of the 128x128 tile moves 48 KiB through
// LDS (768 clk at 128 B/clk) against 512 clk of matrix work; preshuffled B read straight from
// global memory (each lane's 32-byte fragment is two 16-byte loads) leaves A's 24 KiB (384 clk).
template <class Fp8, bool SmallM>
struct tile_config<arch::gfx950, backend::mfma_f8f6f4, Fp8, SmallM> {
  static_assert(std::is_same_v<Fp8, float8_e4m3fn>, "the gfx950 f8f6f4 MFMA is used with OCP e4m3 operands");
  using shape = std::conditional_t<SmallM, tile_shape<atom_mfma_16x16x128_f8f6f4, 16, 64, 1, 4, 1, true>,
                                   tile_shape<atom_mfma_32x32x64_f8f6f4, 128, 128, 2, 2, 1, true>>;
};

template <class Fp8, bool SmallM>
struct tile_config<arch::gfx950, backend::mfma_scaled, Fp8, SmallM> {
  static_assert(std::is_same_v<Fp8, float8_e4m3fn>, "the gfx950 f8f6f4 MFMA is used with OCP e4m3 operands");
  using shape = std::conditional_t<SmallM, tile_shape<atom_mfma_scale_16x16x128_f8f6f4, 16, 64, 1, 4, 1, true>,
                                   tile_shape<atom_mfma_scale_32x32x64_f8f6f4, 128, 128, 2, 2, 1, true>>;
};

template <class Arch, class Fp8, bool SmallM>
struct nvidia_tile_config {
  static_assert(std::is_same_v<Fp8, float8_e4m3fn>, "mma.sync takes OCP e4m3 operands");
  // 128x64 double-buffered = 48 KiB: the static shared-memory limit, no opt-in needed. Eight warps
  // of 32x32 keep the accumulators and the partial sums of the promotion within 255 registers.
  // Small M: 16x16 tiles (N/16 blocks, enough to fill the GPU for every DeepSeek N), the four
  // 32-k steps of a block on four warps.
  using shape = std::conditional_t<SmallM, tile_shape<atom_mma_sync_m16n8k32, 16, 16, 1, 1, 4>,
                                   tile_shape<atom_mma_sync_m16n8k32, 128, 64, 4, 2>>;
};
template <class Fp8, bool SmallM>
struct tile_config<arch::sm89, backend::mma_sync_e4m3, Fp8, SmallM> : nvidia_tile_config<arch::sm89, Fp8, SmallM> {};
template <class Fp8, bool SmallM>
struct tile_config<arch::sm90, backend::mma_sync_e4m3, Fp8, SmallM> : nvidia_tile_config<arch::sm90, Fp8, SmallM> {};
// wgmma is a whole-kernel backend (block_scale_gemm_wgmma.hpp, its shapes in wgmma_shape_sm90.hpp);
// a tile computed inside a user's kernel on sm90 runs the mma.sync tile.
template <class Fp8, bool SmallM>
struct tile_config<arch::sm90, backend::wgmma_e4m3, Fp8, SmallM> : nvidia_tile_config<arch::sm90, Fp8, SmallM> {};

// Rows at or below which the launcher picks the small-M tile.
inline constexpr int small_m_threshold = 16;

template <class Policy, class Scale, bool SmallM>
using tile_shape_for = typename tile_config<typename Policy::arch, typename Policy::template gemm_backend<Scale>,
                                            typename Policy::fp8_type, SmallM>::shape;

}  // namespace gemm
}  // namespace hipfuse
