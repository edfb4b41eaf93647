// DeepSeek MLA absorb-prepare: the fused q_a/kv_a projection writes one [T, 2112] bf16 buffer;
// q (columns 0..1535) is normalized with the q_a weight and k_nope (1536..2047) with the kv_a
// weight, in place, while k_pe (2048..2111) is left alone for RoPE.
//
// This example does it from a kernel of its own that calls hipfuse's QK RMSNorm functor (where a
// real engine would also do its other per-token work), checks the result against a float64 loop,
// and checks that the library's launcher agrees (within one bf16 ulp: it may pick another thread
// shape, so sums of squares in another order). It runs on the GPU it was compiled
// for (nvcc: NVIDIA; hipcc: AMD) or, built as plain C++, on the host backend.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>
#include <hipfuse/kernel.hpp>
#include <hipfuse/norm/qk_rmsnorm.hpp>
#include <hipfuse/norm/rmsnorm_launch.hpp>

using hipfuse::bfloat16;

constexpr std::int64_t width = 2112, q_dim = 1536, k_dim = 512, pe_dim = 64;

// The user's kernel: a fixed grid walks all row blocks (a persistent loop), each step running the
// library's block functor.
template <class Policy, class Config>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS(Config::block_threads)
    mla_prepare_kernel(hipfuse::qk_rmsnorm_params<bfloat16> params) {
  hipfuse::kernel_body<typename Policy::arch>([&] {
    using norm = hipfuse::qk_rmsnorm_block<Policy, bfloat16, Config>;
    HIPFUSE_SHARED typename norm::storage storage;
    const hipfuse::row_set<bfloat16> q = params.q.rows(params.tokens);
    const hipfuse::row_set<bfloat16> k = params.k.rows(params.tokens);
    for (std::int64_t b = hipfuse::platform::block_rank_x(); b < norm::blocks(params);
         b += hipfuse::platform::grid_size_x()) {
      norm{}(q, k, b, storage);
      hipfuse::platform::block_barrier();  // the storage is reused by the next step
    }
  });
}

static double bf16_value(bfloat16 v) { return static_cast<double>(hipfuse::to_float(v)); }

int main() {
  const std::int64_t tokens = hipfuse::compiled_platform == hipfuse::platform_kind::host ? 37 : 4099;
  const float eps = 1e-6f;

  std::mt19937 rng(2112);
  std::uniform_real_distribution<float> activation(-4.0f, 4.0f), gain(0.5f, 1.5f);
  std::vector<bfloat16> buffer(static_cast<std::size_t>(tokens * width)), wq(q_dim), wk(k_dim);
  for (auto& v : buffer) v = hipfuse::from_float<bfloat16>(activation(rng));
  for (auto& v : wq) v = hipfuse::from_float<bfloat16>(gain(rng));
  for (auto& v : wk) v = hipfuse::from_float<bfloat16>(gain(rng));

  const std::size_t buffer_bytes = buffer.size() * sizeof(bfloat16);
  void *d_buffer = nullptr, *d_copy = nullptr, *d_wq = nullptr, *d_wk = nullptr;
  using hipfuse::platform::copy_kind;
  bool ok = hipfuse::platform::device_alloc(&d_buffer, buffer_bytes).ok() &&
            hipfuse::platform::device_alloc(&d_copy, buffer_bytes).ok() &&
            hipfuse::platform::device_alloc(&d_wq, q_dim * sizeof(bfloat16)).ok() &&
            hipfuse::platform::device_alloc(&d_wk, k_dim * sizeof(bfloat16)).ok();
  ok = ok && hipfuse::platform::copy(d_buffer, buffer.data(), buffer_bytes, copy_kind::host_to_device).ok() &&
       hipfuse::platform::copy(d_copy, buffer.data(), buffer_bytes, copy_kind::host_to_device).ok() &&
       hipfuse::platform::copy(d_wq, wq.data(), q_dim * sizeof(bfloat16), copy_kind::host_to_device).ok() &&
       hipfuse::platform::copy(d_wk, wk.data(), k_dim * sizeof(bfloat16), copy_kind::host_to_device).ok();
  if (!ok) {
    std::printf("FAILED: could not set up device memory\n");
    return 1;
  }

  auto params_for = [&](void* buf) {
    hipfuse::qk_rmsnorm_args<bfloat16> p;
    bfloat16* base = static_cast<bfloat16*>(buf);
    p.tokens = tokens;
    p.q = {base, base, width, width, 1, q_dim, static_cast<const bfloat16*>(d_wq), eps};
    p.k = {base + q_dim, base + q_dim, width, width, 1, k_dim, static_cast<const bfloat16*>(d_wk), eps};
    return p;
  };

  // 1. The user's kernel through the functor. Its arguments are validated with the library's
  //    can_implement, as a launcher would.
  const hipfuse::qk_rmsnorm_args<bfloat16> mine = params_for(d_buffer);
  hipfuse::status s = hipfuse::can_implement(mine);
  if (s.ok() && !hipfuse::uses_vector_path(mine)) s = hipfuse::status::error(hipfuse::status_code::misaligned, "unaligned");
  if (s.ok()) {
    s = hipfuse::with_detected_arch([&](auto arch_tag) {
      using arch = decltype(arch_tag);
      using P = hipfuse::policy<arch>;
      using C = typename hipfuse::fitted_row_config<arch, bfloat16, q_dim>::type;
      using norm = hipfuse::qk_rmsnorm_block<P, bfloat16, C>;
      const std::int64_t blocks = norm::blocks(mine);
      const int grid = static_cast<int>(blocks < 1024 ? blocks : 1024);
      return hipfuse::platform::launch(mla_prepare_kernel<P, C>, {grid, 1}, C::block_threads, 0, nullptr,
                                       static_cast<const hipfuse::qk_rmsnorm_params<bfloat16>&>(mine));
    });
  }
  // 2. The same through the library's launcher, on a copy.
  if (s.ok()) s = hipfuse::qk_rmsnorm(params_for(d_copy));
  if (s.ok()) s = hipfuse::platform::synchronize();
  if (!s.ok()) {
    std::printf("FAILED: %s: %s\n", hipfuse::to_string(s.code), s.message.c_str());
    return 1;
  }
  std::vector<bfloat16> out(buffer.size()), out_launcher(buffer.size());
  ok = hipfuse::platform::copy(out.data(), d_buffer, buffer_bytes, copy_kind::device_to_host).ok() &&
       hipfuse::platform::copy(out_launcher.data(), d_copy, buffer_bytes, copy_kind::device_to_host).ok();
  for (void* p : {d_buffer, d_copy, d_wq, d_wk}) hipfuse::platform::device_free(p);
  if (!ok) {
    std::printf("FAILED: could not read the results back\n");
    return 1;
  }

  // 3. Check: float64 RMSNorm per row within one bf16 ulp; k_pe bits unchanged; launcher == functor.
  std::int64_t worse_than_ulp = 0, pe_changed = 0, launcher_differs = 0;
  auto check_row = [&](std::int64_t t, std::int64_t first, std::int64_t n, const std::vector<bfloat16>& w) {
    double sum = 0.0;
    for (std::int64_t i = 0; i < n; ++i) sum += std::pow(bf16_value(buffer[t * width + first + i]), 2);
    const double inv = 1.0 / std::sqrt(sum / static_cast<double>(n) + eps);
    for (std::int64_t i = 0; i < n; ++i) {
      const double want = bf16_value(buffer[t * width + first + i]) * inv * bf16_value(w[i]);
      const double got = bf16_value(out[t * width + first + i]);
      const double ulp = std::ldexp(1.0, std::ilogb(want == 0.0 ? 1e-30 : want) - 7);
      if (std::fabs(got - want) > ulp) ++worse_than_ulp;
    }
  };
  for (std::int64_t t = 0; t < tokens; ++t) {
    check_row(t, 0, q_dim, wq);
    check_row(t, q_dim, k_dim, wk);
    pe_changed += std::memcmp(&out[t * width + q_dim + k_dim], &buffer[t * width + q_dim + k_dim],
                              pe_dim * sizeof(bfloat16)) != 0;
  }
  // The launcher may pick another thread shape for this size than the kernel above (sums of
  // squares in another order), so the two agree to within one bf16 ulp rather than bit for bit.
  std::int64_t launcher_bits_differ = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].bits == out_launcher[i].bits) continue;
    ++launcher_bits_differ;
    const double a = bf16_value(out[i]), b = bf16_value(out_launcher[i]);
    const double larger = std::max(std::fabs(a), std::fabs(b));
    if (std::fabs(a - b) > std::ldexp(1.0, std::ilogb(larger == 0.0 ? 1e-30 : larger) - 7)) ++launcher_differs;
  }

  std::printf("MLA absorb-prepare QK RMSNorm on %s, %lld tokens x [q %lld | k_nope %lld | k_pe %lld] bf16, in place\n",
              hipfuse::compiled_platform == hipfuse::platform_kind::host ? "the host backend" : "the GPU",
              static_cast<long long>(tokens), static_cast<long long>(q_dim), static_cast<long long>(k_dim),
              static_cast<long long>(pe_dim));
  std::printf("  elements further than 1 bf16 ulp from the float64 reference: %lld of %lld\n",
              static_cast<long long>(worse_than_ulp), static_cast<long long>(tokens * (q_dim + k_dim)));
  std::printf("  tokens whose k_pe columns changed: %lld\n", static_cast<long long>(pe_changed));
  std::printf("  user kernel (functor) vs hipfuse::qk_rmsnorm (launcher): %lld elements differ, %lld by more than 1 bf16 ulp\n",
              static_cast<long long>(launcher_bits_differ), static_cast<long long>(launcher_differs));
  const bool passed = worse_than_ulp == 0 && pe_changed == 0 && launcher_differs == 0;
  std::printf("%s\n", passed ? "PASSED" : "FAILED");
  return passed ? 0 : 1;
}
