// Which wgmma tile shape the sm90 GEMM launcher runs for a problem (block_scale_gemm_wgmma.hpp
// has the shapes). Plain host code, so the choice is testable on any platform.
#pragma once
#include <cstdint>

namespace hipfuse {
namespace gemm {

enum class wgmma_config { t128x192, t128x128, t128x64, t64x64, t64x32, t64x32_k4 };

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
// k = 0: not known; neither rule applies.
inline wgmma_config pick_wgmma_config(int m, int n, int sms, int k = 0) {
  const std::int64_t tiles_64x32 = static_cast<std::int64_t>((m + 63) / 64) * ((n + 31) / 32);
  if (k >= 4096 && m > 32 && m <= 128 && tiles_64x32 <= sms) return wgmma_config::t64x32_k4;
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
