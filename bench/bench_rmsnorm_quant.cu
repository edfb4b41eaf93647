// Fused RMSNorm -> per-1x128 FP8 quantization, bf16 in, e4m3fn codes + fp32 row-major scales out:
//   rmsnorm_quant      [T,7168] (the activations before a linear layer); also timed unfused
//                      (rmsnorm then group_quant: two launches and a bf16 intermediate);
//   mla_rmsnorm_quant  DeepSeek MLA: q [T,1536] of a [T,2112] buffer normalized and quantized,
//                      k_nope [T,512] normalized to bf16, in one launch.
// Bytes: inputs and weights read once, codes, scales (and k) written once; no intermediate.
// Checked first with the optional unquantized output on: it within 1 bf16 ulp of float64, and
// codes and scales bit for bit the quantization of that output.
#include <hipfuse/quant/rmsnorm_quant_launch.hpp>
#include "harness.hpp"
#include "reference.hpp"
#include "shapes.hpp"

namespace {

using namespace hipfuse_bench;
using bf16 = hipfuse::bfloat16;
using fp8 = hipfuse::float8_e4m3fn;
using fused_args = hipfuse::rmsnorm_quant_args<bf16, hipfuse::scale_layout::row_major, float, group, fp8>;
using quant_args = hipfuse::group_quant_args<bf16, hipfuse::scale_layout::row_major, float, group, fp8>;

struct tensors {
  int t = 0, cols = 0, in_stride = 0;
  buffer<bf16> x, w, wk, y, k_out;  // y: the unquantized output (checks, unfused path)
  buffer<fp8> q;
  buffer<float> s;
};

// [T, cols] rows of a [T, in_stride] buffer; with_k: k_nope follows q in the same rows (MLA).
tensors make(int t, int cols, int in_stride, bool with_k) {
  tensors d;
  d.t = t;
  d.cols = cols;
  d.in_stride = in_stride;
  d.x = buffer<bf16>(std::size_t(t) * in_stride);
  d.w = buffer<bf16>(cols);
  d.y = buffer<bf16>(std::size_t(t) * cols);
  d.q = buffer<fp8>(std::size_t(t) * cols);
  d.s = buffer<float>(std::size_t(t) * (cols / group));
  if (with_k) {
    d.wk = buffer<bf16>(mla_k);
    d.k_out = buffer<bf16>(std::size_t(t) * mla_k);
    d.wk.random(0.5f, 1.5f);
  }
  d.x.random(-2.0f, 2.0f);
  d.w.random(0.5f, 1.5f);
  return d;
}

fused_args args_for(const tensors& d, bool write_y) {
  fused_args a;
  a.input = d.x.get();
  a.input_stride = d.in_stride;
  a.weight = d.w.get();
  a.eps = rms_eps;
  a.output = write_y ? d.y.get() : nullptr;
  a.output_stride = d.cols;
  a.codes = d.q.get();
  a.code_stride = d.cols;
  a.scales = d.s.get();
  a.scale_stride = d.cols / group;
  a.rows = d.t;
  a.cols = d.cols;
  if (d.k_out.size()) {
    a.second.input = d.x.get() + d.cols;
    a.second.input_stride = d.in_stride;
    a.second.output = d.k_out.get();
    a.second.output_stride = mla_k;
    a.second.weight = d.wk.get();
    a.second.rows = d.t;
    a.second.cols = mla_k;
    a.second.eps = rms_eps;
  }
  return a;
}

// The unfused pair: rmsnorm into y (for MLA the QK norm of q into y and of k_nope into k_out),
// then group_quant of y.
hipfuse::status unfused(const tensors& d, cudaStream_t st) {
  if (d.k_out.size()) {
    hipfuse::qk_rmsnorm_args<bf16> qk;
    qk.tokens = d.t;
    qk.q = {d.x.get(), d.y.get(), d.in_stride, d.cols, 1, d.cols, d.w.get(), rms_eps};
    qk.k = {d.x.get() + d.cols, d.k_out.get(), d.in_stride, mla_k, 1, mla_k, d.wk.get(), rms_eps};
    if (hipfuse::status s = hipfuse::qk_rmsnorm(qk, st); !s.ok()) return s;
  } else {
    hipfuse::rmsnorm_args<bf16> n;
    n.input = d.x.get();
    n.input_stride = d.in_stride;
    n.output = d.y.get();
    n.output_stride = d.cols;
    n.weight = d.w.get();
    n.rows = d.t;
    n.hidden = d.cols;
    n.eps = rms_eps;
    if (hipfuse::status s = hipfuse::rmsnorm(n, st); !s.ok()) return s;
  }
  quant_args q;
  q.input = d.y.get();
  q.input_row_stride = d.cols;
  q.output = d.q.get();
  q.output_row_stride = d.cols;
  q.scales = d.s.get();
  q.scale_stride = d.cols / group;
  q.rows = d.t;
  q.cols = d.cols;
  return hipfuse::group_quant(q, st);
}

// Normalized rows within 1 ulp of float64; codes and scales exactly the quantization of them.
void check_normalized(const std::vector<bf16>& x, int stride, int offset, const std::vector<bf16>& w,
                      const std::vector<bf16>& y, int t, int cols, std::int64_t& bad) {
  for (int r = 0; r < t; ++r) {
    const bf16* xr = &x[std::size_t(r) * stride + offset];
    const double inv = rms_inverse(xr, cols, rms_eps);
    for (int i = 0; i < cols; ++i)
      bad += !within_bf16_ulp(bf16_value(y[std::size_t(r) * cols + i]), double(bf16_value(xr[i])) * inv * bf16_value(w[i]));
  }
}

void check(int t, int cols, int in_stride, bool with_k, const char* name) {
  tensors d = make(t, cols, in_stride, with_k);
  d.y.poison(0xFF);
  d.q.poison(0x7F);
  d.s.poison(0xFF);
  if (with_k) d.k_out.poison(0xFF);
  require_ok(hipfuse::rmsnorm_quant(args_for(d, true)), "rmsnorm_quant");
  const auto x = d.x.download(), w = d.w.download(), y = d.y.download();
  const auto q = d.q.download();
  const auto s = d.s.download();
  std::int64_t bad_y = 0, bad_codes = 0, bad_scales = 0, bad_k = 0;
  check_normalized(x, in_stride, 0, w, y, t, cols, bad_y);
  std::vector<float> ys(group);
  for (int r = 0; r < t; ++r) {
    for (int g = 0; g < cols / group; ++g) {
      const std::size_t base = std::size_t(r) * cols + g * group;
      for (int i = 0; i < group; ++i) ys[i] = bf16_value(y[base + i]);
      const quantized_group want = quantize_group(ys.data(), group);
      const float got = s[std::size_t(r) * (cols / group) + g];
      bad_scales += std::memcmp(&got, &want.scale, 4) != 0;
      for (int i = 0; i < group; ++i) bad_codes += q[base + i].bits != want.codes[i];
    }
  }
  if (with_k) check_normalized(x, in_stride, cols, d.wk.download(), d.k_out.download(), t, mla_k, bad_k);
  char text[240];
  std::snprintf(text, sizeof text,
                "rmsnorm_quant %s, T=%d: %lld normalized values beyond 1 bf16 ulp, %lld code and %lld scale mismatches, "
                "%lld k values beyond 1 ulp",
                name, t, static_cast<long long>(bad_y), static_cast<long long>(bad_codes),
                static_cast<long long>(bad_scales), static_cast<long long>(bad_k));
  require_check(bad_y == 0 && bad_codes == 0 && bad_scales == 0 && bad_k == 0, text);
}

template <class Launch>
void run(report& rep, const options& opt, const char* op, const char* impl, int t, int cols, int in_stride, bool with_k,
         double bytes, Launch launch) {
  const int sets = rotating_sets(static_cast<std::size_t>(bytes), rep.device());
  std::vector<tensors> data;
  data.reserve(sets);
  for (int i = 0; i < sets; ++i) data.push_back(make(t, cols, in_stride, with_k));
  result r;
  r.op = op;
  r.impl = impl;
  r.shape = with_k ? "T=" + std::to_string(t) + " q1536+k512" : "T=" + std::to_string(t) + " K=" + std::to_string(cols);
  r.x_name = "T";
  r.x = t;
  r.bytes = bytes;
  r.t = time_launches([&](int i, cudaStream_t st) { return launch(data[i], st); }, sets, opt);
  rep.add(r);
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse_options(argc, argv);
  report rep(opt, "rmsnorm_quant");
  rep.note("rmsnorm_quant: bf16 in, e4m3fn codes, fp32 row-major scales, eps 1e-6 / 1e-10, fp8_max 448");
  check(77, hidden, hidden, false, "[T,7168]");
  check(200, mla_q, mla_row, true, "MLA q+k_nope");

  const auto fused = [](const tensors& d, cudaStream_t st) { return hipfuse::rmsnorm_quant(args_for(d, false), st); };
  // Launched in a chain of programmatic dependent launches, as in a CUDA graph of a layer with PDL
  // (compare with the run's empty chained launch, not with the peers' launches).
  const auto fused_pdl = [](const tensors& d, cudaStream_t st) {
    return hipfuse::rmsnorm_quant(args_for(d, false), pdl(st));
  };
  for (const int t : token_counts(opt.quick)) {
    const double groups = hidden / group;
    const double bytes = 2.0 * t * hidden + 2.0 * hidden + double(t) * hidden + 4.0 * t * groups;
    run(rep, opt, "rmsnorm_quant", "hipfuse", t, hidden, hidden, false, bytes, fused);
    run(rep, opt, "rmsnorm_quant", "hipfuse unfused", t, hidden, hidden, false, bytes, unfused);
    const double mla_bytes = 2.0 * t * (mla_q + mla_k) + 2.0 * (mla_q + mla_k) + double(t) * mla_q +
                             4.0 * t * (mla_q / group) + 2.0 * t * mla_k;
    run(rep, opt, "mla_rmsnorm_quant", "hipfuse", t, mla_q, mla_row, true, mla_bytes, fused);
    run(rep, opt, "mla_rmsnorm_quant", "hipfuse unfused", t, mla_q, mla_row, true, mla_bytes, unfused);
    run(rep, opt, "mla_rmsnorm_quant", "hipfuse PDL", t, mla_q, mla_row, true, mla_bytes, fused_pdl);
  }
  return rep.write();
}
