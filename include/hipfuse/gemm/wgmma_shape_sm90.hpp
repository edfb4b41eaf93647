// The tile shapes of the Hopper block-scale GEMM (backend::wgmma_e4m3, sm_90a): the compile-time
// parameters of block_scale_gemm_wgmma.hpp's kernel (rows, columns, stages, k splits, partial
// accumulators, shared-memory layout, register split) and the configurations pick_wgmma_config
// (wgmma_config.hpp) chooses from.
#pragma once
#include <cstdint>
#include "../config.hpp"

#if defined(HIPFUSE_PLATFORM_CUDA)
#include "atom_wgmma_sm90.hpp"
#include "tile_config.hpp"

namespace hipfuse {
namespace gemm {


// BlockM = 64 · row groups; BlockN = the wgmma n; Stages shared-memory slabs; KSplit consumer
// warpgroups per row group, each taking every KSplit-th 128-k block of the tile and adding their
// sums through shared memory at the end (decode tiles: a lone warpgroup per SM would leave the
// SM's weight stream waiting on one chain of multiply latencies). Partials: fp32 partial
// accumulators per consumer (1: each block's multiplies, then its promotion, while the other
// consumer's multiplies run; 2: block j's multiplies also run while this consumer promotes block j-1
// from the other one). ClusterK: blocks sharing each tile, each taking a contiguous 1/ClusterK of
// its 128-k blocks. Handoff says how their sums meet. split_handoff::cluster: the blocks form a
// thread-block cluster; the others store their sums into rank 0's shared
// memory, which adds them in rank order and writes the tile (decode with long k, where a tile's
// chain of k blocks is long and the tiles would leave SMs idle: N = 2112 makes 33 tiles of 64×64).
// split_handoff::global: ordinary blocks (no cluster, so no co-scheduling limit); each stores its
// fp32 sums into its slot of a workspace in global memory and counts itself on the tile's counter;
// the block that counts last adds all slots in rank order (the same bits whichever block is last),
// writes the tile and resets the counter. Decode with few tiles: N = 2112 makes 33 tiles of 64×64,
// each streaming 64 × K bytes of weights through one SM at ~40 GB/s (the H100); four blocks per
// tile put 132 SMs on the stream.
enum class split_handoff { cluster, global };
// The workspace of a global split starts with this many tile counters (the split serves few tiles).
inline constexpr std::int64_t wgmma_split_max_tiles = 4096;
inline constexpr std::int64_t wgmma_split_counter_bytes = wgmma_split_max_tiles * 4;

template <int BlockM, int BlockN, int Stages, int KSplit = 1, int Partials = 2, int ClusterK = 1,
          split_handoff Handoff = split_handoff::cluster>
struct wgmma_shape {
  static_assert(Partials == 1 || Partials == 2, "one or two partial accumulators");
  static constexpr int partials = Partials;
  static_assert(BlockM == 64 || BlockM == 128 || (BlockM == 192 && BlockN <= 128 && KSplit == 1 && Partials == 1),
                "one or two row groups of 64 rows, or three (192 rows) with whole k, one partial and BlockN <= 128");
  static_assert(BlockN == 16 || BlockN == 32 || BlockN == 64 || BlockN == 128 || BlockN == 192,
                "block_n is a wgmma n with a wrapper (16, 32, 64, 128, 192)");
  // The 128-column B scale blocks a tile's columns fall in: one for BlockN <= 128 (a tile lies inside
  // one), two for 192 (tiles start at multiples of 192, so block boundaries fall 128 or 64 columns in).
  static constexpr int b_scale_blocks = BlockN <= scale_block ? 1 : 2;
  static_assert(BlockN <= scale_block ? scale_block % BlockN == 0 : (KSplit == 1 && Partials == 1),
                "192-column tiles: whole k, one partial (main + partial accumulators fill the registers)");
  static_assert(KSplit == 1 || ((KSplit == 2 || KSplit == 4) && BlockM == 64 && Partials == 2),
                "the k split is for 64-row tiles, by two or four, with two partials (one partial with a "
                "k split was slower on the H100, and 64x64 tiles split four ways that way faulted once)");
  static_assert(ClusterK == 1 || ((ClusterK == 2 || ClusterK == 4) && BlockM == 64 && KSplit == 2),
                "a k split across a cluster of two or four blocks, for 64-row tiles split two ways inside each");
  using atom = atom_wgmma_m64k32<BlockN>;
  static constexpr int block_m = BlockM, block_n = BlockN, block_k = scale_block, stages = Stages;
  static constexpr int row_groups = BlockM / 64, k_split = KSplit, cluster_k = ClusterK;
  // The blocks of a tile meet through a cluster's shared memory, or through a global workspace.
  static constexpr bool global_split = ClusterK > 1 && Handoff == split_handoff::global;
  static constexpr bool cluster_split = ClusterK > 1 && !global_split;
  static constexpr int consumers = row_groups * KSplit;
  static constexpr int threads = 128 * (consumers + 1);
  static constexpr int a_bytes = BlockM * block_k, b_bytes = BlockN * block_k;
  static constexpr int stage_bytes = a_bytes + b_bytes;
  // Per stage, after all tiles, when the scales come by copy: the block's BlockM A scales and
  // the 16 bytes (4 k blocks) holding its B scale. Only whole-k tiles take them: measured on the
  // H100, the two extra copies per stage slowed the k-split decode tiles (2112×7168 at M = 128:
  // 16.2 -> 20.3 µs), whose consumers' scale loads hide behind the weight stream anyway.
  static constexpr bool scales_in_stages = KSplit == 1;
  // 64×32 tiles split four ways take fp32 scales into the stages' slots from a warp of the producer
  // warpgroup instead (block_scale_gemm_wgmma::copy_scales_by_warp); their consumers then read
  // them from shared memory, not from global memory at every k block. On the H100, interleaved
  // against the loads from global memory (µs, the same bits): 4096×7168 at M = 16 / 32 / 64 13.98 /
  // 13.96 / 14.49 -> 13.55 / 13.61 / 13.92 (with programmatic dependent launch 12.74 / 12.92 / 13.38
  // -> 12.37 / 12.41 / 12.74), M = 1 level; 2112×7168 at M = 128 (also these tiles) 11.07 -> 10.90,
  // but 10.49 -> 10.78 with programmatic dependent launch. Not on the other k-split tiles: 64×16 on
  // 2112×7168 was 1-2 % slower at M = 1 / 16 and 1-3 % faster at 64, and 64×64 split two ways
  // (7168×16384) 0.6-3 % slower, its producer warpgroup spilling at 40 registers.
  static constexpr bool scales_by_warp = KSplit == 4 && BlockN == 32;
  // Slots of 128 bytes (the A scales come by tensor copy, whose destination is 128-byte aligned).
  static constexpr bool has_scale_slots = scales_in_stages || scales_by_warp;
  static constexpr int a_scale_bytes = has_scale_slots ? BlockM * 4 : 0;
  static constexpr int scale_bytes = has_scale_slots ? (a_scale_bytes + 16 * b_scale_blocks + 127) / 128 * 128 : 0;
  // Whether the producer may copy its first B slabs before the previous grid is done (programmatic
  // dependent launch, see block_scale_gemm_wgmma::run). Not on 64×16 tiles: chained to group_quant
  // (fp8_linear, 2112x7168) they took 12.4 µs at M = 1 and 12.5 at M = 16 with the weights first,
  // 11.5 and 11.6 without, 11.9 and 12.1 unchained (H100, interleaved; eight stages ahead instead of
  // two: 12.2 and 12.3).
  // Elsewhere the same chains were level within 0.5 % with or without (4096x7168, 7168x2048,
  // 7168x16384 at M = 1-64). The 64-row tiles with one consumer keep it: chained to group_quant
  // the two were within 0.8 % at M <= 64 and the weights first cost up to 5 % at M = 128 (4096x7168
  // 17.8 against 16.9 µs), but GEMMs chained to GEMMs (bench_gemm's PDL column) lost 5-12 % without
  // it (32768x512 at M = 16 / 64: 7.7 / 8.5 µs with, 8.7 / 9.5 without; 7168x2048 at M = 16 7.0 / 7.6).
  static constexpr bool copies_weights_first = BlockN > 16;
  // The epilogue stages each consumer's 64 × BlockN bf16 result in shared memory for a tensor
  // store, in boxes of 64 × 64 (128-byte rows, the same swizzle); n = 32 tiles store directly.
  static constexpr bool staged_store = BlockN >= 64;
  static constexpr int c_box_cols = 64;
  static constexpr int c_box_bytes = 64 * c_box_cols * 2;
  static constexpr int c_bytes = staged_store ? row_groups * (BlockN / c_box_cols) * c_box_bytes : 0;
  // fp32 sums of the k groups past the first, [group][register][thread] (conflict-free).
  static constexpr int reduce_bytes = row_groups * (KSplit - 1) * 64 * BlockN * 4;
  // fp32 sums of the cluster's other blocks, [rank - 1][register][thread], read in rank 0.
  static constexpr int cluster_bytes = cluster_split ? (ClusterK - 1) * 64 * BlockN * 4 : 0;
  // Global split: each tile's slots in the workspace, [rank][register][thread] fp32.
  static constexpr std::int64_t workspace_tile_bytes = global_split ? std::int64_t{ClusterK} * 64 * BlockN * 4 : 0;
  // + 1 KiB: dynamic shared memory is only 16-byte aligned; the swizzled tiles need 1024.
  static constexpr int shared_bytes =
      stages * (stage_bytes + scale_bytes) + c_bytes + reduce_bytes + cluster_bytes + 1024;
  static_assert(shared_bytes <= 227 * 1024, "the stages fit the 227 KiB a Hopper block can opt into");
  static_assert(a_bytes % 1024 == 0 && b_bytes % 1024 == 0, "every tile stays 1024-byte aligned");
  // Registers per thread after setmaxnreg: the producer needs few, consumers hold two N/2-float
  // accumulators. Totals stay within the 64 K registers of an SM (three consumers: 160 each, with
  // 32 for the producer, where ptxas keeps 128×128's one-partial loop without spilling).
  static constexpr int producer_registers = consumers == 3 ? 32 : 40;
  static constexpr int consumer_registers = consumers == 4 ? 104 : consumers == 3 ? 160 : consumers == 2 ? 232 : 240;
  // setmaxnreg only moves registers within the block's allocation, which is the compiled count (at
  // most 64 K / threads, in steps of 8) times the threads: asking for more blocks the warpgroup forever.
  static constexpr int allocated_registers = (65536 / threads) / 8 * 8;
  static_assert(128 * producer_registers + 128 * consumers * consumer_registers <= threads * allocated_registers,
                "the warpgroups' registers fit the block's allocation");
  // One consumer (256 threads) has up to 255 registers per thread without moving any: the move
  // would only put setmaxnreg on the producer's way to its first copies.
  static constexpr bool moves_registers = consumer_registers > allocated_registers;
};

// The configurations, picked per problem by pick_wgmma_config (wgmma_config.hpp). Large: two consumer
// warpgroups on 128×128 tiles, five 32 KiB stages (with their scales) and 32 KiB for the epilogue. Narrower tiles make
// more of them when 128×128 would leave SMs idle, and decode tiles (64 rows) split each tile's k
// blocks over two warpgroups; the deeper rings keep more of the weight stream in flight per SM.
// One partial accumulator on 128×128 (its two consumers keep the tensor cores busy between them):
// on the H100 at M = 4096, 5-16 % faster than two (32768×512: 277 -> 231 µs, 7168×16384: 1021 ->
// 941 µs), and at every M from 1 to 256 no slower. The narrower tiles keep two: one was 0-10 %
// slower on 128×64 at M = 4096 and 10-25 % slower on the k-split tiles at M >= 64.
using wgmma_shape_128x128 = wgmma_shape<128, 128, 5, 1, 1>;
// 128×192: fewer rounds where N is not a multiple of 128 tiles per SM count (2112×7168 at M = 4096:
// 119 against 135 µs on the H100); per tile ~0.9 of 128×128's rate (four 40 KiB stages, the B scales
// of two 128-column blocks). Same bits as 128×128.
using wgmma_shape_128x192 = wgmma_shape<128, 192, 4, 1, 1>;
using wgmma_shape_128x64 = wgmma_shape<128, 64, 8>;
// 192×128: prefill where A outgrows the L2 (pick_wgmma_config). Three consumer warpgroups share each
// B slab: per 128-k block a tile reads (192 + 128) × 128 operand bytes for 192 × 128 outputs, 1.67
// bytes per output against 128×128's 2.0. Four 40 KiB stages (with their scales) and 48 KiB for
// the epilogue. Same bits as 128×128.
using wgmma_shape_192x128 = wgmma_shape<192, 128, 4, 1, 1>;
using wgmma_shape_64x64 = wgmma_shape<64, 64, 12, 2>;
using wgmma_shape_64x32 = wgmma_shape<64, 32, 17, 2>;
// Decode up to 128 rows (see pick_wgmma_config): 64-row tiles whose one consumer takes every k block,
// with the scales in the stages (eight 24 KiB stages of 64x128, twelve 16 KiB ones of 64x64). Where
// the weight stream is the bound, a second consumer per row group only added its hand-over: on the
// H100 7168x2048 at M = 16 took 8.2 µs in these 64x64 tiles against 8.7 with the k split two ways.
using wgmma_shape_64x128 = wgmma_shape<64, 128, 8, 1, 2>;
using wgmma_shape_64x64_k1 = wgmma_shape<64, 64, 12, 1, 2>;
// Long k, few tiles: four consumer warpgroups share a 64×32 tile's k blocks (104 registers each).
using wgmma_shape_64x32_k4 = wgmma_shape<64, 32, 15, 4>;
// The same for decode on narrow N: 64×16 tiles (N = 2112 makes 132), twenty 10 KiB stages. At M <= 64
// a stage holds only M rows of A (see block_scale_gemm_wgmma_launch.hpp), so the ring carries
// 40 KiB of weights in flight.
using wgmma_shape_64x16_k4 = wgmma_shape<64, 16, 20, 4>;
// Decode with long k: 64×64 tiles whose k blocks the two blocks of a cluster share, each block's
// two consumers alternating over its half; the slot for the other block's sums takes a stage's room.
using wgmma_shape_64x64_c2 = wgmma_shape<64, 64, 11, 2, 2, 2>;

// Decode with long k and few tiles: 64×64 tiles whose k blocks four ordinary blocks share through
// a global workspace (N = 2112: 33 tiles on 132 SMs).
using wgmma_shape_64x64_g4 = wgmma_shape<64, 64, 12, 2, 2, 4, split_handoff::global>;

// The workspace a global k split needs for an M × N output: one counter per tile at the start (a
// fixed area of wgmma_split_max_tiles counters, zero before the first launch and left zero by every
// launch, so GEMMs of any shape can take turns with one workspace), then the tiles' slots. 0 for
// other shapes or more tiles than the counters cover.
template <class Shape>
constexpr std::int64_t wgmma_split_workspace_bytes(std::int64_t m, std::int64_t n) {
  if constexpr (!Shape::global_split) {
    (void)m, (void)n;
    return 0;
  } else {
    const std::int64_t tiles = ((m + Shape::block_m - 1) / Shape::block_m) * ((n + Shape::block_n - 1) / Shape::block_n);
    return tiles > wgmma_split_max_tiles ? 0 : wgmma_split_counter_bytes + tiles * Shape::workspace_tile_bytes;
  }
}

}  // namespace gemm
}  // namespace hipfuse
#endif
