// The order in which a persistent GEMM's blocks take its output tiles. Plain host/device code, so
// the walk is testable on any platform.
#pragma once
#include "../config.hpp"

namespace hipfuse {
namespace gemm {

// Tile t of a tiles_m × tiles_n grid of output tiles, in bands of group_m row tiles: inside a
// band rows run fastest, then columns; the bands follow one another (the last may be narrower).
// Blocks that run together take consecutive t, so they cover group_m rows × about grid / group_m
// columns of tiles: the A rows and B columns they read at the same time, and again in the next
// round, stay few enough for L2. With group_m >= tiles_m this is the plain column-by-column order.
struct grouped_tile_walk {
  int tiles_m, tiles_n, group_m;

  struct tile_coord {
    int m, n;  // the tile's row and column (in tiles)
  };
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE int tiles() const { return tiles_m * tiles_n; }
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE tile_coord at(int t) const {
    // One band: the plain order by the plain arithmetic. The band's divisions sit at the start of
    // every tile, where decode tiles on the H100 lost 1-4 % to them (2112x7168 at M = 1: 9.86 ->
    // 10.24 µs); with this test first, 0-1 %.
    if (group_m >= tiles_m) return {t % tiles_m, t / tiles_m};
    const int band_tiles = group_m * tiles_n;
    const int band = t / band_tiles, in_band = t - band * band_tiles;
    const int first_row = band * group_m;
    const int rows = tiles_m - first_row < group_m ? tiles_m - first_row : group_m;
    return {first_row + in_band % rows, in_band / rows};
  }
};

}  // namespace gemm
}  // namespace hipfuse
