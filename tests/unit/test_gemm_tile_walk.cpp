// The persistent GEMM's tile walk (gemm/tile_walk.hpp): every tile exactly once, in bands of
// group_m row tiles taken rows first, against an independent enumeration of that order.
#include <hipfuse/gemm/tile_walk.hpp>
#include <utility>
#include <vector>
#include "test_support.hpp"

using hipfuse::gemm::grouped_tile_walk;

TEST_CASE("grouped tile walk: every tile once, bands of group_m rows, rows fastest", "[gemm]") {
  for (const int tiles_m : {1, 2, 7, 8, 9, 32, 36, 64})
    for (const int tiles_n : {1, 3, 11, 56})
      for (const int group_m : {1, 2, 4, 8, 16, 1000}) {
        INFO("tiles " << tiles_m << " x " << tiles_n << ", bands of " << group_m);
        const grouped_tile_walk walk{tiles_m, tiles_n, group_m};
        REQUIRE(walk.tiles() == tiles_m * tiles_n);
        // The expected order, built band by band: the band's rows for column 0, then column 1, ...
        std::vector<std::pair<int, int>> expected;
        for (int first = 0; first < tiles_m; first += group_m) {
          const int last = first + group_m < tiles_m ? first + group_m : tiles_m;
          for (int n = 0; n < tiles_n; ++n)
            for (int m = first; m < last; ++m) expected.push_back({m, n});
        }
        std::vector<int> seen(static_cast<std::size_t>(tiles_m) * tiles_n, 0);
        bool in_order = true;
        for (int t = 0; t < walk.tiles(); ++t) {
          const auto c = walk.at(t);
          REQUIRE(c.m >= 0);
          REQUIRE(c.m < tiles_m);
          REQUIRE(c.n >= 0);
          REQUIRE(c.n < tiles_n);
          ++seen[static_cast<std::size_t>(c.m) * tiles_n + c.n];
          in_order = in_order && expected[static_cast<std::size_t>(t)] == std::make_pair(c.m, c.n);
        }
        for (const int s : seen) CHECK(s == 1);
        CHECK(in_order);
        // With a band at least as tall as the grid, the plain column-by-column order.
        if (group_m >= tiles_m) {
          bool plain = true;
          for (int t = 0; t < walk.tiles(); ++t)
            plain = plain && walk.at(t).m == t % tiles_m && walk.at(t).n == t / tiles_m;
          CHECK(plain);
        }
      }
}
