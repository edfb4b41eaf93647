// The sm90 wgmma GEMM's tile choice (gemm/wgmma_config.hpp), against the cases measured on the
// H100 that motivated it (docs/gemm-hopper.md): full 128×128 tiles when they fill the GPU, 64-row
// split tiles for decode, and one round of wide tiles over two rounds of narrow ones.
#include <hipfuse/gemm/wgmma_config.hpp>
#include "test_support.hpp"

using hipfuse::gemm::pick_wgmma_config;
using hipfuse::gemm::wgmma_config;

TEST_CASE("wgmma tile choice on a 132-SM H100", "[gemm]") {
  const int sms = 132;
  // Prefill: 128x128 tiles fill every SM several times.
  CHECK(pick_wgmma_config(4096, 7168, sms) == wgmma_config::t128x128);
  CHECK(pick_wgmma_config(4096, 4096, sms) == wgmma_config::t128x128);
  // 7168 columns at M = 256: 112 tiles of 128x128 in one round beat 224 of 128x64 in two.
  CHECK(pick_wgmma_config(256, 7168, sms) == wgmma_config::t128x128);
  // Decode: 64-row tiles (the split-k consumers), never 128 rows for one token.
  for (const int n : {2112, 4096, 7168, 24576, 32768}) {
    INFO("N = " << n);
    const wgmma_config c = pick_wgmma_config(1, n, sms);
    CHECK((c == wgmma_config::t64x64 || c == wgmma_config::t64x32));
  }
  // Narrow N at M = 128: 128-row tiles would occupy 17–33 SMs; 64-row ones more.
  const wgmma_config narrow = pick_wgmma_config(128, 2112, sms);
  CHECK((narrow == wgmma_config::t64x64 || narrow == wgmma_config::t64x32));
}

TEST_CASE("wgmma tile choice scales with the SM count", "[gemm]") {
  // On a GPU with few SMs even small problems fill it with the widest tiles.
  CHECK(pick_wgmma_config(256, 7168, 8) == wgmma_config::t128x128);
}

TEST_CASE("wgmma 128x192 tiles only where they save rounds", "[gemm]") {
  const int sms = 132;
  // 2112 columns at M = 4096: 352 tiles of 128x192 in 3 rounds against 544 of 128x128 in 5.
  CHECK(pick_wgmma_config(4096, 2112, sms) == wgmma_config::t128x192);
  // 7168 = 56 x 128: the same rounds for both (14 against 10 of 1.5x the work): 128x128.
  CHECK(pick_wgmma_config(4096, 7168, sms) == wgmma_config::t128x128);
  CHECK(pick_wgmma_config(4096, 24576, sms) == wgmma_config::t128x128);
  // M = 257, N = 7168: 114 tiles of 128x192 in one round against 168 of 128x128 in two.
  CHECK(pick_wgmma_config(257, 7168, sms) == wgmma_config::t128x192);
}

TEST_CASE("wgmma four-way k split for long k and few tiles", "[gemm]") {
  const int sms = 132, clusters2 = 66;
  // 2112x7168 up to M = 64: 132 tiles of 64x16, one per SM, 56 k blocks each over four warpgroups.
  for (const int m : {1, 4, 16, 32, 64}) {
    INFO("M = " << m);
    CHECK(pick_wgmma_config(m, 2112, sms, 7168, clusters2, true) == wgmma_config::t64x16_k4);
    CHECK(pick_wgmma_config(m, 2112, sms, 7168) == wgmma_config::t64x16_k4);
  }
  // 4096x7168 up to M = 64 and 2112x7168 at M = 128: 128 / 132 tiles of 64x32 (64x16 would take two rounds).
  for (const int m : {1, 16, 64}) {
    INFO("M = " << m);
    CHECK(pick_wgmma_config(m, 4096, sms, 7168, clusters2, true) == wgmma_config::t64x32_k4);
  }
  CHECK(pick_wgmma_config(128, 2112, sms, 7168) == wgmma_config::t64x32_k4);
  // Not with short k, not when the tiles take two rounds, not when k is unknown.
  CHECK(pick_wgmma_config(64, 2112, sms, 2048) != wgmma_config::t64x32_k4);
  CHECK(pick_wgmma_config(16, 2112, sms, 2048) != wgmma_config::t64x16_k4);
  CHECK(pick_wgmma_config(128, 4096, sms, 7168) != wgmma_config::t64x32_k4);
  CHECK(pick_wgmma_config(128, 2112, sms, 7168) != wgmma_config::t64x16_k4);
  CHECK(pick_wgmma_config(64, 7168, sms, 16384) != wgmma_config::t64x32_k4);
  CHECK(pick_wgmma_config(1, 7168, sms, 16384) != wgmma_config::t64x16_k4);
  CHECK(pick_wgmma_config(64, 2112, sms) != wgmma_config::t64x32_k4);
  CHECK(pick_wgmma_config(1, 2112, sms) != wgmma_config::t64x16_k4);
  // Fewer tiles than half the SMs from 33 rows on: still the four-way 64x32 split (N = 1024: 32 tiles).
  CHECK(pick_wgmma_config(64, 1024, sms, 7168) == wgmma_config::t64x32_k4);
}

TEST_CASE("wgmma k split across a cluster of two for decode with long k and very few tiles", "[gemm]") {
  const int sms = 132, clusters2 = 66;
  // N = 1024: 64 tiles of 64x16 fill under half the SMs; 16 tiles of 64x64 fill under half the clusters.
  CHECK(pick_wgmma_config(2, 1024, sms, 7168, clusters2) == wgmma_config::t64x64_c2);
  CHECK(pick_wgmma_config(32, 1024, sms, 7168, clusters2) == wgmma_config::t64x64_c2);
  // Not at one row, not from 33 rows, not with short k, not without clusters, not where the
  // block-local splits fill the GPU (the DeepSeek shapes).
  CHECK(pick_wgmma_config(1, 1024, sms, 7168, clusters2) != wgmma_config::t64x64_c2);
  CHECK(pick_wgmma_config(64, 1024, sms, 7168, clusters2) != wgmma_config::t64x64_c2);
  CHECK(pick_wgmma_config(4, 1024, sms, 2048, clusters2) != wgmma_config::t64x64_c2);
  CHECK(pick_wgmma_config(4, 1024, sms, 7168) != wgmma_config::t64x64_c2);
  for (const int n : {2112, 4096, 7168, 24576, 32768})
    for (const int k : {512, 1536, 2048, 7168, 16384}) {
      INFO("N = " << n << ", K = " << k);
      CHECK(pick_wgmma_config(4, n, sms, k, clusters2) != wgmma_config::t64x64_c2);
      CHECK(pick_wgmma_config(1, n, sms, k, clusters2, true) != wgmma_config::t64x64_g4);
    }
}

TEST_CASE("wgmma 64-row tiles with one consumer for decode up to 128 rows", "[gemm]") {
  const int sms = 132;
  // 32768x512: 256 tiles of 64x128 (two rounds, 256 weight rows on the busiest SM) against 512
  // of 64x64 (four rounds, 256 rows): the tie goes to the wider tile. At 65-128 rows still 64x128.
  for (const int m : {1, 16, 64, 100, 128}) {
    INFO("M = " << m);
    CHECK(pick_wgmma_config(m, 32768, sms, 512) == wgmma_config::t64x128);
  }
  // 7168x2048 and 7168x4096: 112 tiles of 64x64 in one round (64 rows) against 56 of 64x128 (128).
  for (const int k : {2048, 4096})
    for (const int m : {1, 16, 64}) {
      INFO("K = " << k << ", M = " << m);
      CHECK(pick_wgmma_config(m, 7168, sms, k) == wgmma_config::t64x64_k1);
    }
  // Two row tiles: 224 of 64x64 in two rounds (128 rows) against 112 of 64x128 in one (128).
  CHECK(pick_wgmma_config(128, 7168, sms, 2048) == wgmma_config::t64x128);
  // 24576x1536: 384 of 64x64 in three rounds (192 rows) against 192 of 64x128 in two (256).
  CHECK(pick_wgmma_config(16, 24576, sms, 1536) == wgmma_config::t64x64_k1);
  CHECK(pick_wgmma_config(128, 24576, sms, 1536) == wgmma_config::t64x128);
  // Long k: 4096x7168 at 65-128 rows (128 tiles of 64x64, more than half the SMs); below that
  // the four-way 64x32 split comes first. From k = 8192 the 64x64 tiles split k two ways.
  CHECK(pick_wgmma_config(128, 4096, sms, 7168) == wgmma_config::t64x64_k1);
  CHECK(pick_wgmma_config(16, 4096, sms, 7168) == wgmma_config::t64x32_k4);
  CHECK(pick_wgmma_config(16, 7168, sms, 16384) == wgmma_config::t64x64);
  CHECK(pick_wgmma_config(1, 7168, sms, 7168) == wgmma_config::t64x64_k1);
  CHECK(pick_wgmma_config(16, 12288, sms, 7168) == wgmma_config::t64x128);  // a tie at 128 rows
  CHECK(pick_wgmma_config(128, 7168, sms, 16384) == wgmma_config::t128x64);  // above 64 rows with k >= 8192
  // Not above 128 rows, not with k unknown, not with long k and few 64x64 tiles (N = 1024, 40 rows:
  // 16 tiles, which the four-way split spreads over more warpgroups).
  CHECK(pick_wgmma_config(256, 7168, sms, 2048) == wgmma_config::t128x128);
  for (const wgmma_config c : {pick_wgmma_config(16, 24576, sms), pick_wgmma_config(40, 1024, sms, 7168),
                               pick_wgmma_config(129, 32768, sms, 512)}) {
    CHECK(c != wgmma_config::t64x128);
    CHECK(c != wgmma_config::t64x64_k1);
  }
}

TEST_CASE("wgmma decode with long k takes a 128-row tile that covers the problem in one round", "[gemm]") {
  const int sms = 132;
  // 18432x7168: 288 tiles of 64x64 in three rounds (the last on 24 SMs) or 144 of 64x128 in two;
  // 96 of 128x192 fit in one round, 144 of 128x128 do not.
  for (const int m : {1, 16, 64, 100, 128}) {
    INFO("M = " << m);
    CHECK(pick_wgmma_config(m, 18432, sms, 7168) == wgmma_config::t128x192);
  }
  // 12288x7168 above 64 rows: 384 tiles of 64x64 in three rounds; 96 of 128x128 in one. Up to 64
  // rows the 96 tiles of 64x128 already take one round and stay.
  for (const int m : {65, 96, 128}) {
    INFO("M = " << m);
    CHECK(pick_wgmma_config(m, 12288, sms, 7168) == wgmma_config::t128x128);
  }
  CHECK(pick_wgmma_config(64, 12288, sms, 7168) == wgmma_config::t64x128);
  // Short k keeps the 64-row tiles in several rounds (24576x1536: 384 tiles of 64x64), and so does
  // long k where no 128-row tile fits one round (28672x8192 at 16 rows: 224 of 128x128, 150 of 128x192).
  CHECK(pick_wgmma_config(16, 24576, sms, 1536) == wgmma_config::t64x64_k1);
  CHECK(pick_wgmma_config(16, 28672, sms, 8192) == wgmma_config::t64x128);
}

TEST_CASE("wgmma k split over four blocks through a workspace for decode with very few tiles", "[gemm]") {
  const int sms = 132, clusters2 = 66;
  // N = 1024: 16 tiles of 64x64, four blocks each fit at once; up to 32 rows, long k, with a workspace.
  CHECK(pick_wgmma_config(1, 1024, sms, 7168, clusters2, true) == wgmma_config::t64x64_g4);
  CHECK(pick_wgmma_config(32, 1024, sms, 7168, clusters2, true) == wgmma_config::t64x64_g4);
  CHECK(pick_wgmma_config(64, 1024, sms, 7168, clusters2, true) == wgmma_config::t64x32_k4);
  // Without a workspace, with short k, or with k unknown.
  CHECK(pick_wgmma_config(1, 1024, sms, 7168, clusters2, false) != wgmma_config::t64x64_g4);
  CHECK(pick_wgmma_config(1, 1024, sms, 1536, clusters2, true) != wgmma_config::t64x64_g4);
  CHECK(pick_wgmma_config(1, 1024, sms, 0, clusters2, true) != wgmma_config::t64x64_g4);
  CHECK(pick_wgmma_config(4096, 1024, sms, 7168, clusters2, true) != wgmma_config::t64x64_g4);
}

TEST_CASE("wgmma tile walk in bands of 8 row tiles once A outgrows the L2", "[gemm]") {
  using hipfuse::gemm::wgmma_group_rows;
  const std::int64_t l2 = 50 * 1000 * 1000;  // an H100's
  // Column by column while A (M×K bytes) takes at most 0.6 of the L2: 4096x7168 at M = 4096 (29 MB),
  // 24576x1536 at M = 16384 (25 MB), decode.
  CHECK(wgmma_group_rows(32, std::int64_t{4096} * 7168, l2) == 32);
  CHECK(wgmma_group_rows(128, std::int64_t{16384} * 1536, l2) == 128);
  CHECK(wgmma_group_rows(1, std::int64_t{64} * 7168, l2) == 1);
  // Bands of 8 above it: M = 8192 at K = 7168 (59 MB), M = 32768 at K = 1536 (50 MB).
  CHECK(wgmma_group_rows(64, std::int64_t{8192} * 7168, l2) == 8);
  CHECK(wgmma_group_rows(256, std::int64_t{32768} * 1536, l2) == 8);
  // Right at the threshold, and with no more than a band of row tiles, the order stays.
  CHECK(wgmma_group_rows(40, 3 * l2 / 5, l2) == 40);
  CHECK(wgmma_group_rows(8, 4 * l2, l2) == 8);
  // An unknown L2 (0) keeps the plain order.
  CHECK(wgmma_group_rows(64, 4 * l2, 0) == 64);
}

TEST_CASE("wgmma 192x128 tiles for prefill where A outgrows the L2", "[gemm]") {
  using hipfuse::gemm::a_outgrows_l2;
  const int sms = 132;
  const std::int64_t l2 = std::int64_t{50} << 20;  // an H100's
  // The threshold of the bands: more than 0.6 of the L2.
  CHECK_FALSE(a_outgrows_l2(3 * l2 / 5, l2));
  CHECK(a_outgrows_l2(3 * l2 / 5 + 1, l2));
  CHECK_FALSE(a_outgrows_l2(4 * l2, 0));  // an unknown L2
  // Where 192-row tiles measured faster on the H100: 7168x16384 at M = 4096 and 16384, 4096x7168,
  // 2112x7168 (in place of 128x192) and 7168x2048 at M = 16384.
  CHECK(pick_wgmma_config(4096, 7168, sms, 16384, 0, true, l2) == wgmma_config::t192x128);
  CHECK(pick_wgmma_config(16384, 7168, sms, 16384, 0, true, l2) == wgmma_config::t192x128);
  CHECK(pick_wgmma_config(16384, 4096, sms, 7168, 0, true, l2) == wgmma_config::t192x128);
  CHECK(pick_wgmma_config(16384, 2112, sms, 7168, 0, true, l2) == wgmma_config::t192x128);
  CHECK(pick_wgmma_config(16384, 7168, sms, 2048, 0, true, l2) == wgmma_config::t192x128);
  // Where A stays in the L2 they were slower: 4096x7168 and 7168x2048 at M = 4096, 24576x1536 and
  // 32768x512 at M = 16384 (A 25 and 8 MB); the 128-row picks stay.
  CHECK(pick_wgmma_config(4096, 4096, sms, 7168, 0, true, l2) == wgmma_config::t128x128);
  CHECK(pick_wgmma_config(4096, 7168, sms, 2048, 0, true, l2) == wgmma_config::t128x128);
  CHECK(pick_wgmma_config(16384, 24576, sms, 1536, 0, true, l2) == wgmma_config::t128x128);
  CHECK(pick_wgmma_config(16384, 32768, sms, 512, 0, true, l2) == wgmma_config::t128x128);
  // Without the L2 (or without k) the estimate alone decides: 14 rounds of 128x128 against 10 of
  // 192x128 at 1.48 on 7168x16384 at M = 4096.
  CHECK(pick_wgmma_config(4096, 7168, sms, 16384) == wgmma_config::t128x128);
  CHECK(pick_wgmma_config(4096, 7168, sms, 0, 0, true, l2) == wgmma_config::t128x128);
  // Decode keeps its tiles whatever the L2 says.
  CHECK(pick_wgmma_config(16, 7168, sms, 16384, 0, true, l2) == pick_wgmma_config(16, 7168, sms, 16384, 0, true));
}

TEST_CASE("wgmma 192x128 tiles where they save rounds with k >= 2048", "[gemm]") {
  const int sms = 132;
  // 8 rounds of 192x128 against 12 of 128x128 (12288x7168 at M = 2048), 12 against 18
  // (18432x7168), 7 against 11 (7168x4608 at M = 3072), 4 against 6 (4096x7168 at M = 3072).
  CHECK(pick_wgmma_config(2048, 12288, sms, 7168) == wgmma_config::t192x128);
  CHECK(pick_wgmma_config(2048, 18432, sms, 7168) == wgmma_config::t192x128);
  CHECK(pick_wgmma_config(3072, 7168, sms, 4608) == wgmma_config::t192x128);
  CHECK(pick_wgmma_config(3072, 4096, sms, 7168) == wgmma_config::t192x128);
  // Not where the rounds come out even at 1.48 per tile: 7168x2048 at M = 4096 / 8192 (10 / 19
  // against 14 / 28), 4096x7168 at M = 2048 / 4096, 7168x16384 at M = 1024.
  CHECK(pick_wgmma_config(4096, 7168, sms, 2048) == wgmma_config::t128x128);
  CHECK(pick_wgmma_config(8192, 7168, sms, 2048) == wgmma_config::t128x128);
  CHECK(pick_wgmma_config(2048, 4096, sms, 7168) == wgmma_config::t128x128);
  CHECK(pick_wgmma_config(4096, 4096, sms, 7168) == wgmma_config::t128x128);
  CHECK(pick_wgmma_config(1024, 7168, sms, 16384) == wgmma_config::t128x128);
  // 2112x7168 at M = 1024 / 2048: one round against two of 128x64, two against four; at M = 512
  // 128x64 keeps its one round.
  CHECK(pick_wgmma_config(1024, 2112, sms, 7168) == wgmma_config::t192x128);
  CHECK(pick_wgmma_config(2048, 2112, sms, 7168) == wgmma_config::t192x128);
  CHECK(pick_wgmma_config(512, 2112, sms, 7168) == wgmma_config::t128x64);
  // Not with k below 2048 (24576x1536 at M = 3072: 24 rounds against 35, measured 3 % slower),
  // nor with k unknown.
  CHECK(pick_wgmma_config(3072, 24576, sms, 1536) == wgmma_config::t128x128);
  CHECK(pick_wgmma_config(2048, 12288, sms) == wgmma_config::t128x128);
}
