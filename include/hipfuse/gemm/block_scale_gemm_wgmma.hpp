// The Hopper backend of the block-scale FP8 GEMM (backend::wgmma_e4m3, sm_90a):
//   C[m, n] = bf16( Σ_kb (Σ_{k in kb} A[m, k]·B[n, k]) · sa[m, kb] · sb[n/128, kb] + bias[n] )
//
// One persistent block per SM walks the output tiles. Warpgroup 0 is the producer: one thread
// issues tensor copies (TMA) of each 128-k slab of A and B into a ring of shared-memory stages,
// each stage guarded by a "full" mbarrier (copies landed) and an "empty" one (consumers done).
// The other warpgroups are consumers, 64 rows each (decode tiles: two or four per 64 rows, taking
// every second or fourth 128-k block and adding their sums at the end): per 128-k block four wgmma m64nNk32 into a
// partial accumulator, then the promotion acc += partial · sa[row] · sb in fp32 registers (the
// fp8 products of different scale blocks never share an fp32 sum), then the next block. While
// one consumer promotes, the other's wgmma keeps the tensor cores busy, and the producer already
// fills the stages of the next tile while consumers write this tile's epilogue.
//
// Scales: fp32 A scales in a column-major layout (row stride a multiple of 4) and fp32 B scales
// (K/128 a multiple of 4) ride in the stages: the producer adds a tensor copy of the block's A
// scales of the tile's rows (contiguous in these layouts; rows past M are not read) and a bulk
// copy of the 16 bytes holding its B scale, completing on the same "full" barrier, and consumers
// read them from shared memory. Otherwise (any scale layout, fp32 or ue8m0, through the
// scale_view accessors) each consumer thread reads its two rows' A scales and the B scale from
// global memory, issued before the wait on the stage. Global loads in the consumers cost 10-20 %
// at M = 4096: their latency sat between one block's multiplies and the next.
// B must be b_standard (K-major [N, K]): the tensor copy writes wgmma's swizzled layout directly.
#pragma once
#include <cstdint>
#include <type_traits>
#include "../config.hpp"

#if defined(HIPFUSE_PLATFORM_CUDA)
#include "../kernel.hpp"
#include "../numeric/half_types.hpp"
#include "../numeric/vec.hpp"
#include "../platform/trap.hpp"
#include "atom_wgmma_sm90.hpp"
#include "block_scale_gemm_args.hpp"
#include "cluster_sm90.hpp"
#include "tile_config.hpp"
#include "tile_walk.hpp"
#include "tma_sm90.hpp"
#include "wgmma_shape_sm90.hpp"

namespace hipfuse {
namespace gemm {

// Whether the scales of these arguments can come by copy: fp32 A scales stored column by
// column (a k block's scales of consecutive rows are contiguous) and fp32 B scales; the strides
// are checked at launch.
template <class Args>
inline constexpr bool wgmma_scales_by_copy =
    std::is_same_v<typename Args::a_scale_type, float> && std::is_same_v<typename Args::b_scale_type, float> &&
    (std::is_same_v<typename Args::a_scale_layout, scale_layout::column_major> ||
     std::is_same_v<typename Args::a_scale_layout, scale_layout::column_major_aligned4>);

// The tile walk shared by producer and consumers (grouped_tile_walk): tile t's first row and column.
struct wgmma_tile_walk {
  grouped_tile_walk walk;
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE int tiles() const { return walk.tiles(); }
  struct origin {
    int m0, n0;
  };
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE origin of(int t, int block_m, int block_n) const {
    const grouped_tile_walk::tile_coord c = walk.at(t);
    return {c.m * block_m, c.n * block_n};
  }
};

// A position in the ring of stages: the stage and the parity of its current mbarrier phase.
template <int Stages>
struct ring_position {
  int stage = 0, phase = 0;
  // The position of the count-th slab through the ring.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static ring_position of(int count) {
    return {count % Stages, (count / Stages) & 1};
  }
  template <int Step = 1>
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void advance() {
    static_assert(Step <= Stages, "one step passes the ring at most once");
    stage += Step;
    if (stage >= Stages) stage -= Stages, phase ^= 1;
  }
};

// bf16(lo) in the low half, bf16(hi) in the high half: one store of two adjacent columns, one
// packed convert (to_bfloat16x2's NaN branch, which helps the norm kernels' register allocation,
// cost the epilogue three instructions per pair).
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE std::uint32_t pack_bf16x2(float lo, float hi) { return to_bfloat16x2_bits(lo, hi); }

// The scales one consumer thread needs for one k block: its two rows' A scales and the tile's B
// (b_hi: the next 128-column block's, for tiles that reach into it; 0 past N).
struct block_scales {
  float a0, a1, b, b_hi;
};

// The boxes the producer copies A and its scales in (see the launcher): `rows` rows per row tile,
// except in a last row tile that M ends inside, past the first, which takes `tail_rows` through the
// tail maps (the same as the others where there is no such tile).
struct wgmma_a_boxes {
  const CUtensorMap* tail;
  const CUtensorMap* tail_scales;
  int rows, tail_rows;
};

template <class Shape, class Args>
struct block_scale_gemm_wgmma {
  static_assert(std::is_same_v<typename Args::b_layout, b_standard>,
                "the wgmma backend reads B through tensor copies of K-major [N, K]: use gemm::b_standard "
                "(preshuffled B, the AMD layout, runs on backend::mma_sync_e4m3)");
  static_assert(std::is_same_v<typename Args::fp8_type, float8_e4m3fn>, "wgmma takes OCP e4m3 operands");
  using atom = typename Shape::atom;
  static constexpr int acc_count = atom::c_per_thread;

  // A consumer thread's rows (row0 and row0 + 8 of C), the start of the tile's B scale row, and
  // whether the next row of B scales exists (the tile reaches a second 128-column block inside N).
  struct consumer_rows {
    int row0;
    std::int64_t b_scale_row;
    bool b_hi;
    HIPFUSE_DEVICE HIPFUSE_FORCEINLINE block_scales scales(const Args& p, int kb) const {
      const int kblocks = p.k / scale_block;
      return {row0 < p.m ? p.a_scale.load(row0, kb) : 0.0f, row0 + 8 < p.m ? p.a_scale.load(row0 + 8, kb) : 0.0f,
              scale_value(p.b_scale[b_scale_row + kb]),
              Shape::b_scale_blocks > 1 && b_hi ? scale_value(p.b_scale[b_scale_row + kblocks + kb]) : 0.0f};
    }
  };

  // Whether the 128-column B scale block after the one of column n0 holds columns below N.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static bool has_b_hi(const Args& p, int n0) {
    return Shape::b_scale_blocks > 1 && (n0 / scale_block + 1) * scale_block < p.n;
  }

  // Only the 128- and 192-row tiles walk in bands (wgmma_group_rows): the 64-row ones serve decode,
  // at most two row tiles, and keep the plain order with no test for it in their code.
  static constexpr bool walks_in_bands = Shape::block_m >= 128;

  // B stages a producer fills before it waits for the previous grid (weights first, see run).
  static constexpr int weights_first_stages = Shape::stages < 2 ? Shape::stages : 2;

  // Whether the producer sends the first tile's first stages before the block's barrier (see
  // send_first_stages), and how many: tiles whose consumers take whole k, two stages. On the H100
  // (interleaved against sending after the barrier, µs, the same bits): 32768x512 at M = 1 / 16 /
  // 64 / 128 8.94 / 9.16 / 10.17 / 11.84 -> 8.68 / 8.95 / 9.95 / 11.69, 7168x2048 at M = 64 / 128
  // 8.53 / 9.40 -> 8.43 / 9.25, 24576x1536 at M = 16 16.27 -> 16.09; 4096x7168 at M = 128 (two row
  // tiles on K = 7168) 15.05 -> 15.52; the rest, M = 4096 included, within 1.5 %. With the k split
  // over warpgroups or blocks (2112x7168 and 4096x7168 at M <= 128) it was 2-5 % slower, so those
  // tiles send after the barrier as before; the ring's worth instead of two was slower on
  // 7168x2048 at M = 1 (8.2 -> 8.8) and no faster elsewhere.
  static constexpr bool sends_before_barrier = Shape::k_split == 1 && Shape::cluster_k == 1;
  static constexpr int first_stages_ahead = Shape::stages < 2 ? Shape::stages : 2;

  // This block's part of the tile walk: tiles first_tile, first_tile + tile_stride, ..., and of
  // each the 128-k blocks [kb_begin, kb_end) (all of them but in a k split across blocks).
  struct block_share {
    wgmma_tile_walk walk;
    int kblocks, kb_begin, kb_end, first_tile, tile_stride;
  };
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static block_share share_of(const Args& p, int group_m, int rank) {
    const int tiles_m = (p.m + Shape::block_m - 1) / Shape::block_m;
    const int tiles_n = (p.n + Shape::block_n - 1) / Shape::block_n;
    const int kblocks = p.k / scale_block;
    return {{{tiles_m, tiles_n, walks_in_bands ? group_m : tiles_m}},
            kblocks,
            static_cast<int>(static_cast<std::int64_t>(kblocks) * rank / Shape::cluster_k),
            static_cast<int>(static_cast<std::int64_t>(kblocks) * (rank + 1) / Shape::cluster_k),
            static_cast<int>(blockIdx.x) / Shape::cluster_k,
            static_cast<int>(gridDim.x) / Shape::cluster_k};
  }

  // The stages of the block's first tile that its producer sends before it enters its loop (see
  // send_first_stages): first_stages_ahead whole ones where sends_before_barrier, or with weights
  // first the B slabs of weights_first_stages.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static int stages_ahead(const block_share& s, bool weights_first) {
    const int blocks = s.first_tile < s.walk.tiles() ? s.kb_end - s.kb_begin : 0;
    const int most = weights_first ? weights_first_stages : sends_before_barrier ? first_stages_ahead : 0;
    return blocks < most ? blocks : most;
  }

  // The producer thread's copies into a stage.
  struct stage_copies {
    const CUtensorMap *tma_a, *tma_b, *tma_sa;
    const wgmma_a_boxes& a_boxes;
    const Args& p;
    std::uint64_t* full;
    std::uint8_t* base;         // stage s: A at base + s * stage_bytes, B a_bytes on
    std::uint8_t* scale_slots;  // stage s: A scales at scale_slots + s * scale_bytes, B scales a_scale_bytes on
    bool copy_scales;
    int kblocks;

    // A tile's A boxes (the tail ones in the last row tile where M ends inside it, see the launcher).
    HIPFUSE_DEVICE HIPFUSE_FORCEINLINE bool is_tail(int m0) const { return p.m - m0 < a_boxes.rows; }
    // The bytes of a stage of the tile at row m0: its A box's rows of 128 bytes, B's slab, and with
    // the scales the A column's box (its rows rounded up to 4: 16 bytes; rows past M count,
    // zero-filled) and one or two 16-byte runs of B scales.
    HIPFUSE_DEVICE HIPFUSE_FORCEINLINE std::uint32_t bytes(int m0, bool b_hi) const {
      const std::uint32_t rows = static_cast<std::uint32_t>(is_tail(m0) ? a_boxes.tail_rows : a_boxes.rows);
      return rows * scale_block + Shape::b_bytes + (copy_scales ? 16u * ((rows + 3) / 4) + 16u * (b_hi ? 2 : 1) : 0u);
    }
    HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void a(int stage, int m0, int kb) const {
      sm90::tma_load_2d(is_tail(m0) ? a_boxes.tail : tma_a, &full[stage], base + stage * Shape::stage_bytes,
                        kb * scale_block, m0);
    }
    HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void b(int stage, int n0, int kb) const {
      sm90::tma_load_2d(tma_b, &full[stage], base + stage * Shape::stage_bytes + Shape::a_bytes, kb * scale_block, n0);
    }
    // sb[n0 / 128][kb & ~3 .. + 4), of which element kb % 4 counts
    HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void b_scales(int stage, int n0, int kb, bool b_hi) const {
      std::uint8_t* slot = scale_slots + stage * Shape::scale_bytes + Shape::a_scale_bytes;
      const auto* b_scales = p.b_scale + static_cast<std::int64_t>(n0 / scale_block) * kblocks + (kb & ~3);
      sm90::bulk_load(&full[stage], slot, b_scales, 16);
      if (b_hi) sm90::bulk_load(&full[stage], slot + 16, b_scales + kblocks, 16);
    }
    // sa[kb][m0 .. m0 + rows) by tensor copy: rows past M are filled with zeros, never read (a bulk
    // copy up to the stride read past the end of a buffer sized to the layout's extent, whose last
    // column ends at row M).
    HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void a_scales(int stage, int m0, int kb) const {
      sm90::tma_load_2d(is_tail(m0) ? a_boxes.tail_scales : tma_sa, &full[stage],
                        scale_slots + stage * Shape::scale_bytes, m0, kb);
    }
  };

  // Shapes with Shape::scales_by_warp take fp32 scales (any layout) into the stages' scale slots
  // from the producer warpgroup's second warp, so that their consumers read them from shared
  // memory like the whole-k tiles' instead of loading them from global memory at every k block.
  // UE8M0 scales keep the loads (a scale is one byte; the copies below move four).
  static constexpr bool warp_copies_scales = Shape::scales_by_warp &&
                                             std::is_same_v<typename Args::a_scale_type, float> &&
                                             std::is_same_v<typename Args::b_scale_type, float>;
  static_assert(!Shape::scales_by_warp ||
                    (!Shape::scales_in_stages && Shape::block_m == 64 && Shape::b_scale_blocks == 1),
                "the scale warp serves tiles without scale copies, one 64-row A column and one B scale per stage");
  // The full barrier's arrivals per phase: the producer thread's, and with the scale warp one per lane.
  static constexpr int full_arrivals = warp_copies_scales ? 1 + 32 : 1;

  // The scale warp: for every stage the producer thread fills, the tile's 64 A scales of its k
  // block (zeros for rows past M, nothing read there) and its B scale (at element kb % 4 of the
  // slot's B run, where the consumers look) by 4-byte asynchronous copies, each lane arriving on
  // the stage's full barrier once its copies have landed. The lanes wait for the stage's release
  // like the producer thread, and never for a copy: many stages' scales are on their way at once.
  HIPFUSE_DEVICE static void copy_scales_by_warp(const Args& p, const block_share& share, std::uint64_t* full,
                                                 std::uint64_t* empty, std::uint8_t* scale_slots, int lane) {
    using a_layout = typename Args::a_scale_layout;
    wait_for_previous_grid();  // A's scales may be the previous kernel's output
    const std::uint32_t slots = sm90::smem_address(scale_slots);
    const std::uint32_t full_address = sm90::smem_address(full), empty_address = sm90::smem_address(empty);
    // Every layout's offset is linear in the row and the k block: a k block further is `step` on.
    const std::int64_t step = a_layout::offset(0, 1, p.a_scale.stride);
    ring_position<Shape::stages> at{};
    for (int t = share.first_tile; t < share.walk.tiles(); t += share.tile_stride) {
      const auto o = share.walk.of(t, Shape::block_m, Shape::block_n);
      // This lane's rows, lane and lane + 32 of the tile (a row past M reads nothing; its address
      // is the last row's, kept inside the buffer).
      const bool valid0 = o.m0 + lane < p.m, valid1 = o.m0 + lane + 32 < p.m;
      const float* a0 =
          p.a_scale.data + a_layout::offset(valid0 ? o.m0 + lane : p.m - 1, share.kb_begin, p.a_scale.stride);
      const float* a1 =
          p.a_scale.data + a_layout::offset(valid1 ? o.m0 + lane + 32 : p.m - 1, share.kb_begin, p.a_scale.stride);
      const float* b = p.b_scale + static_cast<std::int64_t>(o.n0 / scale_block) * share.kblocks + share.kb_begin;
      for (int kb = share.kb_begin; kb < share.kb_end; ++kb, a0 += step, a1 += step, ++b) {
        sm90::mbarrier_wait(empty_address + 8 * at.stage, at.phase ^ 1);
        const std::uint32_t slot = slots + at.stage * Shape::scale_bytes;
        sm90::async_copy_4(slot + 4 * lane, a0, valid0);
        sm90::async_copy_4(slot + 4 * (lane + 32), a1, valid1);
        if (lane == 0) sm90::async_copy_4(slot + Shape::a_scale_bytes + 4 * (kb % 4), b, true);
        sm90::async_copies_arrive(full_address + 8 * at.stage);
        at.advance();
      }
    }
  }

  // The producer thread's first copies (stages_ahead), sent right after it set up the barriers
  // where sends_before_barrier, else (the B slabs of weights first) as its loop starts. Sent from
  // the loop, the first copies had waited for the block's barrier, the tile walk and the copies'
  // arguments: ~1400 cycles from the block's start at decode sizes on the H100. The walk is worked
  // out here and again in run: with the values carried from here into the loop, ptxas ran its
  // copies from vector registers, through a loop over the warp's values at every copy (2-4 %
  // slower).
  HIPFUSE_DEVICE static void send_first_stages(const CUtensorMap* tma_a, const CUtensorMap* tma_b,
                                               const CUtensorMap* tma_sa, const wgmma_a_boxes& a_boxes,
                                               bool copy_scales, bool weights_first, int group_m, int rank,
                                               const Args& p, std::uint64_t* full, std::uint8_t* base,
                                               std::uint8_t* scale_slots) {
    const block_share share = share_of(p, group_m, rank);
    const int ahead = stages_ahead(share, weights_first);
    if (ahead == 0) return;
    sm90::fence_proxy_async();  // the initialised barriers, before the copies that complete on them
    const stage_copies copy{tma_a, tma_b, tma_sa, a_boxes, p, full, base, scale_slots, copy_scales, share.kblocks};
    const auto o = share.walk.of(share.first_tile, Shape::block_m, Shape::block_n);
    const bool b_hi = has_b_hi(p, o.n0);
    const std::uint32_t stage_bytes = copy.bytes(o.m0, b_hi);
    if (!weights_first) wait_for_previous_grid();  // A may be the previous kernel's output
    for (int s = 0; s < ahead; ++s) {
      const int kb = share.kb_begin + s;
      sm90::mbarrier_arrive_expect_tx(&full[s], stage_bytes);
      if (!weights_first) copy.a(s, o.m0, kb);
      copy.b(s, o.n0, kb);
      if (copy_scales) {
        if (!weights_first) copy.a_scales(s, o.m0, kb);
        copy.b_scales(s, o.n0, kb, b_hi);
      }
    }
  }

  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void run(const CUtensorMap* tma_a, const CUtensorMap* tma_b,
                                                    const CUtensorMap* tma_c, const CUtensorMap* tma_sa,
                                                    const wgmma_a_boxes& a_boxes, bool tma_store, bool copy_scales,
                                                    bool weights_first, int group_m, const Args& p) {
#if defined(HIPFUSE_HAS_WGMMA)
    extern __shared__ __align__(1024) std::uint8_t dynamic_shared[];
    // Static shared memory exists only in this sm_90a body: the launcher reads its size to know
    // whether the binary has wgmma code (see wgmma_code_present).
    __shared__ std::uint64_t full[Shape::stages], empty[Shape::stages];
    // Cluster k split: rank r's sums are in rank 0 (partials_full[r - 1], one barrier per block
    // that arrives), rank 0 has read them (partials_empty, in each other block).
    __shared__ std::uint64_t partials_full[Shape::cluster_k > 1 ? Shape::cluster_k - 1 : 1], partials_empty;
    __shared__ int split_last;  // global split: whether this block counted last on the tile (hand_over_global)
    std::uint8_t* base = reinterpret_cast<std::uint8_t*>(
        (reinterpret_cast<std::uintptr_t>(dynamic_shared) + 1023) & ~std::uintptr_t{1023});
    auto a_tile = [&](int s) { return base + s * Shape::stage_bytes; };
    auto b_tile = [&](int s) { return base + s * Shape::stage_bytes + Shape::a_bytes; };
    std::uint8_t* c_stage = base + Shape::stages * Shape::stage_bytes;
    std::uint8_t* cluster_slots = c_stage + Shape::c_bytes + Shape::reduce_bytes;
    std::uint8_t* scale_slots = cluster_slots + Shape::cluster_bytes;

    copy_scales = copy_scales && Shape::scales_in_stages;
    const int tid = static_cast<int>(threadIdx.x);
    constexpr int cluster_k = Shape::cluster_k;
    const int rank = Shape::cluster_split ? sm90::cluster_rank() : static_cast<int>(blockIdx.x) % cluster_k;
    if (tid == 0) {
      sm90::prefetch_tma_descriptor(tma_a);
      sm90::prefetch_tma_descriptor(tma_b);
      if (copy_scales) sm90::prefetch_tma_descriptor(tma_sa);
      if (a_boxes.tail_rows != a_boxes.rows) {
        sm90::prefetch_tma_descriptor(a_boxes.tail);
        if (copy_scales) sm90::prefetch_tma_descriptor(a_boxes.tail_scales);
      }
      for (int s = 0; s < Shape::stages; ++s) {
        sm90::mbarrier_init(&full[s], full_arrivals);
        // Per warp of the warpgroups reading it, or per thread where they read its scale slot (see promote).
        sm90::mbarrier_init(&empty[s], Shape::row_groups * 4 * (copy_scales || warp_copies_scales ? 32 : 1));
      }
      if constexpr (Shape::cluster_split) {
        for (int r = 0; r + 1 < cluster_k; ++r) sm90::mbarrier_init(&partials_full[r], 128);  // its first group
        sm90::mbarrier_init(&partials_empty, 128);  // every thread of rank 0's first group
      }
      sm90::fence_barrier_init();
      if constexpr (sends_before_barrier)
        send_first_stages(tma_a, tma_b, tma_sa, a_boxes, copy_scales, weights_first, group_m, rank, p, full, base,
                          scale_slots);
    }
    if constexpr (Shape::cluster_split) {
      sm90::cluster_sync();  // no block arrives on another's barriers before they are initialised
    } else {
      __syncthreads();
    }

    const block_share share = share_of(p, group_m, rank);
    const wgmma_tile_walk& walk = share.walk;
    const int kblocks = share.kblocks, kb_begin = share.kb_begin, kb_end = share.kb_end;
    const int first_tile = share.first_tile, tile_stride = share.tile_stride;
    // Broadcast from lane 0, so the compiler knows the warpgroup (and with it the consumer's row
    // group and its A descriptor) is the same across the warp and keeps them in uniform registers:
    // the descriptors then advance by uniform adds between the wgmma instructions instead of being
    // moved from vector registers before each (2.5-5 % at M = 4096 on the H100).
    const int warpgroup = __shfl_sync(0xFFFFFFFFu, tid / 128, 0);

    if (warpgroup == 0) {
      if constexpr (Shape::moves_registers) sm90::release_registers<Shape::producer_registers>();
      if (tid == 0) {
        const stage_copies copy{tma_a, tma_b, tma_sa, a_boxes, p, full, base, scale_slots, copy_scales, kblocks};
        // The rest of the copies, after the stages sent before the barrier. With weights first
        // (launched by programmatic dependent launch, and the caller says the previous kernel does
        // not write B) those were B slabs (and B scales) only, sent before this grid waits for that
        // kernel, so the weight stream starts while it finishes; A, its scales and everything the
        // consumers touch wait. Not without that launch: there the wait returns at once, and the
        // first A slab queued behind the B slabs (7168x2048 at M = 1 on the H100, the whole ring
        // ahead: 9.0 -> 10.3 µs). Two stages, not the ring: fp8_linear at M = 1 / 128 on 7168x2048,
        // µs, unchained 10.8 / 11.8, two ahead 10.5 / 11.1, four 10.8 / 11.1, the ring 11.7 / 11.6
        // (its burst of weights delays the quantizer's reads, and the A slabs of the whole ring then
        // queue behind it).
        // The two forms are compiled apart, so that the usual one is the loop as it was before
        // weights first existed. With a test for the stages copied ahead at the top of its blocks,
        // the 128x128 tiles ran 1-2 % slower at M = 4096 on the H100 (interleaved in one process:
        // 7168x2048 112.7 -> 115.2 µs, 4096x7168 222.7 -> 225.6).
        const int ahead = stages_ahead(share, weights_first);
        const auto produce = [&](auto weights_ahead_tag) {
          constexpr bool weights_ahead = decltype(weights_ahead_tag)::value;
          int b_ahead = weights_ahead ? ahead : 0;  // stages whose B is on its way
          int skip = weights_ahead ? 0 : ahead;      // the first tile's stages already whole
          if constexpr (weights_ahead && !sends_before_barrier)
            send_first_stages(tma_a, tma_b, tma_sa, a_boxes, copy_scales, weights_first, group_m, rank, p, full, base,
                              scale_slots);
          wait_for_previous_grid();
          ring_position<Shape::stages> at = ring_position<Shape::stages>::of(skip);
          for (int t = first_tile; t < walk.tiles(); t += tile_stride) {
            const auto o = walk.of(t, Shape::block_m, Shape::block_n);
            const int m0 = o.m0, n0 = o.n0;
            const bool b_hi = has_b_hi(p, n0);
            const std::uint32_t stage_bytes = copy.bytes(m0, b_hi);
            for (int kb = kb_begin + skip; kb < kb_end; ++kb) {
              if constexpr (weights_ahead) {
                if (b_ahead > 0) {  // B is on its way: the A slab and A scales only
                  --b_ahead;
                  copy.a(at.stage, m0, kb);
                  if (copy_scales) copy.a_scales(at.stage, m0, kb);
                  at.advance();
                  continue;
                }
              }
              sm90::mbarrier_wait(&empty[at.stage], at.phase ^ 1);
              sm90::mbarrier_arrive_expect_tx(&full[at.stage], stage_bytes);
              copy.a(at.stage, m0, kb);
              copy.b(at.stage, n0, kb);
              if (copy_scales) {
                copy.a_scales(at.stage, m0, kb);
                copy.b_scales(at.stage, n0, kb, b_hi);
              }
              at.advance();
            }
            skip = 0;
          }
        };
        if (weights_first) {
          produce(std::true_type{});
        } else {
          produce(std::false_type{});
        }
        // A dependent grid (programmatic dependent launch) may launch now: its blocks take the SMs
        // this grid's blocks leave (one block fills an SM). Released at the block's start instead, a
        // chain of GEMMs on 7168x16384 at M = 4096 ran 2 % slower than unchained on the H100 (931 ->
        // 953 µs); released here, 0-1 % faster (914 -> 909).
        release_dependent_grid();
      }
      if constexpr (warp_copies_scales) {
        if (tid / 32 == 1) copy_scales_by_warp(p, share, full, empty, scale_slots, tid % 32);
      }
      if constexpr (Shape::cluster_split) sm90::cluster_sync();  // see the end of the consumers' part
      return;
    }

    // Nothing the previous kernel may write (A, scales, bias, C, the workspace) is touched before this.
    wait_for_previous_grid();
    if constexpr (Shape::moves_registers) sm90::claim_registers<Shape::consumer_registers>();
    const int consumer = warpgroup - 1, t = tid % 128, lane = t % 32;
    const int row_group = Shape::k_split > 1 ? consumer % Shape::row_groups : consumer;
    const int k_group = Shape::k_split > 1 ? consumer / Shape::row_groups : 0;
    float* reduce = reinterpret_cast<float*>(c_stage + Shape::c_bytes) +
                    row_group * (Shape::k_split - 1) * 64 * Shape::block_n;
    // Ring positions of the next block to issue and to release. With a k split each warpgroup
    // takes every k_split-th block; its positions restart per tile from the blocks counted so far.
    ring_position<Shape::stages> issue_at{}, release_at{};
    // The barriers' and the scale slots' shared-memory addresses, broadcast from lane 0 like the
    // warpgroup index: a shuffle's result is kept in a uniform register, while ptxas rebuilt the
    // addresses themselves from the block's shared window (S2R SR_CgaCtaId and three more
    // instructions) at every barrier wait and stage release of the loop. 2-5 % at M = 4096 on the
    // H100, the same bits.
    const std::uint32_t full_address = __shfl_sync(0xFFFFFFFFu, sm90::smem_address(full), 0);
    const std::uint32_t empty_address = __shfl_sync(0xFFFFFFFFu, sm90::smem_address(empty), 0);
    const std::uint32_t scale_base = __shfl_sync(0xFFFFFFFFu, sm90::smem_address(scale_slots), 0);
    // The scales are in the stages' slots: by tensor copy from the producer thread, or from the scale warp.
    const bool scales_in_slots = copy_scales || warp_copies_scales;
    // This thread's A scale (row + 0; row + 8 is 32 bytes on) in the scale slot of stage 0.
    const std::uint32_t scale_address = scale_base + 4 * (row_group * 64 + atom::c_coord(t, 0).row);
    int blocks_before = 0;
    // The descriptors of this row group's A rows and of B in stage 0; later stages and k steps add
    // constant offsets (see atom::descriptor_step).
    const std::uint32_t a_descriptor =
        atom::descriptor_low(sm90::smem_address(a_tile(0)) + row_group * 64 * swizzle_row_bytes);
    const std::uint32_t b_descriptor = atom::descriptor_low(sm90::smem_address(b_tile(0)));

    // Cluster k split: this first group's hand-overs of its sums to rank 0 (one "slot" reused per tile).
    ring_position<1> handoff{};
    for (int tile = first_tile; tile < walk.tiles(); tile += tile_stride) {
      const auto o = walk.of(tile, Shape::block_m, Shape::block_n);
      const int m0 = o.m0, n0 = o.n0;
      const consumer_rows rows{m0 + row_group * 64 + atom::c_coord(t, 0).row,
                               static_cast<std::int64_t>(n0 / scale_block) * kblocks, has_b_hi(p, n0)};
      // The first 8-column register group of the next B scale block (192-column tiles).
      const int hi_group = (scale_block - n0 % scale_block) / 8;
      // The partial accumulators (see Shape::partials), set here, not kept across tiles, so that
      // they are not live (in registers) during the epilogue.
      float acc[acc_count], partial0[acc_count], partial1[Shape::partials == 2 ? acc_count : 1];
#pragma unroll
      for (int i = 0; i < acc_count; ++i) acc[i] = 0.0f, partial0[i] = 0.0f;
      if constexpr (Shape::partials == 2) {
#pragma unroll
        for (int i = 0; i < acc_count; ++i) partial1[i] = 0.0f;
      }
      // This warpgroup's blocks: kb_begin + k_group, + k_split, ... below kb_end.
      const int local_blocks = kb_end - kb_begin;
      int mine = local_blocks;
      if constexpr (Shape::k_split > 1) {
        mine = (local_blocks - k_group + Shape::k_split - 1) / Shape::k_split;
        issue_at = release_at = ring_position<Shape::stages>::of(blocks_before + k_group);
        blocks_before += local_blocks;
      }
      auto block_of = [&](int j) { return kb_begin + k_group + j * Shape::k_split; };

      // One partial: each block is promoted right after it was issued, so the stage to release is
      // the one issued last (kept here instead of a second ring position to advance).
      std::uint32_t issued_empty = 0;
      // Wait until the stage of the next block to issue has landed.
      auto wait_stage = [&] { sm90::mbarrier_wait(full_address + 8 * issue_at.stage, issue_at.phase); };
      // Issue block j into `part`: wait for its stage (unless the caller has), four k steps, commit
      // (no wait).
      auto issue = [&](float(&part)[acc_count], int j, block_scales& sc, bool waited = false) {
        // Scales from global memory: loads in flight while the copy and the multiplies run.
        if (!scales_in_slots) sc = rows.scales(p, block_of(j));
        if (!waited) wait_stage();
        const std::uint32_t stage_offset =
            static_cast<std::uint32_t>(issue_at.stage) * atom::descriptor_step(Shape::stage_bytes);
        wgmma_fence();
#pragma unroll
        for (int step = 0; step < scale_block / atom::k; ++step)
          atom::mma_async_described(part, a_descriptor + stage_offset + atom::descriptor_step(step * atom::k),
                                    b_descriptor + stage_offset + atom::descriptor_step(step * atom::k), step > 0);
        wgmma_commit();
        wgmma_fence_registers(part);
        if (scales_in_slots) {  // read while the multiplies run; the stage is released only after the promotion
          const std::uint32_t slot = scale_address + issue_at.stage * Shape::scale_bytes;
          const std::uint32_t b_slot = scale_base + issue_at.stage * Shape::scale_bytes + Shape::a_scale_bytes;
          sc = {sm90::load_shared_f32(slot), sm90::load_shared_f32(slot + 32),
                sm90::load_shared_f32(b_slot + 4 * (block_of(j) % 4)),
                Shape::b_scale_blocks > 1 && rows.b_hi ? sm90::load_shared_f32(b_slot + 16 + 4 * (block_of(j) % 4))
                                                       : 0.0f};
        }
        issued_empty = empty_address + 8 * issue_at.stage;
        issue_at.template advance<Shape::k_split>();
      };
      // Promote the oldest issued block: free its stage, acc += part · sa[row] · sb.
      auto promote = [&](float(&part)[acc_count], const block_scales& sc) {
        wgmma_fence_registers(part);
        std::uint32_t empty_bar = issued_empty;
        if constexpr (Shape::partials == 2) {
          empty_bar = empty_address + 8 * release_at.stage;
          release_at.template advance<Shape::k_split>();
        }
        // A thread that read the stage's scale slot (plain shared-memory loads) frees the stage
        // itself: its loads then come before the producer's next copy into that slot by its own
        // program order and the barrier. One lane for the warp, as where the stage holds only what
        // the tensor cores read, is ordered only by the warp's lockstep, and compute-sanitizer's
        // racecheck reported each such slot as a race with that copy (docs/gemm-hopper.md).
        if (scales_in_slots || lane == 0) sm90::mbarrier_arrive(empty_bar);
        const float s0 = sc.a0 * sc.b, s1 = sc.a1 * sc.b;
        if constexpr (Shape::b_scale_blocks == 1) {
#pragma unroll
          for (int i = 0; i < acc_count; ++i) acc[i] += part[i] * (((i / 2) % 2) ? s1 : s0);
        } else {
          // Registers 4g .. 4g + 3 hold columns 8g .. 8g + 7: groups from hi_group on (8 or 16,
          // fixed per tile) take the next block's B scale; both forms are unrolled with it constant.
          const float h0 = sc.a0 * sc.b_hi, h1 = sc.a1 * sc.b_hi;
          const auto promote_from = [&](auto first_hi) {
            constexpr int g = decltype(first_hi)::value;
#pragma unroll
            for (int i = 0; i < acc_count; ++i)
              acc[i] += part[i] * (i / 4 >= g ? (((i / 2) % 2) ? h1 : h0) : (((i / 2) % 2) ? s1 : s0));
          };
          if (hi_group == 8) {
            promote_from(std::integral_constant<int, 8>{});
          } else {
            promote_from(std::integral_constant<int, 16>{});
          }
        }
      };

      if constexpr (Shape::partials == 1) {
        // While this warpgroup waits for its block and promotes it, the other consumer's
        // multiplies keep the tensor cores busy.
        // The next block's stage is waited for while this block's multiplies run, so that the
        // promotion is followed at once by the next issue (the order cuBLASLt's loop has; 4-7 %
        // at M = 4096 on the H100). The two-partial tiles keep waiting right before each issue:
        // there the early wait delayed the promotion and the stage's release, up to 25 % slower.
        block_scales sc{};
        if (mine > 0) wait_stage();
        for (int j = 0; j < mine; ++j) {
          issue(partial0, j, sc, true);
          if (j + 1 < mine) wait_stage();
          wgmma_wait<0>();
          promote(partial0, sc);
        }
      } else {
        if (mine > 0) {
          block_scales sc0{}, sc1{};
          issue(partial0, 0, sc0);
          int j = 1;
          for (; j + 1 < mine; j += 2) {
            issue(partial1, j, sc1);
            wgmma_wait<1>();
            promote(partial0, sc0);
            issue(partial0, j + 1, sc0);
            wgmma_wait<1>();
            promote(partial1, sc1);
          }
          if (j < mine) {
            issue(partial1, j, sc1);
            wgmma_wait<1>();
            promote(partial0, sc0);
            wgmma_wait<0>();
            promote(partial1, sc1);
          } else {
            wgmma_wait<0>();
            promote(partial0, sc0);
          }
        }
      }
      if constexpr (Shape::k_split > 1) {
        // Later k groups hand their sums to group 0 through shared memory; the second barrier
        // keeps them from overwriting the buffer before group 0 has read it.
        const int barrier = 8 + row_group, threads = 128 * Shape::k_split;
        if (k_group > 0) {
#pragma unroll
          for (int i = 0; i < acc_count; ++i) reduce[((k_group - 1) * acc_count + i) * 128 + t] = acc[i];
        }
        sm90::named_barrier(barrier, threads);
        if (k_group == 0) {
          for (int g = 1; g < Shape::k_split; ++g)
#pragma unroll
            for (int i = 0; i < acc_count; ++i) acc[i] += reduce[((g - 1) * acc_count + i) * 128 + t];
        }
        sm90::named_barrier(barrier, threads);
        if (k_group > 0) continue;
      }
      if constexpr (Shape::cluster_split) {
        if (!hand_over(acc, sm90::smem_address(cluster_slots), sm90::smem_address(partials_full),
                       sm90::smem_address(&partials_empty), rank, t, handoff))
          continue;  // rank 0 writes the tile
      } else if constexpr (Shape::global_split) {
        if (!hand_over_global(acc, p, tile, m0, rank, t, &split_last)) continue;  // the last block writes it
      }
      if constexpr (Shape::staged_store) {
        if (tma_store) {
          store_through_shared(p, acc, c_stage + row_group * (Shape::c_bytes / Shape::row_groups), tma_c,
                               m0 + row_group * 64, n0, t, row_group);
          continue;
        }
      }
      epilogue(p, acc, m0 + row_group * 64, n0, t);
    }
    if (t == 0) sm90::bulk_wait<0>();  // the last tile's stores, before the block's exit
    // No block of a cluster exits before the others are done with its shared memory (rank 0 reads
    // the others' sums and arrives on their partials_empty): every thread, producers included.
    if constexpr (Shape::cluster_split) sm90::cluster_sync();
#else
    (void)tma_a, (void)tma_b, (void)tma_c, (void)tma_sa, (void)a_boxes, (void)tma_store, (void)copy_scales,
        (void)weights_first, (void)p;
    platform::trap("the wgmma GEMM needs sm_90a code: build with -gencode arch=compute_90a,code=sm_90a, or pick "
                   "backend::mma_sync_e4m3");
#endif
  }

  // Cluster k split, at the end of a tile, in every block's first consumer group: rank r > 0 stores
  // its sums into its slot of rank 0's shared memory and arrives on rank 0's partials_full[r - 1]
  // (release); rank 0 waits for each (acquire) and adds the slots in rank order (the same bits on
  // every run), then frees them by arriving on each other block's partials_empty, which those wait
  // on before their next tile's stores. True in rank 0, which goes on to the epilogue.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static bool hand_over(float (&acc)[acc_count], std::uint32_t slots,
                                                          std::uint32_t partials_full, std::uint32_t partials_empty,
                                                          int rank, int t, ring_position<1>& handoff) {
    const int phase = handoff.phase;
    handoff.advance();
    if (rank > 0) {
      sm90::mbarrier_wait<sm90::barrier_scope::cluster>(partials_empty, phase ^ 1);  // acquires rank 0's reads (its arrival releases them)
      const std::uint32_t slot = sm90::cluster_address(slots + 4u * ((rank - 1) * acc_count * 128 + t), 0);
#pragma unroll
      for (int i = 0; i < acc_count; ++i) sm90::store_cluster_f32(slot + 4u * i * 128, acc[i]);
      sm90::mbarrier_arrive_cluster(sm90::cluster_address(partials_full + 8u * (rank - 1), 0));
      return false;
    }
    for (int r = 1; r < Shape::cluster_k; ++r) {
      sm90::mbarrier_wait<sm90::barrier_scope::cluster>(partials_full + 8u * (r - 1), phase);
#pragma unroll
      for (int i = 0; i < acc_count; ++i)
        acc[i] += sm90::load_shared_f32(slots + 4u * (((r - 1) * acc_count + i) * 128 + t));
    }
    // Each thread releases its own reads to every other block (not one thread after a barrier: a
    // release by one thread orders the others' reads only through the barrier's cumulativity, which
    // compute-sanitizer's racecheck does not follow across blocks).
    for (int r = 1; r < Shape::cluster_k; ++r) sm90::mbarrier_arrive_cluster(sm90::cluster_address(partials_empty, r));
    return true;
  }

  // Global split, at the end of a tile, in the block's first consumer group (128 threads): store
  // the sums into this block's slot of the tile, count the block on the tile's counter, and, in the
  // block that counts last, add every slot in rank order (so the bits do not depend on which block
  // is last) and reset the counter for the next launch. True in that block, which writes the tile.
  // Ordering as in CUDA's threadfence reduction: each thread's stores, its fence, a barrier, then one
  // thread's atomic; the last block reads the slots from L2 (ld.global.cg) after its own fence.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static bool hand_over_global(float (&acc)[acc_count], const Args& p, int tile,
                                                                 int m0, int rank, int t, int* last) {
    constexpr int split = Shape::cluster_k, barrier = 12;
    unsigned* counter = static_cast<unsigned*>(p.workspace) + tile;
    float* slots = reinterpret_cast<float*>(static_cast<std::uint8_t*>(p.workspace) + wgmma_split_counter_bytes) +
                   static_cast<std::int64_t>(tile) * split * acc_count * 128 + t;
    // Only rows below M travel (a thread holds rows r and r + 8 of the tile): at M = 1 a block moves
    // 512 bytes instead of 16 KiB.
    const int row = m0 + atom::c_coord(t, 0).row;
    const bool lo = row < p.m, hi = row + 8 < p.m;
#pragma unroll
    for (int i = 0; i < acc_count; ++i)
      if ((i / 2) % 2 ? hi : lo) __stcg(slots + (rank * acc_count + i) * 128, acc[i]);
    __threadfence();
    sm90::named_barrier(barrier, 128);
    if (t == 0) {
      const bool counted_last = atomicAdd(counter, 1u) == split - 1;
      if (counted_last) {
        __threadfence();
        *counter = 0u;  // every block of the tile has counted
      }
      *last = counted_last;
    }
    sm90::named_barrier(barrier, 128);
    if (!*last) return false;
    if (!lo) return true;  // none of this thread's rows is stored
#pragma unroll
    for (int i = 0; i < acc_count; ++i)
      if ((i / 2) % 2 ? hi : true) acc[i] = __ldcg(slots + i * 128);
    for (int r = 1; r < split; ++r)
#pragma unroll
      for (int i = 0; i < acc_count; ++i)
        if ((i / 2) % 2 ? hi : true) acc[i] += __ldcg(slots + (r * acc_count + i) * 128);
    return true;
  }

  // The epilogue through shared memory: bf16(acc + bias) written into this warpgroup's swizzled
  // 64 × 64 boxes (conflict-free: the 8 rows a store instruction covers land on 8 different 16-byte
  // chunks), then one thread hands the boxes to the tensor store engine, which clips at M and N.
  // The math goes on with the next tile while the store drains; the buffer is reused only after
  // the engine has read it.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void store_through_shared(const Args& p, const float (&acc)[acc_count],
                                                                     std::uint8_t* stage, const CUtensorMap* tma_c,
                                                                     int row_base, int n0, int t, int consumer) {
    if (t == 0) sm90::bulk_wait_read<0>();
    sm90::named_barrier(1 + consumer, 128);
    // 32-bit shared addresses: generic 64-bit pointers would double the registers of the
    // addresses the compiler computes ahead of the stores.
    const std::uint32_t stage_address = sm90::smem_address(stage);
    // Two unrolled loops, so that the one without bias is only converts and stores.
    const auto write = [&](auto with_bias) {
#pragma unroll
      for (int i = 0; i < acc_count; i += 2) {
        const row_col rc = atom::c_coord(t, i);
        float v0 = acc[i], v1 = acc[i + 1];
        if constexpr (decltype(with_bias)::value) {
          const int col = n0 + rc.col;  // columns past N are clipped by the store; no bias read there
          v0 += col < p.n ? to_float(p.bias[col]) : 0.0f;
          v1 += col + 1 < p.n ? to_float(p.bias[col + 1]) : 0.0f;
        }
        const int box = rc.col / Shape::c_box_cols;
        sm90::store_shared_u32(stage_address + box * Shape::c_box_bytes +
                                   swizzled_offset(rc.row, (rc.col % Shape::c_box_cols) * 2),
                               pack_bf16x2(v0, v1));
      }
    };
    if (p.bias != nullptr) {
      write(std::true_type{});
    } else {
      write(std::false_type{});
    }
    sm90::fence_proxy_async();
    sm90::named_barrier(1 + consumer, 128);
    if (t == 0) {
#pragma unroll
      for (int box = 0; box < Shape::block_n / Shape::c_box_cols; ++box)
        if (n0 + box * Shape::c_box_cols < p.n)
          sm90::tma_store_2d(tma_c, stage + box * Shape::c_box_bytes, n0 + box * Shape::c_box_cols, row_base);
      sm90::bulk_commit();
    }
  }

  // bf16(acc + bias), one rounding; register pairs (i, i+1) are adjacent columns of one row.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void epilogue(const Args& p, const float (&acc)[acc_count], int row_base,
                                                         int n0, int t) {
    const bool pairs_aligned = (reinterpret_cast<std::uintptr_t>(p.c) % 4 == 0) && (p.ldc % 2 == 0);
    // Tiles that always store from here (the 16- and 32-column ones), with the tile's columns
    // inside N, aligned pairs and no bias: per pair a packed convert and a store under the row's
    // test, no branches. The general loop below branches per pair; in the lone warp that stores a
    // decode tile's rows that took ~200 cycles a pair (64x32 tiles at M = 16 on the H100: ~1.6 K
    // cycles after the last multiply; 4096x7168 at M = 1 / 16 / 64 13.55 / 14.35 / 14.90 -> 13.24 /
    // 13.86 / 14.40 µs). Not in the tiles that stage their stores (this loop is their fallback for
    // an unaligned C): there the extra code cost 1-2 % (32768x512 at M <= 128).
    if constexpr (!Shape::staged_store) {
      if (pairs_aligned && p.bias == nullptr && n0 + Shape::block_n <= p.n) {
#pragma unroll
        for (int i = 0; i < acc_count; i += 2) {
          const row_col rc = atom::c_coord(t, i);
          const int row = row_base + rc.row;
          if (row < p.m)
            *reinterpret_cast<std::uint32_t*>(p.c + static_cast<std::int64_t>(row) * p.ldc + n0 + rc.col) =
                pack_bf16x2(acc[i], acc[i + 1]);
        }
        return;
      }
    }
#pragma unroll
    for (int i = 0; i < acc_count; i += 2) {
      const row_col rc = atom::c_coord(t, i);
      const int row = row_base + rc.row, col = n0 + rc.col;
      if (row >= p.m || col >= p.n) continue;
      float v0 = acc[i], v1 = acc[i + 1];
      bfloat16* out = p.c + static_cast<std::int64_t>(row) * p.ldc + col;
      if (col + 1 < p.n) {
        if (p.bias != nullptr) v0 += to_float(p.bias[col]), v1 += to_float(p.bias[col + 1]);
        if (pairs_aligned) {
          vec<bfloat16, 2> v;
          to_bfloat16x2(v0, v1, v[0], v[1]);
          v.store(out);
        } else {
          to_bfloat16x2(v0, v1, out[0], out[1]);
        }
      } else {
        if (p.bias != nullptr) v0 += to_float(p.bias[col]);
        out[0] = to_bfloat16(v0);
      }
    }
  }
};

// The body waits for the previous grid itself (its producer copies B first when allowed, see run).
template <class Shape, class Args>
__global__ void __launch_bounds__(Shape::threads, 1)
    block_scale_gemm_wgmma_kernel(const __grid_constant__ CUtensorMap tma_a, const __grid_constant__ CUtensorMap tma_b,
                                  const __grid_constant__ CUtensorMap tma_c, const __grid_constant__ CUtensorMap tma_sa,
                                  const __grid_constant__ CUtensorMap tma_a_tail,
                                  const __grid_constant__ CUtensorMap tma_sa_tail, int a_rows, int a_tail_rows,
                                  bool tma_store, bool copy_scales, bool weights_first, int group_m,
                                  const Args args) {
  kernel_body<arch::sm90, grid_wait::in_body>([&] {
    block_scale_gemm_wgmma<Shape, Args>::run(&tma_a, &tma_b, &tma_c, &tma_sa,
                                             wgmma_a_boxes{&tma_a_tail, &tma_sa_tail, a_rows, a_tail_rows}, tma_store,
                                             copy_scales, weights_first, group_m, args);
  });
}

}  // namespace gemm
}  // namespace hipfuse
#endif
