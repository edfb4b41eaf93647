// RMSNorm and fused QK RMSNorm, bf16:
//   qk_rmsnorm_mla    DeepSeek MLA: q [T,1536] and k_nope [T,512] read from one [T,2112] buffer,
//                     written to contiguous [T,1536] and [T,512] (as the torch peer does), and in place;
//   qk_rmsnorm_qwen3  Qwen3 per-head: q [T,32,128] and k [T,8,128] read from a [T,6144] qkv buffer;
//   rmsnorm           [T,7168].
// Beside the MLA norm, "copy floor": a kernel that only copies the same bytes with the same grid.
// Bytes: every input element read once, every output element written once, plus the weights.
// One size of each is first checked against a float64 host reference (1 bf16 ulp).
#include <cstring>
#include <hipfuse/norm/rmsnorm_launch.hpp>
#include "harness.hpp"
#include "reference.hpp"
#include "shapes.hpp"

namespace {

using namespace hipfuse_bench;
using bf16 = hipfuse::bfloat16;

// Rows of n elements: row r is read at in[in_offset(r)] and written at out[out_offset(r)].
// y = x · rsqrt(mean(x²) + eps) · w in float64 must be within one bf16 ulp of the output.
template <class InOffset, class OutOffset>
bool check_rows(const std::vector<bf16>& in, const std::vector<bf16>& out, const std::vector<bf16>& w,
                std::int64_t rows, int n, InOffset in_offset, OutOffset out_offset, const std::string& what) {
  std::int64_t bad = 0;
  double worst = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    const bf16* x = &in[in_offset(r)];
    const bf16* y = &out[out_offset(r)];
    const double inv = rms_inverse(x, n, rms_eps);
    for (int i = 0; i < n; ++i) {
      const double ref = double(bf16_value(x[i])) * inv * bf16_value(w[i]);
      const double got = bf16_value(y[i]);
      if (!within_bf16_ulp(got, ref)) ++bad;
      const double e = std::fabs(got - ref) / (ref == 0 ? 1e-30 : std::ldexp(1.0, std::ilogb(ref) - 7));
      worst = std::isnan(e) ? INFINITY : std::max(worst, e);
    }
  }
  char text[200];
  std::snprintf(text, sizeof text, "%s: %lld of %lld elements beyond 1 bf16 ulp (worst %.2f ulp)", what.c_str(),
                static_cast<long long>(bad), static_cast<long long>(rows * n), worst);
  require_check(bad == 0, text);
  return true;
}

struct tensors {
  buffer<bf16> in, q_out, k_out, wq, wk;
};

// ----- DeepSeek MLA q / k_nope -----
tensors make_mla(int t) {
  tensors s{buffer<bf16>(std::size_t(t) * mla_row), buffer<bf16>(std::size_t(t) * mla_q),
            buffer<bf16>(std::size_t(t) * mla_k), buffer<bf16>(mla_q), buffer<bf16>(mla_k)};
  s.in.random(-2.0f, 2.0f);
  s.wq.random(0.5f, 1.5f);
  s.wk.random(0.5f, 1.5f);
  return s;
}
hipfuse::qk_rmsnorm_args<bf16> mla_args(const tensors& s, int t, bool in_place) {
  hipfuse::qk_rmsnorm_args<bf16> a;
  a.tokens = t;
  bf16* q_out = in_place ? s.in.get() : s.q_out.get();
  bf16* k_out = in_place ? s.in.get() + mla_q : s.k_out.get();
  a.q = {s.in.get(), q_out, mla_row, in_place ? mla_row : mla_q, 1, mla_q, s.wq.get(), rms_eps};
  a.k = {s.in.get() + mla_q, k_out, mla_row, in_place ? mla_row : mla_k, 1, mla_k, s.wk.get(), rms_eps};
  return a;
}

// ----- Qwen3 per-head q / k -----
tensors make_qwen(int t) {
  const std::size_t nq = qwen_heads_q * qwen_head_dim, nk = qwen_heads_kv * qwen_head_dim;
  tensors s{buffer<bf16>(std::size_t(t) * qwen_row), buffer<bf16>(t * nq), buffer<bf16>(t * nk),
            buffer<bf16>(qwen_head_dim), buffer<bf16>(qwen_head_dim)};
  s.in.random(-2.0f, 2.0f);
  s.wq.random(0.5f, 1.5f);
  s.wk.random(0.5f, 1.5f);
  return s;
}
hipfuse::qk_rmsnorm_args<bf16> qwen_args(const tensors& s, int t) {
  const int nq = qwen_heads_q * qwen_head_dim, nk = qwen_heads_kv * qwen_head_dim;
  hipfuse::qk_rmsnorm_args<bf16> a;
  a.tokens = t;
  a.q = {s.in.get(), s.q_out.get(), qwen_row, nq, qwen_heads_q, qwen_head_dim, s.wq.get(), rms_eps};
  a.k = {s.in.get() + nq, s.k_out.get(), qwen_row, nk, qwen_heads_kv, qwen_head_dim, s.wk.get(), rms_eps};
  return a;
}

// ----- plain RMSNorm [T, 7168] -----
tensors make_plain(int t) {
  tensors s{buffer<bf16>(std::size_t(t) * hidden), buffer<bf16>(std::size_t(t) * hidden), buffer<bf16>(0),
            buffer<bf16>(hidden), buffer<bf16>(0)};
  s.in.random(-2.0f, 2.0f);
  s.wq.random(0.5f, 1.5f);
  return s;
}
hipfuse::rmsnorm_args<bf16> plain_args(const tensors& s, int t) {
  hipfuse::rmsnorm_args<bf16> a;
  a.input = s.in.get();
  a.input_stride = hidden;
  a.output = s.q_out.get();
  a.output_stride = hidden;
  a.weight = s.wq.get();
  a.rows = t;
  a.hidden = hidden;
  a.eps = rms_eps;
  return a;
}

void checks() {
  {
    const int t = 1000;
    tensors s = make_mla(t);
    s.q_out.poison(0xFF);
    s.k_out.poison(0xFF);
    require_ok(hipfuse::qk_rmsnorm(mla_args(s, t, false)), "qk_rmsnorm (MLA)");
    const auto in = s.in.download(), q = s.q_out.download(), k = s.k_out.download();
    const auto wq = s.wq.download(), wk = s.wk.download();
    check_rows(in, q, wq, t, mla_q, [](std::int64_t r) { return r * mla_row; }, [](std::int64_t r) { return r * mla_q; },
               "qk_rmsnorm MLA q, T=1000");
    check_rows(in, k, wk, t, mla_k, [](std::int64_t r) { return r * mla_row + mla_q; },
               [](std::int64_t r) { return r * mla_k; }, "qk_rmsnorm MLA k, T=1000");
    // In place: q and k_nope normalized where they are, k_pe (columns 2048..2111) untouched.
    require_ok(hipfuse::qk_rmsnorm(mla_args(s, t, true)), "qk_rmsnorm (MLA, in place)");
    const auto after = s.in.download();
    check_rows(in, after, wq, t, mla_q, [](std::int64_t r) { return r * mla_row; },
               [](std::int64_t r) { return r * mla_row; }, "qk_rmsnorm MLA q in place, T=1000");
    check_rows(in, after, wk, t, mla_k, [](std::int64_t r) { return r * mla_row + mla_q; },
               [](std::int64_t r) { return r * mla_row + mla_q; }, "qk_rmsnorm MLA k in place, T=1000");
    bool pe_same = true;
    for (int r = 0; r < t; ++r)
      pe_same = pe_same && std::memcmp(&in[std::size_t(r) * mla_row + mla_q + mla_k],
                                       &after[std::size_t(r) * mla_row + mla_q + mla_k], 2 * (mla_row - mla_q - mla_k)) == 0;
    require_check(pe_same, "qk_rmsnorm MLA in place leaves k_pe untouched");
  }
  {
    const int t = 333;
    tensors s = make_qwen(t);
    s.q_out.poison(0xFF);
    s.k_out.poison(0xFF);
    require_ok(hipfuse::qk_rmsnorm(qwen_args(s, t)), "qk_rmsnorm (Qwen3)");
    const auto in = s.in.download(), q = s.q_out.download(), k = s.k_out.download();
    const auto wq = s.wq.download(), wk = s.wk.download();
    const int d = qwen_head_dim;
    check_rows(in, q, wq, std::int64_t(t) * qwen_heads_q, d,
               [&](std::int64_t r) { return (r / qwen_heads_q) * qwen_row + (r % qwen_heads_q) * d; },
               [&](std::int64_t r) { return r * d; }, "qk_rmsnorm Qwen3 q, T=333");
    check_rows(in, k, wk, std::int64_t(t) * qwen_heads_kv, d,
               [&](std::int64_t r) { return (r / qwen_heads_kv) * qwen_row + qwen_heads_q * d + (r % qwen_heads_kv) * d; },
               [&](std::int64_t r) { return r * d; }, "qk_rmsnorm Qwen3 k, T=333");
  }
  {
    const int t = 129;
    tensors s = make_plain(t);
    s.q_out.poison(0xFF);
    require_ok(hipfuse::rmsnorm(plain_args(s, t)), "rmsnorm");
    const auto in = s.in.download(), y = s.q_out.download(), w = s.wq.download();
    check_rows(in, y, w, t, hidden, [](std::int64_t r) { return r * hidden; }, [](std::int64_t r) { return r * hidden; },
               "rmsnorm [129, 7168]");
  }
}

// The floor under the MLA QK norm: the same bytes moved by the same grid with nothing computed.
// One block of 256 threads per token, each thread copying one 16-byte vector of q (threads 0..191)
// or k_nope (192..255) from the [T, 2112] buffer to the contiguous outputs, as the norm does. What
// a launch that reads and writes these bytes costs at each T, whatever it computes.
__global__ void __launch_bounds__(256) mla_copy_floor(const bf16* in, bf16* q_out, bf16* k_out) {
  constexpr int q_vectors = mla_q / 8;
  static_assert(mla_q % (8 * 32) == 0 && mla_k % (8 * 32) == 0 && q_vectors + mla_k / 8 == 256,
                "q and k_nope are whole warps of 16-byte vectors, 256 in all");
  const int tid = static_cast<int>(threadIdx.x);
  const bool in_q = tid < q_vectors;
  const int first = (in_q ? tid : tid - q_vectors) * 8;
  const std::int64_t token = blockIdx.x;
  const uint4 v = *reinterpret_cast<const uint4*>(in + token * mla_row + (in_q ? 0 : mla_q) + first);
  *reinterpret_cast<uint4*>((in_q ? q_out + token * mla_q : k_out + token * mla_k) + first) = v;
}

template <class Make, class Launch>
void run_op(report& rep, const options& opt, const std::string& op, const std::string& impl, const std::string& label,
            int t, double bytes, Make make, Launch launch) {
  const int sets = rotating_sets(static_cast<std::size_t>(bytes), rep.device());
  std::vector<tensors> data;
  data.reserve(sets);
  for (int i = 0; i < sets; ++i) data.push_back(make(t));
  result r;
  r.op = op;
  r.impl = impl;
  r.shape = "T=" + std::to_string(t) + " " + label;
  r.x_name = "T";
  r.x = t;
  r.bytes = bytes;
  r.t = time_launches([&](int i, cudaStream_t st) { return launch(data[i], st); }, sets, opt);
  rep.add(r);
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse_options(argc, argv);
  report rep(opt, "rmsnorm");
  checks();

  const double nq = qwen_heads_q * qwen_head_dim, nk = qwen_heads_kv * qwen_head_dim;
  for (const int t : token_counts(opt.quick)) {
    const double mla_bytes = 2.0 * t * (mla_q + mla_k) * 2 + (mla_q + mla_k) * 2;
    run_op(rep, opt, "qk_rmsnorm_mla", "hipfuse", "q1536+k512", t, mla_bytes, make_mla,
           [t](const tensors& s, cudaStream_t st) { return hipfuse::qk_rmsnorm(mla_args(s, t, false), st); });
    run_op(rep, opt, "qk_rmsnorm_mla", "hipfuse in place", "q1536+k512", t, mla_bytes, make_mla,
           [t](const tensors& s, cudaStream_t st) { return hipfuse::qk_rmsnorm(mla_args(s, t, true), st); });
    // Programmatic dependent launch: each launch may start while the one before it drains (what a
    // CUDA graph of an engine's layer with PDL enabled sees); not comparable with the peers' launches.
    run_op(rep, opt, "qk_rmsnorm_mla", "hipfuse PDL", "q1536+k512", t, mla_bytes, make_mla,
           [t](const tensors& s, cudaStream_t st) { return hipfuse::qk_rmsnorm(mla_args(s, t, false), pdl(st)); });
    run_op(rep, opt, "qk_rmsnorm_mla", "copy floor", "q1536+k512", t, mla_bytes, make_mla,
           [t](const tensors& s, cudaStream_t st) {
             mla_copy_floor<<<t, 256, 0, st>>>(s.in.get(), s.q_out.get(), s.k_out.get());
             return cuda_status(cudaGetLastError(), "mla_copy_floor");
           });
    run_op(rep, opt, "qk_rmsnorm_qwen3", "hipfuse", "q32x128+k8x128", t, 2.0 * t * (nq + nk) * 2 + 2.0 * qwen_head_dim * 2,
           make_qwen, [t](const tensors& s, cudaStream_t st) { return hipfuse::qk_rmsnorm(qwen_args(s, t), st); });
    run_op(rep, opt, "rmsnorm", "hipfuse", "K=7168", t, 2.0 * t * hidden * 2 + hidden * 2, make_plain,
           [t](const tensors& s, cudaStream_t st) { return hipfuse::rmsnorm(plain_args(s, t), st); });
    run_op(rep, opt, "rmsnorm", "hipfuse PDL", "K=7168", t, 2.0 * t * hidden * 2 + hidden * 2, make_plain,
           [t](const tensors& s, cudaStream_t st) { return hipfuse::rmsnorm(plain_args(s, t), pdl(st)); });
  }
  return rep.write();
}
