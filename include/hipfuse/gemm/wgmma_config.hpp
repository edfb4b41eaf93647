// Which wgmma tile shape the sm90 GEMM launcher runs for a problem (block_scale_gemm_wgmma.hpp
// has the shapes). Plain host code, so the choice is testable on any platform.
#pragma once
#include <cstdint>

namespace hipfuse {
namespace gemm {

enum class wgmma_config { t128x192, t128x128, t128x64, t64x64, t64x32, t64x32_k4, t64x64_c2, t64x64_g4 };

// Estimated time = rounds of tiles over the SMs × the time of one tile relative to 128×128, the
// relative costs measured on the H100 (DeepSeek-V3 shapes, M from 1 to 256: a 128×64 tile takes
// ~0.70 of a 128×128 one, a 64×64 split tile ~0.42, a 64×32 one ~0.45 once its lower efficiency
// counts; a 128×192 tile ~1.65, 1.5x the work at ~0.9 of the rate, so it wins only where it
// saves rounds: 2112×7168 at M = 4096, 352 tiles in 3 rounds against 544 in 5). Wave quantization
// decides much: 7168×16384 at M = 256 runs 112 tiles of 128×128 in one round (70 µs) but 224 of
// 128×64 in two (97 µs).
//
// Long k with few tiles (k >= 4096, 33 to 128 rows, 64×32 tiles in one round) takes 64×32 tiles with
// four consumer warpgroups splitting the k blocks: the tile's chain of 56 blocks, not the memory,
// bounded those (2112×7168 at M = 64 / 128: 13.2 / 13.6 µs on the best two-way split, 11.6 / 11.7 with
// four; 4096×7168 at M = 64: 15.8 → 15.1). At M <= 16 and with two rounds of tiles the four-way split
// was slower. Short k (k < 1024, fewer than 8 blocks, which the split tiles would deal out one or two
// per warpgroup) keeps to the whole-k tiles: 32768×512 at M = 1 / 16 / 32 / 64 took 10.6 / 10.4 / 10.9 /
// 11.6 µs in 128×128 tiles against 10.9 / 11.4 / 11.5 / 12.1 in 64×64 split ones (interleaved samples).
//
// Decode with long k (k >= 4096) takes 64×64 tiles whose k blocks the two blocks of a cluster share
// (clusters2: how many clusters of two run at once; 0 = none, the rule does not apply): up to 16 rows,
// or, where the tiles fill at most half the clusters (N = 2112), from 2 to 32 rows. Interleaved samples
// on the H100, µs, split tile → cluster: 4096×7168 at M = 1 18.8–19.7 → 16.7–18.3, 7168×16384 at
// M = 1 / 16 50.6–51.1 / 50.3–50.5 → 47.2–48.5 / 46.2–47.3, 2112×7168 at M = 4 / 32 14.3–14.8 /
// 13.2–13.3 → 13.2–14.5 / 11.8–12.7. Not taken: 2112×7168 at M = 1 (a wash from a cold start, 14.8 →
// 16.2 right after 3 s of GEMM load), 4096×7168 at M = 32 (15.4–15.6 → 15.6–16.4), short k
// (24576×1536, 7168×2048: 20–40 % slower) and M >= 64. Clusters of four held 30 tiles at once
// (120 of 132 SMs: not every GPC has a multiple of four), too few for N = 2112's 33.
//
// With a workspace (split_workspace: the caller gave one large enough), decode with long k where four
// blocks per 64×64 tile still fit the SMs at once (k >= 4096, up to 32 rows, 4 · tiles <= SMs: N = 2112)
// splits each tile's k blocks over four ordinary blocks that hand their sums over in global memory.
// Interleaved samples on the H100, 2112×7168, µs, pick before → four blocks: M = 1 14.16 → 12.07,
// M = 4 13.61 → 11.52, M = 16 12.83 → 11.35, M = 32 12.47 → 11.56; at M = 64 slower (11.89 against
// the four-warpgroup 64×32 tiles' 11.45), with short k slower (2112×1536: 7.0 against 5.4), and two
// blocks per tile on 4096×7168 within 3 % of the pick.
// k = 0: not known; none of these rules applies.
inline wgmma_config pick_wgmma_config(int m, int n, int sms, int k = 0, int clusters2 = 0,
                                      bool split_workspace = false) {
  const std::int64_t tiles_64x32 = static_cast<std::int64_t>((m + 63) / 64) * ((n + 31) / 32);
  if (k >= 4096 && m > 32 && m <= 128 && tiles_64x32 <= sms) return wgmma_config::t64x32_k4;
  const std::int64_t tiles_64x64 = static_cast<std::int64_t>((m + 63) / 64) * ((n + 63) / 64);
  if (split_workspace && k >= 4096 && m <= 32 && 4 * tiles_64x64 <= sms) return wgmma_config::t64x64_g4;
  const bool few_tiles = 2 * tiles_64x64 <= clusters2;  // they fill at most half the clusters
  if (k >= 4096 && clusters2 > 0 && (few_tiles ? m >= 2 && m <= 32 : m <= 16)) return wgmma_config::t64x64_c2;
  struct candidate {
    wgmma_config config;
    int block_m, block_n;
    double cost;
  };
  constexpr candidate candidates[] = {{wgmma_config::t128x192, 128, 192, 1.65},
                                      {wgmma_config::t128x128, 128, 128, 1.0},
                                      {wgmma_config::t128x64, 128, 64, 0.70},
                                      {wgmma_config::t64x64, 64, 64, 0.42},
                                      {wgmma_config::t64x32, 64, 32, 0.45}};
  wgmma_config best = wgmma_config::t128x128;
  double best_time = 0;
  const bool short_k = k > 0 && k < 1024;
  for (const candidate& c : candidates) {
    if (short_k && c.block_m == 64) continue;  // the split tiles
    const std::int64_t tiles =
        static_cast<std::int64_t>((m + c.block_m - 1) / c.block_m) * ((n + c.block_n - 1) / c.block_n);
    const double time = static_cast<double>((tiles + sms - 1) / sms) * c.cost;
    if (best_time == 0 || time < best_time) best = c.config, best_time = time;
  }
  return best;
}

}  // namespace gemm
}  // namespace hipfuse
