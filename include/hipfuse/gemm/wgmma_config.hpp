// Which wgmma tile shape the sm90 GEMM launcher runs for a problem (wgmma_shape_sm90.hpp has
// the shapes). Plain host code, so the choice is testable on any platform.
#pragma once
#include <cstdint>

namespace hipfuse {
namespace gemm {

// Whether A (a_bytes: M×K of fp8) takes more than 0.6 of the L2 (l2_bytes; 0: not known), where
// the tiles walk in bands and the prefill tiles grow to 192 rows (below).
inline bool a_outgrows_l2(std::int64_t a_bytes, std::int64_t l2_bytes) {
  return l2_bytes > 0 && 5 * a_bytes > 3 * l2_bytes;
}

enum class wgmma_config {
  t192x128,
  t128x192,
  t128x128,
  t128x64,
  t64x64,
  t64x32,
  t64x32_k4,
  t64x16_k4,
  t64x64_c2,
  t64x64_g4,
  t64x128,
  t64x64_k1
};

// Estimated time = rounds of tiles over the SMs × the time of one tile relative to 128×128, the
// relative costs measured on the H100 (DeepSeek-V3 shapes, M from 1 to 256: a 128×64 tile takes
// ~0.70 of a 128×128 one, a 64×64 split tile ~0.42, a 64×32 one ~0.45 once its lower efficiency
// counts; a 128×192 tile ~1.65, 1.5x the work at ~0.9 of the rate, so it wins only where it
// saves rounds: 2112×7168 at M = 4096, 352 tiles in 3 rounds against 544 in 5). 128×64 counts
// 0.75: with many rounds (prefill) it took 0.78 / 0.88 of a 128×128 tile's time on 2112×7168 at
// M = 1024 / 2048, where 192×128 tiles now take one round against two and two against four (32.6
// / 64.9 µs against 34.6 / 84.3); up to 256 rows it never has the rounds for 0.75 to matter.
// Wave quantization decides much: 7168×16384 at M = 256 runs 112 tiles of 128×128 in one round
// (70 µs) but 224 of 128×64 in two (97 µs).
//
// Long k with few tiles: whole-k tiles of 64 rows whose k blocks four consumer warpgroups of the
// block share (no hand-over between blocks), the narrowest of 64x16 (up to 64 rows) and 64x32 (up
// to 128) that fills more than half the SMs in one round. Interleaved samples on the H100, µs,
// once the tensor copies of A stopped filling rows past M (block_scale_gemm_wgmma_launch.hpp):
// 2112x7168 at M = 1 / 4 / 16 / 32 / 64 takes 10.5 / 9.8 / 10.1 / 10.2 / 10.5 in 64x16 tiles
// against 10.9 / 10.7 / 11.0 / 11.2 / 11.2 for the previous pick (four blocks per tile through the
// workspace, or 64x32 split four ways from 33 rows); 4096x7168 at M = 1 / 16 / 32 13.5 / 14.5 /
// 14.5 in 64x32 ones against 15.5 / 16.2 / 14.9 (cluster split; 64x64). The rule from before stays
// for 33 to 128 rows and fewer tiles: 2112x7168 at M = 64 / 128 had taken 13.2 / 13.6 µs on the
// best two-way split, 11.6 / 11.7 with four.
//
// Where even 64x16 tiles fill at most half the SMs (N <= 1056), decode with long k splits each
// tile across blocks: with a workspace (split_workspace: the caller gave one large enough) over
// four ordinary blocks per 64x64 tile that hand their sums over in global memory (4 · tiles <=
// SMs, up to 32 rows), else over the two blocks of a cluster (clusters2: how many clusters of two
// run at once; 0 = none) where the tiles fill at most half the clusters, from 2 to 32 rows. Both
// were measured on N = 2112 before the change to A's copies, where they beat the tiles of that
// time by 5-15 %; on the DeepSeek shapes the block-local split is now faster (7168x16384 at M = 1 /
// 16: 42.9 / 43.3 µs in 64x64 tiles against 46.4 / 46.6 on the cluster split).
//
// Otherwise, up to 128 rows (one or two row tiles of 64) with k known, where k is short or the
// 64x64 tiles fill more than half the SMs: 64-row tiles whose one consumer takes every k block,
// the scales riding in the stages (64x128 or 64x64, the one whose busiest SM streams fewer weight
// rows: rounds of tiles × columns; a tie goes to the wider tile). On the H100 (interleaved, 10
// shapes × M = 1-128) these beat the previous picks by up to 11 %: 32768x512 at M = 1 / 16 / 64
// 9.0 / 9.2 / 10.2 µs in 64x128 tiles against 9.8 / 9.9 / 10.8 in 128x128; 7168x2048 7.9 / 8.2 /
// 8.6 in 64x64 against 8.5 / 8.7 / 9.1 with the k split two ways; 24576x1536 at M = 128 18.3 in
// 64x128 against 20.3 in 128x192; 4096x7168 at M = 128 14.9 in 64x64 against 16.3. From k = 8192
// the 64x64 tiles keep the two-way split, which gives a tile's long chain of k blocks two
// warpgroups (7168x16384 at M = 1 / 64: 43.0 / 44.5 against 43.4 / 45.9), and above 64 rows the
// estimate below decides (128x64 on 7168x16384): two row tiles of 64 read each weight twice, which
// costs little while their blocks run side by side (46.5 µs in 64x128 tiles against 46.7 in 128x64
// at M = 128) but more when chained to group_quant by programmatic dependent launch, where the
// blocks start as the quantizer's leave: fp8_linear chained at M = 80 / 96 / 128 took 51.9 / 52.3 /
// 53.9 µs in 64x128 tiles against 49.4 / 50.1 / 51.1 in 128x64 (unchained 49.9 / 50.7 / 51.7
// against 50.5 / 51.4 / 52.5; interleaved).
// With long k (>= 4096), where the chosen 64-row tile needs more than one round, a 128-row tile
// that covers the problem in one round (128x128, else 128x192) comes first. On the H100
// (interleaved): 18432x7168 at M = 1 / 64 / 128 50.6 / 51.0 / 53.4 µs in 128x192 against 53.2 /
// 55.8 / 64.7 in 64x64 (three rounds, the last on 24 SMs), 12288x7168 at M = 96 / 128 36.6 / 37.3
// in 128x128 against 41.3 / 42.3; chained by programmatic dependent launch 6-25 % faster.
// Above 128 rows, short k (k < 1024, fewer than 8 blocks, which the split tiles would deal out one
// or two per warpgroup) keeps to the 128-row tiles in the estimate below. 192x128 tiles enter it
// with k >= 2048 at 1.48 (1.5x the work of 128x128 at ~1.01x its rate): where they save rounds,
// 12288x7168 / 18432x7168 at M = 2048 take 8 / 12 rounds against 12 / 18 (271.6 / 400.9 µs against
// 290.6 / 441.9), 7168x4608 at M = 3072 7 against 11 (158.9 against 175.5); where they do not,
// 7168x2048 at M = 4096 / 8192 (10 / 19 rounds against 14 / 28) ran 3.6 / 2.0 % slower. Shorter k
// loses more per tile (24576x1536 at M = 3072: 24 rounds against 35, 3 % slower).
// Where that estimate takes 128x128 or 128x192 and A outgrows the L2 (l2_bytes, see
// a_outgrows_l2), 192x128 tiles instead: each B slab then feeds 192 rows of A, so a block reads a
// sixth fewer operand bytes per output from the L2 (per 128-k block 1.67 bytes per output against
// 2.0), and the L2 is what bounds these sizes once A streams from memory. On the H100 (samples
// interleaved as 128, 192, 192, 128 so that neither gains from its place in the order; µs,
// 128x128 -> 192x128, the same bits): 7168x16384 at M = 4096 / 8192 / 16384 877 -> 836 / 1891 ->
// 1665 / 3725 -> 3263, 4096x7168 at M = 8192 / 16384 425 -> 416 / 918 -> 826, 2112x7168 250 ->
// 216 / 487 -> 456 (its pick had been 128x192: 463 -> 411 at M = 16384), 7168x2048 at M = 16384
// 441 -> 422. At the threshold, 7168x16384 at M = 2048 (A 34 MB) 379 -> 381. Below it they lose
// 2-12 % (4096x7168 at M = 4096 217 -> 231, 7168x2048 98.8 -> 102.4, 32768x512 137 -> 144-154,
// 24576x1536 at M = 16384 1079 -> 1146: a third row group costs more per tile than the L2 bytes
// it saves while A stays in the L2).
// k = 0: not known; none of these rules applies.
inline wgmma_config pick_wgmma_config(int m, int n, int sms, int k = 0, int clusters2 = 0,
                                      bool split_workspace = false, std::int64_t l2_bytes = 0) {
  const auto tiles = [&](int block_m, int block_n) {
    return static_cast<std::int64_t>((m + block_m - 1) / block_m) * ((n + block_n - 1) / block_n);
  };
  const std::int64_t tiles_64x16 = tiles(64, 16), tiles_64x32 = tiles(64, 32), tiles_64x64 = tiles(64, 64);
  const auto fills_one_round = [&](std::int64_t t) { return 2 * t > sms && t <= sms; };
  if (k >= 4096 && m <= 64 && fills_one_round(tiles_64x16)) return wgmma_config::t64x16_k4;
  if (k >= 4096 && m <= 128 && tiles_64x32 <= sms && (m > 32 || fills_one_round(tiles_64x32)))
    return wgmma_config::t64x32_k4;
  const bool few_tiles = 2 * tiles_64x16 <= sms;
  if (k >= 4096 && few_tiles && m <= 32) {
    if (split_workspace && 4 * tiles_64x64 <= sms) return wgmma_config::t64x64_g4;
    if (m >= 2 && 2 * tiles_64x64 <= clusters2) return wgmma_config::t64x64_c2;
  }
  if (k > 0 && m <= 128 && (k < 4096 || 2 * tiles_64x64 > sms) && (m <= 64 || k < 8192)) {
    const auto rounds = [&](std::int64_t t) { return (t + sms - 1) / sms; };
    const auto busiest_sm_rows = [&](int block_n) { return rounds(tiles(64, block_n)) * block_n; };
    const bool wide = busiest_sm_rows(128) <= busiest_sm_rows(64);
    // Long k where these tiles need more than one round: a 128-row tile that covers the problem
    // in one round instead (the narrower first). The last round of the 64-row tiles runs on few
    // SMs, each streaming at one SM's copy rate, while one round of the 128-row ones keeps most
    // SMs on the weights and reads each weight once at any M up to 128.
    if (k >= 4096 && rounds(tiles(64, wide ? 128 : 64)) > 1) {
      if (tiles(128, 128) <= sms) return wgmma_config::t128x128;
      if (tiles(128, 192) <= sms) return wgmma_config::t128x192;
    }
    if (wide) return wgmma_config::t64x128;
    return k >= 8192 ? wgmma_config::t64x64 : wgmma_config::t64x64_k1;
  }
  struct candidate {
    wgmma_config config;
    int block_m, block_n;
    double cost;
  };
  constexpr candidate candidates[] = {{wgmma_config::t128x192, 128, 192, 1.65},
                                      {wgmma_config::t128x128, 128, 128, 1.0},
                                      {wgmma_config::t192x128, 192, 128, 1.48},
                                      {wgmma_config::t128x64, 128, 64, 0.75},
                                      {wgmma_config::t64x64, 64, 64, 0.42},
                                      {wgmma_config::t64x32, 64, 32, 0.45}};
  wgmma_config best = wgmma_config::t128x128;
  double best_time = 0;
  const bool short_k = k > 0 && k < 1024;
  for (const candidate& c : candidates) {
    if (short_k && c.block_m == 64) continue;  // the split tiles
    if (c.block_m == 192 && k < 2048) continue;
    const double time = static_cast<double>((tiles(c.block_m, c.block_n) + sms - 1) / sms) * c.cost;
    if (best_time == 0 || time < best_time) best = c.config, best_time = time;
  }
  if ((best == wgmma_config::t128x128 || best == wgmma_config::t128x192) &&
      a_outgrows_l2(static_cast<std::int64_t>(m) * k, l2_bytes))
    return wgmma_config::t192x128;
  return best;
}

// How many row tiles a band of the persistent tile walk holds (grouped_tile_walk): every row tile
// (plain column-by-column order) while A (a_bytes, M×K of fp8) takes at most 0.6 of the L2
// (l2_bytes), else bands of 8. Column by column, the blocks running at once read every row of A
// and a few columns of B: B (the weights) streams from memory once while A stays in L2, but once
// A no longer fits, A streams again for every few columns. Bands of 8 read B once per band and
// keep the band's A rows in L2. On the H100 (50 MB of L2; interleaved, µs, column by column ->
// bands of 8): 4096x7168 at M = 8192 / 16384 481 -> 369 / 1314 -> 797, 7168x16384 1967 -> 1652 /
// 5321 -> 3616, 2112x7168 258 -> 226 / 720 -> 439, 7168x2048 at M = 16384 441 -> 387. Below the
// threshold the bands cost up to 10 % where B is large and k short (32768x512 at M = 4096 142 ->
// 157, 24576x1536 at M = 16384 1079 -> 1114: B read once per band) and gained nothing on 4096x7168
// at M = 4096 (A 29 MB: 208 / 208). Bands of 4 and 16 were within a few per cent of 8 above it.
inline int wgmma_group_rows(int tiles_m, std::int64_t a_bytes, std::int64_t l2_bytes) {
  constexpr int band = 8;
  if (tiles_m <= band || !a_outgrows_l2(a_bytes, l2_bytes)) return tiles_m;
  return band;
}

}  // namespace gemm
}  // namespace hipfuse
