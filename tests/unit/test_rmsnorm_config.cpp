// Host-only checks of the launchers' decisions: the overlap test between strided views (exact
// for equal strides, never missing an overlap otherwise) and the configuration chosen per arch
// and row length.
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <hipfuse/norm/rmsnorm_launch.hpp>
#include <hipfuse/quant/rmsnorm_quant_launch.hpp>

using namespace hipfuse;

namespace {

std::set<std::uint64_t> bytes_of(const norm_detail::strided_region& r) {
  std::set<std::uint64_t> s;
  for (std::int64_t i = 0; i < r.rows; ++i)
    for (std::int64_t b = 0; b < r.row_bytes; ++b) s.insert(r.base + static_cast<std::uint64_t>(i * r.stride_bytes + b));
  return s;
}

bool brute_overlap(const norm_detail::strided_region& a, const norm_detail::strided_region& b) {
  const auto sa = bytes_of(a);
  for (std::uint64_t x : bytes_of(b))
    if (sa.count(x)) return true;
  return false;
}

struct shape {
  int row_threads, vecs_per_thread, vec, block_threads;
};

// rows, total: the launch's rows and elements; the default is a streaming launch, well above
// wide_rows_at_most and prefetch_weight_below_elements.
constexpr std::int64_t many_rows = std::int64_t(1) << 20;

template <class C>
shape shape_of() {
  return {C::row_threads, C::vecs_per_thread, C::vec, C::block_threads};
}

// The callback the launchers' config walks hand their choice to: records its shape and prefetching.
auto recorder(shape& out, bool* prefetch) {
  return [&out, prefetch](auto config) {
    using C = decltype(config);
    out = shape_of<C>();
    if (prefetch) *prefetch = C::prefetch_weight;
    return status::success();
  };
}

template <class Arch, class T>
shape chosen(std::int64_t n, bool vector_path = true, std::int64_t total = std::int64_t(1) << 30,
             bool* prefetch = nullptr, std::int64_t rows = many_rows) {
  shape out{};
  REQUIRE(norm_detail::with_row_config<Arch, T>(n, vector_path, recorder(out, prefetch),
                                                norm_detail::launch_size{rows, total})
              .ok());
  return out;
}

// The fused RMSNorm -> FP8 launcher's choice (rows of at least a wave on a GPU).
template <class Arch>
shape chosen_fused(std::int64_t n, std::int64_t total, bool* prefetch = nullptr, std::int64_t rows = many_rows,
                   row_op op = row_op::fused_quant) {
  shape out{};
  REQUIRE(quant_detail::with_fused_row_config<Arch, bfloat16>(n, recorder(out, prefetch),
                                                              norm_detail::launch_size{rows, total}, op)
              .ok());
  return out;
}

bool operator==(const shape& a, const shape& b) {
  return a.row_threads == b.row_threads && a.vecs_per_thread == b.vecs_per_thread && a.vec == b.vec &&
         a.block_threads == b.block_threads;
}

std::ostream& operator<<(std::ostream& os, const shape& s) {
  return os << "{" << s.row_threads << ", " << s.vecs_per_thread << ", " << s.vec << ", " << s.block_threads << "}";
}

}  // namespace

TEST_CASE("strided overlap: exact for equal strides, conservative otherwise", "[rmsnorm]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> base(1000, 1200), rows(1, 5), row_bytes(1, 24), extra(0, 24);
  int equal_cases = 0, overlapping = 0;
  for (int i = 0; i < 20000; ++i) {
    norm_detail::strided_region a{static_cast<std::uintptr_t>(base(rng)), rows(rng), row_bytes(rng), 0};
    norm_detail::strided_region b{static_cast<std::uintptr_t>(base(rng)), rows(rng), row_bytes(rng), 0};
    a.stride_bytes = a.row_bytes + extra(rng);
    b.stride_bytes = i % 2 ? a.stride_bytes : b.row_bytes + extra(rng);
    if (b.row_bytes > b.stride_bytes) b.row_bytes = b.stride_bytes;
    const bool truth = brute_overlap(a, b);
    const bool got = norm_detail::regions_overlap(a, b);
    overlapping += truth;
    INFO("a: " << a.base << " rows " << a.rows << " x " << a.row_bytes << " stride " << a.stride_bytes << "; b: "
               << b.base << " rows " << b.rows << " x " << b.row_bytes << " stride " << b.stride_bytes);
    if (a.stride_bytes == b.stride_bytes) {
      ++equal_cases;
      REQUIRE(got == truth);
      REQUIRE(norm_detail::regions_overlap(b, a) == truth);
    } else if (truth) {
      REQUIRE(got);
    }
  }
  CHECK(equal_cases > 5000);
  CHECK(overlapping > 1000);
  CHECK(overlapping < 19000);
}

TEST_CASE("MLA q and k_nope views of one buffer do not overlap; widened q does", "[rmsnorm]") {
  const auto q = norm_detail::region_of(reinterpret_cast<const bfloat16*>(4096), 65536, 1536, 2112);
  const auto k = norm_detail::region_of(reinterpret_cast<const bfloat16*>(4096) + 1536, 65536, 512, 2112);
  const auto q_wide = norm_detail::region_of(reinterpret_cast<const bfloat16*>(4096), 65536, 1537, 2112);
  const auto pe = norm_detail::region_of(reinterpret_cast<const bfloat16*>(4096) + 2048, 65536, 64, 2112);
  CHECK_FALSE(norm_detail::regions_overlap(q, k));
  CHECK_FALSE(norm_detail::regions_overlap(k, pe));
  CHECK(norm_detail::regions_overlap(q_wide, k));
}

TEST_CASE("configurations chosen for each arch and row length", "[rmsnorm]") {
  // NVIDIA (wave 32), bf16 (8 per vector): lane groups, then a wave, then a block, then streaming.
  CHECK(chosen<arch::sm90, bfloat16>(64) == shape{8, 1, 8, 256});     // Qwen3 head_dim 64
  CHECK(chosen<arch::sm90, bfloat16>(128) == shape{16, 1, 8, 256});   // head_dim 128
  CHECK(chosen<arch::sm90, bfloat16>(256) == shape{32, 2, 8, 256});   // head_dim 256
  CHECK(chosen<arch::sm90, bfloat16>(512) == shape{32, 2, 8, 256});   // k_nope
  CHECK(chosen<arch::sm90, bfloat16>(1024) == shape{32, 4, 8, 256});
  CHECK(chosen<arch::sm90, bfloat16>(1536) == shape{32, 6, 8, 256});  // MLA q
  CHECK(chosen<arch::sm90, bfloat16>(2048) == shape{256, 4, 8, 256});
  CHECK(chosen<arch::sm90, bfloat16>(7168) == shape{256, 4, 8, 256});
  CHECK(chosen<arch::sm90, bfloat16>(16384) == shape{512, 4, 8, 512});
  CHECK(chosen<arch::sm90, bfloat16>(16385) == shape{512, 0, 8, 512});
  CHECK(chosen<arch::sm90, float>(128) == shape{32, 2, 4, 256});
  CHECK(chosen<arch::sm90, bfloat16>(1536, false) == shape{32, 0, 1, 256});

  // AMD (wave 64).
  CHECK(chosen<arch::gfx942, bfloat16>(512) == shape{64, 2, 8, 256});
  CHECK(chosen<arch::gfx942, bfloat16>(1536) == shape{64, 4, 8, 256});
  CHECK(chosen<arch::gfx942, bfloat16>(3072) == shape{64, 6, 8, 256});
  CHECK(chosen<arch::gfx942, bfloat16>(4096) == shape{256, 4, 8, 256});
  CHECK(chosen<arch::gfx950, bfloat16>(8193) == shape{512, 4, 8, 512});
  CHECK(chosen<arch::gfx950, bfloat16>(100, false) == shape{64, 0, 1, 256});

  // Launches of fewer than prefetch_weight_below_elements elements: the latency shapes, with the
  // weights prefetched; the streaming tier and the scalar path have no latency shape. Block-wide
  // rows of the plain norm prefetch at every size.
  const std::int64_t small = prefetch_weight_below_elements - 1;
  bool prefetch = false;
  CHECK(chosen<arch::sm90, bfloat16>(128, true, small, &prefetch) == shape{16, 1, 8, 64});
  CHECK(prefetch);
  CHECK(chosen<arch::sm90, bfloat16>(1536, true, small) == shape{64, 3, 8, 64});
  CHECK(chosen<arch::sm90, bfloat16>(1536, true, prefetch_weight_below_elements, &prefetch) == shape{32, 6, 8, 256});
  CHECK_FALSE(prefetch);  // MLA T = 65536 streams
  CHECK(chosen<arch::sm90, bfloat16>(7168, true, small) == shape{256, 4, 8, 256});
  CHECK(chosen<arch::gfx942, bfloat16>(1536, true, small) == shape{64, 4, 8, 128});
  CHECK(chosen<arch::sm90, bfloat16>(7168, true, std::int64_t(1) << 30, &prefetch) == shape{256, 4, 8, 256});
  CHECK(prefetch);
  CHECK(chosen<arch::sm90, bfloat16>(16385, true, small, &prefetch) == shape{512, 0, 8, 512});
  CHECK_FALSE(prefetch);
  CHECK(chosen<arch::sm90, bfloat16>(1536, false, small) == shape{32, 0, 1, 256});
  CHECK(chosen<arch::host, bfloat16>(1536, true, small) == shape{1, 1024, 8, 1});

  // At most wide_rows_at_most rows: rows of three or more vectors per lane spread over a block.
  const std::int64_t few = wide_rows_at_most;
  CHECK(chosen<arch::sm90, bfloat16>(1536, true, 2 * few * 1536, &prefetch, few) == shape{256, 1, 8, 256});
  CHECK(prefetch);
  CHECK(chosen<arch::sm90, bfloat16>(1536, true, 2 * few * 1536, nullptr, few + 1) == shape{64, 3, 8, 64});
  // The plain norm's block-wide rows ([T, 7168]) are wide only up to norm_wide_rows_at_most rows.
  const std::int64_t few_block_rows = norm_wide_rows_at_most;
  static_assert(norm_wide_rows_at_most < wide_rows_at_most, "the block rows' bound is the tighter one");
  CHECK(chosen<arch::sm90, bfloat16>(7168, true, few_block_rows * 7168, nullptr, few_block_rows) ==
        shape{512, 2, 8, 512});
  CHECK(chosen<arch::sm90, bfloat16>(7168, true, (few_block_rows + 1) * 7168, nullptr, few_block_rows + 1) ==
        shape{256, 4, 8, 256});
  CHECK(chosen<arch::sm90, bfloat16>(2048, true, (few_block_rows + 1) * 2048, nullptr, few_block_rows + 1) ==
        shape{256, 4, 8, 256});
  CHECK(chosen<arch::sm90, bfloat16>(1024, true, 1024, nullptr, 1) == shape{128, 1, 8, 128});
  CHECK(chosen<arch::sm90, bfloat16>(7168, true, 7168, nullptr, 1) == shape{512, 2, 8, 512});
  CHECK(chosen<arch::sm90, bfloat16>(16384, true, 16384, nullptr, 1) == shape{1024, 2, 8, 1024});
  CHECK(chosen<arch::sm90, bfloat16>(128, true, 40 * 128, nullptr, 40) == shape{16, 1, 8, 64});  // lane groups stay
  CHECK(chosen<arch::gfx942, bfloat16>(1536, true, 1536, nullptr, 1) == shape{256, 1, 8, 256});
  CHECK(chosen<arch::gfx942, bfloat16>(3072, true, 3072, nullptr, 1) == shape{256, 2, 8, 256});
  CHECK(chosen<arch::sm90, bfloat16>(16385, true, 16385, nullptr, 1) == shape{512, 0, 8, 512});

  // Host: one thread per block, tiers differ in how much of the row stays cached.
  CHECK(chosen<arch::host, bfloat16>(64) == shape{1, 8, 8, 1});
  CHECK(chosen<arch::host, bfloat16>(1536) == shape{1, 1024, 8, 1});
  CHECK(chosen<arch::host, bfloat16>(9000) == shape{1, 0, 8, 1});

  // The compile-time helper agrees with the launcher.
  using fitted = fitted_row_config<arch::sm90, bfloat16, 1536>::type;
  CHECK(shape_of<fitted>() == chosen<arch::sm90, bfloat16>(1536));
}

template <class Arch, int Tier = 0>
void check_tiers(std::int64_t previous_capacity = 0) {
  using C = row_tier_config<Arch, bfloat16, Tier>;
  using L = row_tier_config<Arch, bfloat16, Tier, row_launch::latency>;
  using W = row_tier_config<Arch, bfloat16, Tier, row_launch::wide>;
  INFO(Arch::name << " tier " << Tier);
  CHECK((C::row_threads <= Arch::wave_size || C::row_threads == C::block_threads));
  CHECK((L::row_threads <= Arch::wave_size || L::row_threads == L::block_threads));
  CHECK((W::row_threads <= Arch::wave_size || W::row_threads == W::block_threads));
  CHECK(L::max_cached_elements == C::max_cached_elements);
  CHECK(W::max_cached_elements >= C::max_cached_elements);
  CHECK(W::vecs_per_thread <= L::vecs_per_thread);
  CHECK(L::prefetch_weight == C::cached);
  CHECK(W::prefetch_weight == C::cached);
  CHECK_FALSE(C::prefetch_weight);
  if constexpr (Tier + 1 < row_tier_count<Arch>) {
    CHECK(C::cached);
    CHECK(C::max_cached_elements > previous_capacity);
    check_tiers<Arch, Tier + 1>(C::max_cached_elements);
  } else {
    CHECK_FALSE(C::cached);  // the last tier takes any length
  }
}

TEST_CASE("tiers grow in capacity, fit a wave or a block, and end in a streaming tier", "[rmsnorm]") {
  check_tiers<arch::host>();
  check_tiers<arch::sm89>();
  check_tiers<arch::sm90>();
  check_tiers<arch::gfx942>();
  check_tiers<arch::gfx950>();
}

TEST_CASE("the fused quantizer takes the norm's tier shapes, rows of a wave or more", "[rmsnorm][quant]") {
  const std::int64_t big = std::int64_t(1) << 30, small = fused_prefetch_below_elements - 1;
  bool prefetch = true;
  CHECK(chosen_fused<arch::sm90>(7168, big, &prefetch) == shape{256, 4, 8, 256});
  CHECK_FALSE(prefetch);
  CHECK(chosen_fused<arch::sm90>(7168, small, &prefetch) == shape{256, 4, 8, 256});
  CHECK_FALSE(prefetch);  // block rows of the fused quantizer stream unless the launch is wide
  CHECK(chosen_fused<arch::sm90>(7168, 16 * 7168, &prefetch, 16) == shape{512, 2, 8, 512});  // decode: wide
  CHECK(prefetch);
  CHECK(chosen_fused<arch::sm90>(1536, small, &prefetch) == shape{64, 3, 8, 64});
  CHECK(prefetch);
  CHECK(chosen_fused<arch::sm90>(1536, fused_prefetch_below_elements, &prefetch) == shape{32, 6, 8, 256});
  CHECK_FALSE(prefetch);
  CHECK(chosen_fused<arch::sm90>(1536, 256 * 1024, nullptr, 256) == shape{256, 1, 8, 256});
  CHECK(chosen_fused<arch::sm90>(1536, big) == shape{32, 6, 8, 256});
  CHECK(chosen_fused<arch::sm90>(256, big) == shape{32, 2, 8, 256});  // never a lane group below a wave
  CHECK(chosen_fused<arch::gfx942>(7168, big) == shape{256, 4, 8, 256});
  CHECK(chosen_fused<arch::gfx950>(1536, big) == shape{64, 4, 8, 256});
  CHECK(chosen_fused<arch::host>(7168, big) == shape{1, 1024, 8, 1});
}

TEST_CASE("the fused quantizer's paired block rows prefetch below 2^25 elements, wide up to 256 rows",
          "[rmsnorm][quant]") {
  // Shapes before pairing (the launcher pairs them).
  bool prefetch = false;
  const auto at = [&](std::int64_t cols, std::int64_t t, row_op op = row_op::fused_quant_paired) {
    return chosen_fused<arch::sm90>(cols, t * cols, &prefetch, t, op);
  };
  CHECK(at(7168, 256) == shape{512, 2, 8, 512});  // wide
  CHECK(prefetch);
  for (const std::int64_t t : {257, 512, 1024, 4096}) {  // 4096 rows of 7168: 29M elements
    INFO("T = " << t);
    CHECK(at(7168, t) == shape{256, 4, 8, 256});
    CHECK(prefetch);
  }
  CHECK(at(7168, 8192) == shape{256, 4, 8, 256});  // 59M elements: streaming
  CHECK_FALSE(prefetch);
  CHECK(at(4096, 4096) == shape{256, 4, 8, 256});  // 17M
  CHECK(prefetch);
  CHECK(at(4096, 8192) == shape{256, 4, 8, 256});  // 2^25: streaming
  CHECK_FALSE(prefetch);
  // With a residual, wide up to 512 rows as before, then the same prefetch rule.
  CHECK(at(7168, 512, row_op::fused_quant_paired_residual) == shape{512, 2, 8, 512});
  CHECK(at(7168, 513, row_op::fused_quant_paired_residual) == shape{256, 4, 8, 256});
  CHECK(prefetch);
  // Unpaired block rows keep the old rule: wide up to 512 rows, then streaming.
  CHECK(chosen_fused<arch::sm90>(7168, 512 * 7168, &prefetch, 512) == shape{512, 2, 8, 512});
  CHECK(chosen_fused<arch::sm90>(7168, 1024 * 7168, &prefetch, 1024) == shape{256, 4, 8, 256});
  CHECK_FALSE(prefetch);
  // Rows within a wave are not block rows: paired or not, the same choice.
  CHECK(chosen_fused<arch::sm90>(1536, 1024 * 1536, &prefetch, 1024, row_op::fused_quant_paired) ==
        chosen_fused<arch::sm90>(1536, 1024 * 1536, nullptr, 1024));
}

TEST_CASE("the fused quantizer's paired shapes hold the same rows with 16 values per lane and piece",
          "[rmsnorm][quant]") {
  const auto paired = [](auto config) {
    return shape_of<typename quant_detail::paired_row_config<arch::sm90, decltype(config)>::type>();
  };
  CHECK(paired(row_config<256, 4, 8, 256>{}) == shape{256, 2, 16, 256});
  CHECK(paired(row_config<32, 6, 8, 256>{}) == shape{32, 3, 16, 256});
  CHECK(paired(row_config<64, 3, 8, 64, true>{}) == shape{64, 2, 16, 64});
  CHECK(paired(row_config<256, 1, 8, 256, true>{}) == shape{128, 1, 16, 128});  // wide: half the threads
  CHECK(paired(row_config<512, 2, 8, 512, true>{}) == shape{512, 1, 16, 512});
  CHECK(paired(row_config<512, 0, 8, 512>{}) == shape{512, 0, 8, 512});  // streaming rows stay
  CHECK(paired(row_config<32, 1, 8, 64>{}) == shape{32, 1, 8, 64});      // half a wave would mix rows
  using host_paired = quant_detail::paired_row_config<arch::host, row_config<1, 1024, 8, 1>>::type;
  CHECK(host_paired::vec == 8);
  using wide_prefetch = quant_detail::paired_row_config<arch::sm90, row_config<256, 1, 8, 256, true>>::type;
  CHECK(wide_prefetch::prefetch_weight);
}

TEST_CASE("token blocks: MLA's q and k of a token fill one block", "[rmsnorm]") {
  // DeepSeek MLA: 1536 + 512 bf16 values = 192 + 64 vectors.
  CHECK(qk_token_block_threads<arch::sm90, bfloat16>(1536, 512) == 256);
  CHECK(qk_token_block_threads<arch::gfx942, bfloat16>(1536, 512) == 256);
  CHECK(qk_token_block_threads<arch::gfx950, bfloat16>(1536, 512) == 256);
  CHECK(qk_token_block_threads<arch::sm90, float>(1536, 512) == 512);  // 4 floats per vector
  CHECK(qk_token_block_threads<arch::sm90, bfloat16>(4096, 1024) == 1024);
  CHECK(qk_token_block_threads<arch::sm90, bfloat16>(8192, 512) == 0);  // more than a block
  CHECK(qk_token_block_threads<arch::sm90, bfloat16>(512, 256) == 0);   // 96 of 256 threads: half idle
  CHECK(qk_token_block_threads<arch::sm90, bfloat16>(1536, 500) == 0);  // k not whole waves of vectors
  CHECK(qk_token_block_threads<arch::gfx942, bfloat16>(1536, 256) == 0);  // k less than a wave of 64
  CHECK(qk_token_block_threads<arch::host, bfloat16>(1536, 512) == 0);
  // Two adjacent vectors per thread (the fused RMSNorm -> FP8 of MLA): 96 + 32 threads on NVIDIA;
  // on AMD q's 1536 values are not whole waves of 64 such threads.
  CHECK(qk_token_threads<arch::sm90, bfloat16>(1536, 512, 2) == 128);
  CHECK(qk_token_block_threads<arch::sm90, bfloat16>(1536, 512, 2) == 128);
  CHECK(qk_token_block_threads<arch::gfx942, bfloat16>(1536, 512, 2) == 0);
  CHECK(qk_token_block_threads<arch::gfx950, bfloat16>(2048, 1024, 2) == 256);  // 128 + 64 threads
  CHECK(qk_token_block_threads<arch::sm90, bfloat16>(512, 512, 2) == 0);  // 32 + 32 threads, half of 128 idle
}
