// The block-scale GEMM main loop, generic over the matrix-instruction atom.
//
// One block computes a block_m × block_n tile of C. Per 128-k block (one A scale per row and one B
// scale per tile): the next 128-k slab of A and B is fetched from global memory into registers,
// the current slab is multiplied out of shared memory (two stages, double buffered) into partial
// fp32 sums, which are then promoted into the main accumulators as partial·sa·sb (DeepGEMM's
// per-block promotion, which keeps the fp8 products of different scale blocks apart); then the
// fetched registers go to the other stage. With a hardware-scaled atom (gfx950 v_mfma_scale) the
// instruction applies the E8M0 scales itself and accumulates straight into the main accumulators.
//
// Shared memory holds each row's 128 bytes as eight 16-byte chunks, chunk c of row r stored at
// position c ^ (r % 8), so the rows a wave reads at once fall on different banks.
//
// With a preshuffled B and a tile shape that asks for it (tile_shape's BDirect), B skips shared
// memory: each lane loads its own B fragments from global memory (16-byte loads, addresses from
// the atom's coordinate map) one 128-k block ahead, into the registers the matrix instruction
// reads, right after the instruction of the current block has consumed them.
#pragma once
#include <cstdint>
#include <type_traits>
#include "../numeric/half_types.hpp"
#include "../numeric/vec.hpp"
#include "../platform/thread.hpp"
#include "block_scale_gemm_args.hpp"
#include "swizzle.hpp"
#include "tile_config.hpp"

// Full unrolling keeps fragments and accumulators in registers on the GPU; g++ has no such pragma.
// The k-step loop stays rolled under nvcc: unrolled, ptxas hoists every step's shared-memory
// fragment reads and runs out of registers (spills at 255); rolled it needs ~200 and none spill.
#if defined(HIPFUSE_PLATFORM_HOST)
#define HIPFUSE_GEMM_UNROLL
#define HIPFUSE_GEMM_KSTEP_UNROLL
#elif defined(HIPFUSE_PLATFORM_CUDA)
#define HIPFUSE_GEMM_UNROLL _Pragma("unroll")
#define HIPFUSE_GEMM_KSTEP_UNROLL _Pragma("unroll 1")
#else
#define HIPFUSE_GEMM_UNROLL _Pragma("unroll")
#define HIPFUSE_GEMM_KSTEP_UNROLL _Pragma("unroll")
#endif

namespace hipfuse {
namespace gemm {

template <class Shape, bool WithB = true>
struct shared_tiles {
  alignas(16) std::uint8_t a[Shape::stages][Shape::a_tile_bytes];
  alignas(16) std::uint8_t b[Shape::stages][Shape::b_tile_bytes];
};
// B read straight from global memory: only A is staged.
template <class Shape>
struct shared_tiles<Shape, false> {
  alignas(16) std::uint8_t a[Shape::stages][Shape::a_tile_bytes];
};

// value of lane src of the wave (the row-scale exchange of the promotion).
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE float lane_value(float value, int src) {
#if defined(HIPFUSE_PLATFORM_HIP)
  return __shfl(value, src);
#elif defined(HIPFUSE_PLATFORM_CUDA)
  return __shfl_sync(0xFFFFFFFFu, value, src);
#else
  (void)src;
  return value;
#endif
}

// Row `row` of a matrix with `rows` rows, or its last row past the end. Loads of rows past M or N
// read the last row instead of branching around the load: such rows only feed rows or columns of
// C past M or N, which are never written (C[m][n] depends on row m of A and row n of B alone).
// Straight-line loads also let the compiler count outstanding loads exactly (it waits for
// vmcnt(n), not vmcnt(0), after a load that might not have been issued).
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE constexpr int clamp_row(int row, int rows) { return row < rows ? row : rows - 1; }

// Keeps the compiler's instruction scheduler from moving instructions across this point (AMD:
// otherwise it sinks the next block's global loads towards their use at the end of the loop body,
// where their latency is no longer hidden behind the matrix instructions). Elsewhere nothing.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void schedule_fence() {
#if defined(HIPFUSE_PLATFORM_HIP) && defined(HIPFUSE_DEVICE_PASS)
  __builtin_amdgcn_sched_barrier(0);
#endif
}

// Reads the A (IsA) or B fragment a lane holds of the atom-sized sub-tile at (row0, k0) of a
// shared tile, following the atom's coordinate map.
template <class Atom, bool IsA>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE auto load_fragment(const std::uint8_t* tile, int row0, int k0, int lane) {
  constexpr int Bytes = IsA ? Atom::a_per_lane : Atom::b_per_lane;
  constexpr int Run = IsA ? Atom::a_run : Atom::b_run;
  constexpr int piece = Run < 16 ? Run : 16;
  static_assert(piece == 4 || piece == 8 || piece == 16, "fragment runs are 4, 8 or 16+ bytes");
  fp8_fragment<Bytes> f;
HIPFUSE_GEMM_UNROLL
  for (int i = 0; i < Bytes; i += piece) {
    const row_k rk = IsA ? Atom::a_coord(lane, i) : Atom::b_coord(lane, i);
    const auto v = vec<std::uint32_t, piece / 4>::load(
        reinterpret_cast<const std::uint32_t*>(tile + swizzled_offset(row0 + rk.row, k0 + rk.k)));
HIPFUSE_GEMM_UNROLL
    for (int j = 0; j < piece / 4; ++j) f.reg[i / 4 + j] = v[j];
  }
  return f;
}

// Does every lane's fragment (A side if IsA) consist of whole 16-byte runs of consecutive k that
// start at a multiple of 16? Then each run is one aligned 16-byte load from a K-major operand.
template <class Atom, bool IsA>
constexpr bool fragment_in_16_byte_runs() {
  constexpr int bytes = IsA ? Atom::a_per_lane : Atom::b_per_lane;
  if constexpr ((IsA ? Atom::a_run : Atom::b_run) < 16 || bytes % 16 != 0) {
    return false;
  } else {
    for (int lane = 0; lane < Atom::lanes; ++lane)
      for (int i = 0; i < bytes; i += 16) {
        const row_k first = IsA ? Atom::a_coord(lane, i) : Atom::b_coord(lane, i);
        if (first.k % 16 != 0) return false;
        for (int d = 1; d < 16; ++d) {
          const row_k next = IsA ? Atom::a_coord(lane, i + d) : Atom::b_coord(lane, i + d);
          if (next.row != first.row || next.k != first.k + d) return false;
        }
      }
    return true;
  }
}

// Reads from global memory the fragment a lane holds of the atom-sized sub-tile at (row0, k0) of
// a K-major operand stored in Layout (16-byte chunks addressed by Layout::chunk_offset), following
// the atom's coordinate map (the A map if IsA). Rows at or past `rows` read the last row (clamp_row).
template <class Atom, bool IsA, class Layout>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE auto load_global_fragment(const std::uint8_t* base, std::int64_t ld, int k_total,
                                                            int rows, int row0, int k0, int lane) {
  using chunk = vec<std::uint32_t, 4>;
  constexpr int Bytes = IsA ? Atom::a_per_lane : Atom::b_per_lane;
  fp8_fragment<Bytes> f;
HIPFUSE_GEMM_UNROLL
  for (int i = 0; i < Bytes; i += 16) {
    const row_k rk = IsA ? Atom::a_coord(lane, i) : Atom::b_coord(lane, i);
    const int row = clamp_row(row0 + rk.row, rows);
    const chunk v =
        chunk::load(reinterpret_cast<const std::uint32_t*>(base + Layout::chunk_offset(row, k0 + rk.k, ld, k_total)));
HIPFUSE_GEMM_UNROLL
    for (int j = 0; j < 4; ++j) f.reg[i / 4 + j] = v[j];
  }
  return f;
}

// Is column e of every lane's C fragment the lane's own index (mod n)? Then, multiplying B·Aᵀ
// instead of A·Bᵀ, each lane's accumulators all belong to one row of C, so the row scales of the
// promotion need no exchange between lanes (AMD's square MFMAs, whose C rows spread over 16 or 4
// values per lane while the column is the lane).
template <class Atom>
constexpr bool c_column_is_lane() {
  if constexpr (Atom::m != Atom::n || Atom::lanes < Atom::m) {
    return false;
  } else {
    for (int lane = 0; lane < Atom::lanes; ++lane)
      for (int e = 0; e < Atom::c_per_lane; ++e)
        if (Atom::c_coord(lane, e).col != lane % Atom::n || Atom::b_coord(lane, 0).row != lane % Atom::n) return false;
    return true;
  }
}

template <class Shape, class Args>
struct block_scale_gemm_pipeline {
  using atom = typename Shape::atom;
  using fp8 = typename Args::fp8_type;
  using b_layout = typename Args::b_layout;
  using chunk = vec<std::uint32_t, 4>;
  static_assert(std::is_same_v<fp8, typename atom::fp8_type>,
                "A and B must be the fp8 format of the atom (e4m3fnuz on gfx942, e4m3fn elsewhere)");
  static_assert(!atom::scaled || (std::is_same_v<typename Args::a_scale_type, ue8m0> &&
                                  std::is_same_v<typename Args::b_scale_type, ue8m0>),
                "the hardware-scaled MFMA takes ue8m0 scales for A and B");
  static_assert(Shape::block_n % b_layout::row_group == 0, "block_n covers whole preshuffled row groups");

  // B straight from global memory into the fragments (see the top of the file).
  static constexpr bool b_direct = Shape::b_direct && b_layout::direct_fragments;
  using shared_storage = shared_tiles<Shape, !b_direct>;

  static constexpr int threads = Shape::threads;
  static constexpr int a_chunks = Shape::block_m * 8, b_chunks = b_direct ? 0 : Shape::block_n * 8;
  static constexpr int a_per_thread = (a_chunks + threads - 1) / threads;
  static constexpr int b_per_thread = (b_chunks + threads - 1) / threads;
  static constexpr int rm = Shape::repeat_m, rn = Shape::repeat_n;
  // Scales travel one k block ahead with the tiles. Row scales: lane l loads the scale of row
  // l % atom::m of each repeat; a lane then takes its C rows' scales from those lanes by shuffle
  // (rm loads per lane instead of rm·c_per_lane, and no shared memory), or, with swap_ab below,
  // uses its own. The one-lane host atom reads them directly.
  static constexpr bool shuffle_scales = !atom::scaled && atom::lanes >= atom::m;
  static constexpr bool swap_ab =
      c_column_is_lane<atom>() && std::is_same_v<typename atom::a_fragment, typename atom::b_fragment>;
  // Fragments of the A tile (rows of C) and of the B tile, and the instruction operand each feeds.
  using a_tile_fragment = std::conditional_t<swap_ab, typename atom::b_fragment, typename atom::a_fragment>;
  using b_tile_fragment = std::conditional_t<swap_ab, typename atom::a_fragment, typename atom::b_fragment>;
  HIPFUSE_HOST_DEVICE static constexpr row_col c_position(int lane, int e) {
    const row_col rc = atom::c_coord(lane, e);
    return swap_ab ? row_col{rc.col, rc.row} : rc;  // (row of C, column of C) within the atom
  }

  static_assert(!b_direct || fragment_in_16_byte_runs<atom, swap_ab>(),
                "B fragments straight from global memory need 16-byte runs of k per lane: use BDirect = false "
                "in this arch's tile_config");

  using b_scale_t = typename Args::b_scale_type;

  // The B fragments a warp multiplies in one 128-k block, when they come straight from global
  // memory (an empty struct otherwise).
  static constexpr int steps_per_warp = Shape::k_steps / Shape::warps_k;
  struct b_registers_direct {
    b_tile_fragment f[steps_per_warp][rn];
  };
  struct b_registers_none {};
  using b_registers = std::conditional_t<b_direct, b_registers_direct, b_registers_none>;

  struct staged {
    chunk a[a_per_thread];
    chunk b[b_per_thread > 0 ? b_per_thread : 1];
    float a_scale[rm];  // promotion path: the scale of row lane % atom::m of each repeat
    int a_code[rm];     // hardware-scaled path: the E8M0 code of the row this lane feeds
    b_scale_t b_scale;  // the tile's B scale
  };

  // Row of the A tile that this lane's operand fragment holds (the row its E8M0 code belongs to).
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static int operand_row(int lane) {
    return swap_ab ? atom::b_coord(lane, 0).row : atom::a_coord(lane, 0).row;
  }

  // Global -> registers for k block kb. Rows past M or N read the last row (clamp_row).
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void fetch(const Args& p, int m0, int n0, int kb, int tid, staged& s) {
    const auto* a_bytes = reinterpret_cast<const std::uint8_t*>(p.a);
    const auto* b_bytes = reinterpret_cast<const std::uint8_t*>(p.b.ptr);
HIPFUSE_GEMM_UNROLL
    for (int j = 0; j < a_per_thread; ++j) {
      // Threads past the last chunk load it again (store() skips them): no conditional load.
      const int i = clamp_row(tid + j * threads, a_chunks);
      const int row = clamp_row(m0 + i / 8, p.m), k = kb * scale_block + (i % 8) * 16;
      s.a[j] = chunk::load(reinterpret_cast<const std::uint32_t*>(a_bytes + row * p.lda + k));
    }
HIPFUSE_GEMM_UNROLL
    for (int j = 0; j < b_per_thread; ++j) {
      const int i = clamp_row(tid + j * threads, b_chunks);
      const int row = clamp_row(n0 + b_layout::chunk_row(i), p.n), k = kb * scale_block + b_layout::chunk_k16(i) * 16;
      s.b[j] = chunk::load(
          reinterpret_cast<const std::uint32_t*>(b_bytes + b_layout::chunk_offset(row, k, p.b.ld, p.k)));
    }
    const int lane = tid % atom::lanes;
    const int warp_row0 = ((tid / atom::lanes) % Shape::warps_mn / Shape::warps_n) * Shape::warp_m;
HIPFUSE_GEMM_UNROLL
    for (int i = 0; i < rm; ++i) {
      s.a_scale[i] = 0.0f;
      s.a_code[i] = 127;
      if constexpr (shuffle_scales) {
        s.a_scale[i] = p.a_scale.load(clamp_row(m0 + warp_row0 + i * atom::m + lane % atom::m, p.m), kb);
      } else if constexpr (atom::scaled) {
        s.a_code[i] = scale_code(p.a_scale, clamp_row(m0 + warp_row0 + i * atom::m + operand_row(lane), p.m), kb);
      }
    }
    s.b_scale = p.b_scale[static_cast<std::int64_t>(n0 / scale_block) * (p.k / scale_block) + kb];
  }

  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void store(const staged& s, shared_storage& smem, int stage, int tid) {
    std::uint8_t* a_tile = smem.a[stage];
HIPFUSE_GEMM_UNROLL
    for (int j = 0; j < a_per_thread; ++j) {
      const int i = tid + j * threads;
      if (a_chunks % threads == 0 || i < a_chunks) {
        s.a[j].store(reinterpret_cast<std::uint32_t*>(a_tile + swizzled_offset(i / 8, (i % 8) * 16)));
      }
    }
    if constexpr (!b_direct) {
      std::uint8_t* b_tile = smem.b[stage];
HIPFUSE_GEMM_UNROLL
      for (int j = 0; j < b_per_thread; ++j) {
        const int i = tid + j * threads;
        if (b_chunks % threads == 0 || i < b_chunks) {
          s.b[j].store(reinterpret_cast<std::uint32_t*>(
              b_tile + swizzled_offset(b_layout::chunk_row(i), b_layout::chunk_k16(i) * 16)));
        }
      }
    }
  }

  // This warp's B fragments of k block kb, straight from global memory (b_direct).
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static b_tile_fragment fetch_b_fragment(const Args& p, int col0, int kb, int step,
                                                                            int warp_k, int lane) {
    const int ks = step * Shape::warps_k + warp_k;
    return load_global_fragment<atom, swap_ab, b_layout>(reinterpret_cast<const std::uint8_t*>(p.b.ptr), p.b.ld, p.k,
                                                         p.n, col0, kb * scale_block + ks * atom::k, lane);
  }

  // The block tile (tile_m, tile_n) of C. Called by all Shape::threads threads of the block.
  HIPFUSE_DEVICE static void run(const Args& p, shared_storage& smem, int tile_m, int tile_n) {
    const int tid = platform::thread_rank();
    const int warp = tid / atom::lanes, lane = tid % atom::lanes;
    const int warp_mn = warp % Shape::warps_mn, warp_k = warp / Shape::warps_mn;
    const int warp_row0 = (warp_mn / Shape::warps_n) * Shape::warp_m;
    const int warp_col0 = (warp_mn % Shape::warps_n) * Shape::warp_n;
    const int m0 = tile_m * Shape::block_m, n0 = tile_n * Shape::block_n;
    const int kblocks = p.k / scale_block;

    typename atom::c_fragment acc[rm][rn];
    typename atom::c_fragment partial[rm][rn];
HIPFUSE_GEMM_UNROLL
    for (int i = 0; i < rm; ++i)
HIPFUSE_GEMM_UNROLL
      for (int j = 0; j < rn; ++j)
HIPFUSE_GEMM_UNROLL
        for (int e = 0; e < atom::c_per_lane; ++e) acc[i][j].value[e] = partial[i][j].value[e] = 0.0f;

    staged s;
    fetch(p, m0, n0, 0, tid, s);
    b_registers breg;
    if constexpr (b_direct) {
HIPFUSE_GEMM_UNROLL
      for (int step = 0; step < steps_per_warp; ++step)
HIPFUSE_GEMM_UNROLL
        for (int j = 0; j < rn; ++j)
          breg.f[step][j] = fetch_b_fragment(p, n0 + warp_col0 + j * atom::n, 0, step, warp_k, lane);
    }
    store(s, smem, 0, tid);
    float a_scale[rm];
    int a_code[rm];
    b_scale_t b_scale = s.b_scale;
HIPFUSE_GEMM_UNROLL
    for (int i = 0; i < rm; ++i) a_scale[i] = s.a_scale[i], a_code[i] = s.a_code[i];
    platform::block_barrier();

    for (int kb = 0; kb < kblocks; ++kb) {
      const int stage = kb % Shape::stages;
      const bool more = kb + 1 < kblocks;
      // The last block fetches itself again (unused): loads the compiler sees issued on every
      // path are counted exactly, so waiting for this block's B registers does not also wait
      // for the next block's loads (a conditional load makes it wait for all of them).
      const int next_kb = more ? kb + 1 : kb;
      fetch(p, m0, n0, next_kb, tid, s);
      schedule_fence();

      const warp_place w{p, n0 + warp_col0, warp_row0, warp_col0, warp_k, lane, next_kb};
      if constexpr (atom::scaled) {
        multiply_scaled(smem, stage, w, breg, a_code, scale_code_of(b_scale), acc);
      } else {
        // Scales for this block, read before the matrix work so their latency hides behind it.
        float row_scale[rm][atom::c_per_lane];
HIPFUSE_GEMM_UNROLL
        for (int i = 0; i < rm; ++i)
HIPFUSE_GEMM_UNROLL
          for (int e = 0; e < atom::c_per_lane; ++e) {
            const int row = c_position(lane, e).row;
            if constexpr (swap_ab) {
              row_scale[i][e] = a_scale[i];  // this lane's own row
            } else if constexpr (shuffle_scales) {
              row_scale[i][e] = lane_value(a_scale[i], row);
            } else {
              const int r = m0 + warp_row0 + i * atom::m + row;
              row_scale[i][e] = r < p.m ? p.a_scale.load(r, kb) : 0.0f;
            }
          }
        const float col_scale = scale_value(b_scale);

        multiply(smem, stage, w, breg, partial);

HIPFUSE_GEMM_UNROLL
        for (int i = 0; i < rm; ++i)
HIPFUSE_GEMM_UNROLL
          for (int j = 0; j < rn; ++j)
HIPFUSE_GEMM_UNROLL
            for (int e = 0; e < atom::c_per_lane; ++e) {
              acc[i][j].value[e] += partial[i][j].value[e] * (row_scale[i][e] * col_scale);
              partial[i][j].value[e] = 0.0f;
            }
      }

      // Unconditional, like the fetch: the last block's copy goes to the stage no one reads any
      // more (its last reader finished before the previous barrier), and the compiler keeps the
      // fetch's loads at the top instead of sinking them into a conditional store just before
      // their use, where their latency would show.
      schedule_fence();
      store(s, smem, (kb + 1) % Shape::stages, tid);
HIPFUSE_GEMM_UNROLL
      for (int i = 0; i < rm; ++i) a_scale[i] = s.a_scale[i], a_code[i] = s.a_code[i];
      b_scale = s.b_scale;
      platform::block_barrier();
    }

    if constexpr (Shape::warps_k > 1) {
      // Add the k groups' results through shared memory (free now: the loop ended with a barrier);
      // group 0 finishes. Laid out [slot][element][lane] so a wave's writes are contiguous.
      constexpr int per_lane = rm * rn * atom::c_per_lane;
      static_assert((Shape::warps_k - 1) * Shape::warps_mn * per_lane * atom::lanes * 4 <= sizeof(smem.a),
                    "the k-split reduction fits the A tiles");
      float* partials = reinterpret_cast<float*>(smem.a[0]);
      auto slot = [&](int group, int i, int j, int e) {
        return (((group - 1) * Shape::warps_mn + warp_mn) * per_lane + (i * rn + j) * atom::c_per_lane + e) *
                   atom::lanes + lane;
      };
      if (warp_k > 0) {
HIPFUSE_GEMM_UNROLL
        for (int i = 0; i < rm; ++i)
HIPFUSE_GEMM_UNROLL
          for (int j = 0; j < rn; ++j)
HIPFUSE_GEMM_UNROLL
            for (int e = 0; e < atom::c_per_lane; ++e) partials[slot(warp_k, i, j, e)] = acc[i][j].value[e];
      }
      platform::block_barrier();
      if (warp_k > 0) return;
      for (int g = 1; g < Shape::warps_k; ++g)
HIPFUSE_GEMM_UNROLL
        for (int i = 0; i < rm; ++i)
HIPFUSE_GEMM_UNROLL
          for (int j = 0; j < rn; ++j)
HIPFUSE_GEMM_UNROLL
            for (int e = 0; e < atom::c_per_lane; ++e) acc[i][j].value[e] += partials[slot(g, i, j, e)];
    }
    epilogue(p, acc, m0 + warp_row0, n0 + warp_col0, lane);
  }

  // Where a warp works: its place in the block tile, its first column of C (n0 + warp_col0, for
  // B straight from global memory) and the k block to prefetch B for.
  struct warp_place {
    const Args& p;
    int col0, warp_row0, warp_col0, warp_k, lane, next_kb;
  };

  // Loads, for each k step this warp owns, its A fragments (and B's, unless they are already in
  // registers) from shared memory and calls mma(i, j, a_fragment_i, b_fragment_j) for every tile
  // (i, j) of the warp. With B in registers, each step's B fragments of the next k block are
  // loaded once this step's instructions have been issued, into the same registers.
  template <class Mma>
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void for_each_k_step(const shared_storage& smem, int stage,
                                                                const warp_place& w, b_registers& breg, Mma&& mma) {
HIPFUSE_GEMM_KSTEP_UNROLL
    for (int step = 0; step < steps_per_warp; ++step) {
      const int ks = step * Shape::warps_k + w.warp_k;
      a_tile_fragment fa[rm];
HIPFUSE_GEMM_UNROLL
      for (int i = 0; i < rm; ++i)
        fa[i] = load_fragment<atom, !swap_ab>(smem.a[stage], w.warp_row0 + i * atom::m, ks * atom::k, w.lane);
      if constexpr (b_direct) {
HIPFUSE_GEMM_UNROLL
        for (int i = 0; i < rm; ++i)
HIPFUSE_GEMM_UNROLL
          for (int j = 0; j < rn; ++j) mma(i, j, fa[i], breg.f[step][j]);
HIPFUSE_GEMM_UNROLL
        for (int j = 0; j < rn; ++j)
          breg.f[step][j] = fetch_b_fragment(w.p, w.col0 + j * atom::n, w.next_kb, step, w.warp_k, w.lane);
      } else {
        b_tile_fragment fb[rn];
HIPFUSE_GEMM_UNROLL
        for (int j = 0; j < rn; ++j)
          fb[j] = load_fragment<atom, swap_ab>(smem.b[stage], w.warp_col0 + j * atom::n, ks * atom::k, w.lane);
HIPFUSE_GEMM_UNROLL
        for (int i = 0; i < rm; ++i)
HIPFUSE_GEMM_UNROLL
          for (int j = 0; j < rn; ++j) mma(i, j, fa[i], fb[j]);
      }
    }
  }

  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void multiply(const shared_storage& smem, int stage, const warp_place& w,
                                                         b_registers& breg,
                                                         typename atom::c_fragment (&partial)[rm][rn]) {
    for_each_k_step(smem, stage, w, breg,
                    [&](int i, int j, const a_tile_fragment& a, const b_tile_fragment& b) {
                      if constexpr (swap_ab) {
                        atom::mma(partial[i][j], b, a);
                      } else {
                        atom::mma(partial[i][j], a, b);
                      }
                    });
  }

  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static int scale_code_of(float) { return 127; }
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static int scale_code_of(ue8m0 s) { return s.bits; }

  // Hardware-scaled atoms: each lane passes the E8M0 code of the row it feeds; the whole block tile
  // shares one B scale.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void multiply_scaled(const shared_storage& smem, int stage,
                                                                const warp_place& w, b_registers& breg,
                                                                const int (&a_code)[rm], int b_code,
                                                                typename atom::c_fragment (&acc)[rm][rn]) {
    for_each_k_step(smem, stage, w, breg,
                    [&](int i, int j, const a_tile_fragment& a, const b_tile_fragment& b) {
                      if constexpr (swap_ab) {
                        atom::mma(acc[i][j], b, a, b_code, a_code[i]);
                      } else {
                        atom::mma(acc[i][j], a, b, a_code[i], b_code);
                      }
                    });
  }

  // Consecutive accumulators e0 .. e0+R-1 (e0 a multiple of R) that land on consecutive columns of
  // one row, starting at a column that is a multiple of R: stored as one R·2-byte access.
  HIPFUSE_HOST_DEVICE static constexpr int store_run() {
    for (int r = 8; r > 1; r /= 2) {
      bool ok = atom::c_per_lane % r == 0;
      for (int lane = 0; ok && lane < atom::lanes; ++lane)
        for (int e0 = 0; ok && e0 < atom::c_per_lane; e0 += r) {
          const row_col first = c_position(lane, e0);
          ok = first.col % r == 0;
          for (int d = 1; ok && d < r; ++d) {
            const row_col next = c_position(lane, e0 + d);
            ok = next.row == first.row && next.col == first.col + d;
          }
        }
      if (ok) return r;
    }
    return 1;
  }

  // bf16(acc + bias), one rounding; elements outside M×N are not written.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void epilogue(const Args& p, const typename atom::c_fragment (&acc)[rm][rn],
                                                         int row0, int col0, int lane) {
    constexpr int run = store_run();
    // Whole runs go out as one access when C's rows keep them aligned (the usual contiguous C).
    const bool vector_ok = run > 1 && reinterpret_cast<std::uintptr_t>(p.c) % (2 * run) == 0 && p.ldc % run == 0;
HIPFUSE_GEMM_UNROLL
    for (int i = 0; i < rm; ++i)
HIPFUSE_GEMM_UNROLL
      for (int j = 0; j < rn; ++j)
HIPFUSE_GEMM_UNROLL
        for (int e0 = 0; e0 < atom::c_per_lane; e0 += run) {
          const row_col rc = c_position(lane, e0);
          const int row = row0 + i * atom::m + rc.row, col = col0 + j * atom::n + rc.col;
          if (row >= p.m) continue;
          bfloat16* out = p.c + static_cast<std::int64_t>(row) * p.ldc + col;
          if (vector_ok && col + run <= p.n) {
            vec<bfloat16, run> v;
HIPFUSE_GEMM_UNROLL
            for (int d = 0; d < run; ++d)
              v[d] = to_bfloat16(acc[i][j].value[e0 + d] + (p.bias ? to_float(p.bias[col + d]) : 0.0f));
            v.store(out);
          } else {
HIPFUSE_GEMM_UNROLL
            for (int d = 0; d < run; ++d) {
              if (col + d < p.n)
                out[d] = to_bfloat16(acc[i][j].value[e0 + d] + (p.bias ? to_float(p.bias[col + d]) : 0.0f));
            }
          }
        }
  }

};

}  // namespace gemm
}  // namespace hipfuse
