// Fused QK RMSNorm through its launcher against the float64 reference: the DeepSeek MLA buffer
// (in place and out of place; k_pe columns never touched), Qwen3-style per-head q/k inside a qkv
// buffer (v never touched), odd sizes and strides, separate weights and eps per tensor.
#include <hipfuse/norm/rmsnorm_launch.hpp>
#include "rmsnorm_reference.hpp"
#include "test_support.hpp"

using namespace hipfuse;
using hipfuse_test::device_buffer;
using hipfuse_test::random_values;

namespace {

// Where one tensor lives: inside an input buffer and an output buffer (maybe the same).
struct placement {
  std::int64_t in_offset, in_stride, out_offset, out_stride, heads, head_dim;
  float eps;
  bool gemma = false;
};

// Checks every element of `out` for one tensor against the reference computed from `in`.
template <class T>
std::size_t check_tensor(const char* name, std::int64_t tokens, const placement& p, const std::vector<T>& in,
                         const std::vector<T>& out, const std::vector<T>& w, const T* poison = nullptr) {
  std::size_t bad = 0;
  std::vector<double> x(static_cast<std::size_t>(p.head_dim)), wd(x.size());
  for (std::int64_t i = 0; i < p.head_dim; ++i) wd[i] = hipfuse_test::decode(w[i]);
  for (std::int64_t t = 0; t < tokens; ++t) {
    // Large cases: the first and last tokens and every 13th against the float64 reference (it
    // would dominate the test's time); whether the rest were written, check_untouched and the
    // poisoned outputs tell.
    if (tokens > 512 && t >= 64 && t < tokens - 64 && t % 13 != 0) {
      for (std::int64_t e = 0; poison && e < p.heads * p.head_dim; ++e)
        if (hipfuse_test::same_bits(out[p.out_offset + t * p.out_stride + e], *poison) && ++bad <= 8)
          FAIL_CHECK(name << " token " << t << " elem " << e << " not written");
      continue;
    }
    for (std::int64_t h = 0; h < p.heads; ++h) {
      for (std::int64_t i = 0; i < p.head_dim; ++i) x[i] = hipfuse_test::decode(in[p.in_offset + t * p.in_stride + h * p.head_dim + i]);
      const std::vector<double> y = hipfuse_test::rmsnorm_row_reference(x, wd, p.eps, p.gemma ? 1.0 : 0.0);
      for (std::int64_t i = 0; i < p.head_dim; ++i) {
        const double got = hipfuse_test::decode(out[p.out_offset + t * p.out_stride + h * p.head_dim + i]);
        if (!hipfuse_test::within_tolerance<T>(got, y[i]) && ++bad <= 8)
          FAIL_CHECK(name << " token " << t << " head " << h << " elem " << i << ": got " << got << " want " << y[i]);
      }
    }
  }
  return bad;
}

// Elements of `out` that no tensor's output covers must hold `expected` (the original data or poison).
template <class T>
std::size_t check_untouched(std::int64_t tokens, const std::vector<const placement*>& outputs,
                            const std::vector<T>& out, const std::vector<T>& expected) {
  std::vector<char> covered(out.size(), 0);
  for (const placement* p : outputs)
    for (std::int64_t t = 0; t < tokens; ++t)
      for (std::int64_t e = 0; e < p->heads * p->head_dim; ++e) covered[p->out_offset + t * p->out_stride + e] = 1;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!covered[i] && !hipfuse_test::same_bits(out[i], expected[i]) && ++bad <= 8)
      FAIL_CHECK("element " << i << " outside q and k changed");
  return bad;
}

// q and k inside one buffer of `width` columns, normalized in place (as MLA and qkv buffers are).
template <class T>
void run_in_place(std::int64_t tokens, std::int64_t width, const placement& q, const placement& k) {
  INFO("tokens=" << tokens << " width=" << width << " q heads=" << q.heads << "x" << q.head_dim
                 << " k heads=" << k.heads << "x" << k.head_dim);
  const std::size_t n = static_cast<std::size_t>(tokens * width);
  const std::vector<T> buf = random_values<T>(n, -2.0f, 2.0f);
  const std::vector<T> wq = random_values<T>(static_cast<std::size_t>(q.head_dim), -1.5f, 1.5f);
  const std::vector<T> wk = random_values<T>(static_cast<std::size_t>(k.head_dim), -1.5f, 1.5f);
  device_buffer<T> d_buf(buf), d_wq(wq), d_wk(wk);

  qk_rmsnorm_args<T> a;
  a.tokens = tokens;
  a.q = {d_buf.get() + q.in_offset, d_buf.get() + q.in_offset, width, width, q.heads, q.head_dim, d_wq.get(), q.eps,
         q.gemma};
  a.k = {d_buf.get() + k.in_offset, d_buf.get() + k.in_offset, width, width, k.heads, k.head_dim, d_wk.get(), k.eps,
         k.gemma};
  INFO("vector path: " << uses_vector_path(a));
  const status s = qk_rmsnorm(a);
  INFO(s.message);
  REQUIRE(s.ok());
  const std::vector<T> out = d_buf.download();
  CHECK(check_tensor("q", tokens, q, buf, out, wq) == 0);
  CHECK(check_tensor("k", tokens, k, buf, out, wk) == 0);
  CHECK(check_untouched(tokens, {&q, &k}, out, buf) == 0);
}

std::vector<std::int64_t> token_counts() {
  if (hipfuse_test::gpu_sizes()) return {1, 3, 128, 4097, 65536};
  return {1, 3, 33};
}

}  // namespace

TEST_CASE("qk_rmsnorm: DeepSeek MLA buffer in place, k_pe untouched", "[rmsnorm][qk]") {
  for (std::int64_t tokens : token_counts()) {
    // Different eps per tensor on purpose; the reference uses each tensor's own.
    run_in_place<bfloat16>(tokens, 2112, {0, 2112, 0, 2112, 1, 1536, 1e-6f}, {1536, 2112, 1536, 2112, 1, 512, 1e-2f});
  }
  // fp16 and fp32 rows of the same shape: token blocks of 256 and 512 threads on a GPU.
  run_in_place<float16>(129, 2112, {0, 2112, 0, 2112, 1, 1536, 1e-6f}, {1536, 2112, 1536, 2112, 1, 512, 1e-6f});
  run_in_place<float>(129, 2112, {0, 2112, 0, 2112, 1, 1536, 1e-6f}, {1536, 2112, 1536, 2112, 1, 512, 1e-6f});
  // The largest token block (1024 threads): q 2048 + k 1024 fp32 values = 768 vectors.
  run_in_place<float>(33, 3136, {0, 3136, 0, 3136, 1, 2048, 1e-6f}, {2048, 3136, 2048, 3136, 1, 1024, 1e-6f});
}

TEST_CASE("qk_rmsnorm: MLA out of place into separate q and k tensors", "[rmsnorm][qk]") {
  using T = bfloat16;
  for (std::int64_t tokens : token_counts()) {
    INFO("tokens=" << tokens);
    const std::int64_t width = 2112, q_stride = 1536 + 64, k_stride = 512;
    const std::vector<T> buf = random_values<T>(static_cast<std::size_t>(tokens * width), -3.0f, 3.0f);
    const std::vector<T> wq = random_values<T>(1536, 0.5f, 1.5f), wk = random_values<T>(512, 0.5f, 1.5f);
    device_buffer<T> d_buf(buf), d_wq(wq), d_wk(wk);
    device_buffer<T> d_q(static_cast<std::size_t>(tokens * q_stride)), d_k(static_cast<std::size_t>(tokens * k_stride));
    d_q.poison();
    d_k.poison();
    qk_rmsnorm_args<T> a;
    a.tokens = tokens;
    a.q = {d_buf.get(), d_q.get(), width, q_stride, 1, 1536, d_wq.get(), 1e-6f};
    a.k = {d_buf.get() + 1536, d_k.get(), width, k_stride, 1, 512, d_wk.get(), 1e-6f};
    const status s = qk_rmsnorm(a);
    INFO(s.message);
    REQUIRE(s.ok());
    const std::vector<T> q_out = d_q.download(), k_out = d_k.download(), after = d_buf.download();
    const placement q{0, width, 0, q_stride, 1, 1536, 1e-6f}, k{1536, width, 0, k_stride, 1, 512, 1e-6f};
    const T poison = device_buffer<T>::poison_value();
    CHECK(check_tensor("q", tokens, q, buf, q_out, wq, &poison) == 0);
    CHECK(check_tensor("k", tokens, k, buf, k_out, wk, &poison) == 0);
    CHECK(check_untouched(tokens, {&q}, q_out, std::vector<T>(q_out.size(), device_buffer<T>::poison_value())) == 0);
    CHECK(check_untouched(tokens, {}, after, buf) == 0);  // the input is not written
  }
}

TEMPLATE_TEST_CASE("qk_rmsnorm: Qwen3-style per-head q and k inside a qkv buffer", "[rmsnorm][qk]", bfloat16, float16,
                   float) {
  const std::int64_t hq = hipfuse_test::gpu_sizes() ? 32 : 4, hk = hipfuse_test::gpu_sizes() ? 8 : 2;
  for (std::int64_t d : {64, 128, 256}) {
    for (std::int64_t tokens : token_counts()) {
      if (!hipfuse_test::gpu_sizes() && tokens > 3) continue;
      if (tokens * (hq + 2 * hk) * d > (std::int64_t{1} << 26)) continue;
      const std::int64_t width = (hq + 2 * hk) * d;  // q heads, k heads, v heads
      run_in_place<TestType>(tokens, width, {0, width, 0, width, hq, d, 1e-6f}, {hq * d, width, hq * d, width, hk, d, 1e-5f});
    }
  }
}

TEMPLATE_TEST_CASE("qk_rmsnorm: odd sizes and strides", "[rmsnorm][qk]", bfloat16, float) {
  const std::int64_t tokens = hipfuse_test::gpu_sizes() ? 4097 : 5;
  // Odd widths: the scalar path. Aligned widths with odd row lengths: vectors plus a tail.
  run_in_place<TestType>(tokens, 1003, {0, 1003, 0, 1003, 1, 700, 1e-6f}, {701, 1003, 701, 1003, 1, 301, 1e-6f});
  run_in_place<TestType>(tokens, 2048, {0, 2048, 0, 2048, 1, 1037, 1e-6f}, {1040, 2048, 1040, 2048, 1, 9, 1e-6f});
  run_in_place<TestType>(tokens, 96, {0, 96, 0, 96, 3, 16, 1e-6f}, {48, 96, 48, 96, 1, 40, 1e-6f});
  run_in_place<TestType>(tokens, 20000, {0, 20000, 0, 20000, 1, 17000, 1e-6f}, {17000, 20000, 17000, 20000, 1, 3000, 1e-6f});
}

TEST_CASE("qk_rmsnorm: Gemma weights (1 + w) per tensor", "[rmsnorm][qk]") {
  const std::int64_t tokens = hipfuse_test::gpu_sizes() ? 4097 : 3;
  run_in_place<bfloat16>(tokens, 2112, {0, 2112, 0, 2112, 1, 1536, 1e-6f, true}, {1536, 2112, 1536, 2112, 1, 512, 1e-6f, false});
  run_in_place<float>(tokens, 6144, {0, 6144, 0, 6144, 32, 128, 1e-6f, false}, {4096, 6144, 4096, 6144, 8, 128, 1e-6f, true});
}

TEST_CASE("qk_rmsnorm with zero tokens is a no-op", "[rmsnorm][qk]") {
  qk_rmsnorm_args<bfloat16> a;
  a.q.head_dim = 1536;
  a.k.head_dim = 512;
  CHECK(qk_rmsnorm(a).ok());
}
