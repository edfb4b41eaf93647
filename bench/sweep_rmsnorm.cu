// Shape sweep for the RMSNorm tier table (not part of bench/run_all.sh): times the row kernels
// directly with several row_config shapes per op and token count, so one GPU run shows which
// shape each tier should use and where the latency/streaming switch belongs.
//   ops: rmsnorm [T,7168], without and with a residual added first; MLA q1536+k512 QK norm (out
//        of place); rmsnorm->fp8 [T,7168]; MLA rmsnorm->fp8 of q with k_nope normalized.
// Every shape's output is first compared bit for bit with the launcher's (same arithmetic).
// Output: one line per (op, T, shape) and the best shape per (op, T).
#include <cstring>
#include <functional>
#include <map>
#include <hipfuse/norm/rmsnorm_launch.hpp>
#include <hipfuse/quant/rmsnorm_quant_launch.hpp>
#include "harness.hpp"
#include "shapes.hpp"

namespace {

using namespace hipfuse_bench;
using bf16 = hipfuse::bfloat16;
using fp8 = hipfuse::float8_e4m3fn;
using arch_t = hipfuse::arch::sm90;
using norm_policy = hipfuse::policy<arch_t>;
using native_policy = hipfuse::policy<arch_t, hipfuse::backend::native>;  // one barrier instead of CUB's two
using quant_policy = hipfuse::quant_policy_t<arch_t, fp8>;
using layout = hipfuse::scale_layout::row_major;

template <int R, int V, int B, bool P = false>
using cfg = hipfuse::row_config<R, V, 8, B, P>;
// Two 16-byte vectors per lane and group piece (what the fused launcher takes when the row allows).
template <int R, int V, int B, bool P = false>
using cfg16 = hipfuse::row_config<R, V, 16, B, P>;

struct data {
  int t = 0, cols = 0, stride = 0;
  bool mla = false, residual = false;
  buffer<bf16> x, w, wk, y, k_out, res, res0;  // res: updated in place; res0: its first values
  buffer<fp8> q;
  buffer<float> s;
};

data make(int t, bool mla, bool residual = false) {
  data d;
  d.t = t;
  d.mla = mla;
  d.residual = residual;
  d.cols = mla ? mla_q : hidden;
  d.stride = mla ? mla_row : hidden;
  d.x = buffer<bf16>(std::size_t(t) * d.stride);
  d.w = buffer<bf16>(d.cols);
  d.y = buffer<bf16>(std::size_t(t) * d.cols);
  d.q = buffer<fp8>(std::size_t(t) * d.cols);
  d.s = buffer<float>(std::size_t(t) * (d.cols / group));
  if (mla) {
    d.wk = buffer<bf16>(mla_k);
    d.k_out = buffer<bf16>(std::size_t(t) * mla_k);
    d.wk.random(0.5f, 1.5f);
  }
  d.x.random(-2.0f, 2.0f);
  d.w.random(0.5f, 1.5f);
  if (residual) {
    d.res = buffer<bf16>(std::size_t(t) * d.stride);
    d.res0 = buffer<bf16>(std::size_t(t) * d.stride);
    d.res0.random(-1.0f, 1.0f);
    HIPFUSE_BENCH_CHECK(cudaMemcpy(d.res.get(), d.res0.get(), d.res.bytes(), cudaMemcpyDeviceToDevice));
  }
  return d;
}

// The norm's row sets: q (or the whole row), then k_nope for MLA.
void norm_sets(const data& d, hipfuse::row_set<bf16, bf16>& a, hipfuse::row_set<bf16, bf16>& b) {
  a = {};
  b = {};
  a.input = d.x.get();
  a.output = d.y.get();
  a.weight = d.w.get();
  a.input_stride = d.stride;
  a.output_stride = d.cols;
  a.rows = d.t;
  a.n = d.cols;
  a.eps = rms_eps;
  if (d.residual) {
    a.residual = d.res.get();
    a.residual_stride = d.stride;
  }
  if (d.mla) {
    b.input = d.x.get() + mla_q;
    b.output = d.k_out.get();
    b.weight = d.wk.get();
    b.input_stride = d.stride;
    b.output_stride = mla_k;
    b.rows = d.t;
    b.n = mla_k;
    b.eps = rms_eps;
  }
}

template <class C, class P = norm_policy>
hipfuse::status launch_norm(const data& d, cudaStream_t st) {
  hipfuse::row_set<bf16, bf16> a, b;
  norm_sets(d, a, b);
  const auto go = [&](auto residual) {
    constexpr bool R = decltype(residual)::value;
    using F = hipfuse::rmsnorm_rows<P, bf16, bf16, C, R, false>;
    const auto blocks = F::blocks_for(a.rows + b.rows);
    hipfuse::rmsnorm_rows_kernel<P, bf16, bf16, C, R, false><<<static_cast<int>(blocks), C::block_threads, 0, st>>>(a, b);
  };
  if (d.residual) {
    go(std::true_type{});
  } else {
    go(std::false_type{});
  }
  return cuda_status(cudaGetLastError(), "norm kernel");
}

template <class C>
hipfuse::status launch_quant(const data& d, cudaStream_t st) {
  using F = hipfuse::rmsnorm_quant_rows<quant_policy, bf16, C, layout, float, group, false>;
  typename F::params p{};
  hipfuse::row_set<bf16, bf16> a, b;
  norm_sets(d, a, b);
  p.quantized = a;
  p.quantized.output = nullptr;
  p.codes = d.q.get();
  p.code_stride = d.cols;
  p.scales = {d.s.get(), d.cols / group};
  p.fp8_max = fp8::max_finite;
  p.quant_eps = 1e-10f;
  p.plain = b;
  const auto blocks = F::blocks_for(a.rows + b.rows);
  hipfuse::rmsnorm_quant_kernel<F><<<static_cast<int>(blocks), C::block_threads, 0, st>>>(p);
  return cuda_status(cudaGetLastError(), "quant kernel");
}

hipfuse::status launcher_norm(const data& d, cudaStream_t st) {
  if (d.mla) {
    hipfuse::qk_rmsnorm_args<bf16> a;
    a.tokens = d.t;
    a.q = {d.x.get(), d.y.get(), mla_row, mla_q, 1, mla_q, d.w.get(), rms_eps};
    a.k = {d.x.get() + mla_q, d.k_out.get(), mla_row, mla_k, 1, mla_k, d.wk.get(), rms_eps};
    return hipfuse::qk_rmsnorm(a, st);
  }
  hipfuse::rmsnorm_args<bf16> a;
  a.input = d.x.get();
  a.input_stride = d.stride;
  a.output = d.y.get();
  a.output_stride = d.cols;
  a.weight = d.w.get();
  a.rows = d.t;
  a.hidden = d.cols;
  a.eps = rms_eps;
  if (d.residual) {
    a.residual = d.res.get();
    a.residual_stride = d.stride;
  }
  return hipfuse::rmsnorm(a, st);
}

hipfuse::status launcher_quant(const data& d, cudaStream_t st) {
  hipfuse::rmsnorm_quant_args<bf16, layout, float, group, fp8> a;
  a.input = d.x.get();
  a.input_stride = d.stride;
  a.weight = d.w.get();
  a.eps = rms_eps;
  a.codes = d.q.get();
  a.code_stride = d.cols;
  a.scales = d.s.get();
  a.scale_stride = d.cols / group;
  a.rows = d.t;
  a.cols = d.cols;
  if (d.mla) {
    a.second.input = d.x.get() + mla_q;
    a.second.input_stride = d.stride;
    a.second.output = d.k_out.get();
    a.second.output_stride = mla_k;
    a.second.weight = d.wk.get();
    a.second.rows = d.t;
    a.second.cols = mla_k;
    a.second.eps = rms_eps;
  }
  return hipfuse::rmsnorm_quant(a, st);
}

using launch_fn = std::function<hipfuse::status(const data&, cudaStream_t)>;
struct variant {
  std::string name;
  launch_fn launch;
};

template <class C, class P = norm_policy>
variant norm_variant(const char* name) {
  return {name, [](const data& d, cudaStream_t st) { return launch_norm<C, P>(d, st); }};
}
template <class C>
variant quant_variant(const char* name) {
  return {name, [](const data& d, cudaStream_t st) { return launch_quant<C>(d, st); }};
}

// Output bytes of a launch, for the bitwise comparison with the launcher.
std::vector<unsigned char> outputs(const data& d, bool quant) {
  std::vector<unsigned char> out;
  auto add = [&](const auto& b) {
    const auto h = b.download();
    const auto* p = reinterpret_cast<const unsigned char*>(h.data());
    out.insert(out.end(), p, p + h.size() * sizeof(h[0]));
  };
  if (quant) {
    add(d.q);
    add(d.s);
  } else {
    add(d.y);
  }
  if (d.mla) add(d.k_out);
  if (d.residual) add(d.res);
  return out;
}

// Outputs poisoned, the residual back to its first values (each launch adds the input to it).
void poison(data& d) {
  d.y.poison(0xFF);
  d.q.poison(0x7F);
  d.s.poison(0xFF);
  if (d.mla) d.k_out.poison(0xFF);
  if (d.residual) HIPFUSE_BENCH_CHECK(cudaMemcpy(d.res.get(), d.res0.get(), d.res.bytes(), cudaMemcpyDeviceToDevice));
}

void sweep(report& rep, const options& opt, const char* op, bool mla, bool quant, const std::vector<variant>& vs,
           const std::vector<int>& tokens, bool residual = false) {
  {  // every variant computes exactly what the launcher computes
    const int t = 1000;
    data d = make(t, mla, residual);
    poison(d);
    require_ok(quant ? launcher_quant(d, nullptr) : launcher_norm(d, nullptr), "launcher");
    const auto want = outputs(d, quant);
    for (const variant& v : vs) {
      poison(d);
      require_ok(v.launch(d, nullptr), v.name.c_str());
      // Shapes with other threads per row sum the squares in another order (an ulp apart now and
      // then): a few differing bytes are expected, many mean a broken shape.
      const auto got = outputs(d, quant);
      std::size_t diff = 0;
      for (std::size_t i = 0; i < got.size(); ++i) diff += got[i] != want[i];
      std::fprintf(stderr, "  %s %s: %zu of %zu bytes differ from the launcher\n", op, v.name.c_str(), diff, got.size());
      require_check(diff * 100 <= got.size(), std::string(op) + " " + v.name + " matches the launcher, T=1000");
    }
  }
  std::vector<variant> all = vs;
  all.insert(all.begin(), variant{"launcher", quant ? launch_fn(launcher_quant) : launch_fn(launcher_norm)});
  for (const int t : tokens) {
    const double cols = mla ? mla_q : hidden;
    double bytes = 0;
    if (quant) bytes = t * cols * (2.0 + 1.0 + 4.0 / group) + cols * 2 + (mla ? t * mla_k * 4.0 + mla_k * 2 : 0.0);
    else bytes = (residual ? 4.0 : 2.0) * t * (cols + (mla ? mla_k : 0)) * 2 + (cols + (mla ? mla_k : 0)) * 2;
    const int sets = rotating_sets(static_cast<std::size_t>(bytes), rep.device());
    std::vector<data> ds;
    ds.reserve(sets);
    for (int i = 0; i < sets; ++i) ds.push_back(make(t, mla, residual));
    double best = 1e30;
    std::string best_name;
    for (const variant& v : all) {
      result r;
      r.op = op;
      r.impl = "hipfuse";
      r.variant = v.name;
      r.shape = "T=" + std::to_string(t);
      r.x_name = "T";
      r.x = t;
      r.bytes = bytes;
      r.t = time_launches([&](int i, cudaStream_t st) { return v.launch(ds[i], st); }, sets, opt);
      if (r.t.median_us < best) {
        best = r.t.median_us;
        best_name = v.name;
      }
      rep.add(r);
    }
    std::fprintf(stderr, "BEST %-18s T=%-6d %-16s %9.2f us %6.0f GB/s (%3.0f%% of copy)\n", op, t, best_name.c_str(), best,
                 bytes / (best * 1e3), 100.0 * bytes / (best * 1e3) / rep.copy_gbs());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse_options(argc, argv);
  report rep(opt, "sweep_rmsnorm");
  const std::vector<int> tokens = token_counts(opt.quick);
  const char* only = std::getenv("SWEEP_ONLY");
  auto want = [&](const char* op) { return !only || std::strstr(only, op) != nullptr; };
  std::fprintf(stderr, "EMPTY kernel launch %9.2f us\n", measure_empty_launch_us(opt));  // the floor of every row

  // The table's choices ("launcher") against their nearest rivals: "each" streams (weights read
  // per vector after the reduction), "pre" prefetches the weights with the row.
  if (want("rms7168"))
    sweep(rep, opt, "rms7168", false, false,
          {norm_variant<cfg<256, 4, 256>>("256x4 each"), norm_variant<cfg<256, 4, 256, true>>("256x4 pre"),
           norm_variant<cfg<512, 2, 512, true>>("512x2 pre"),
           norm_variant<cfg<256, 4, 256, true>, native_policy>("256x4 pre native"),
           norm_variant<cfg<512, 2, 512, true>, native_policy>("512x2 pre native"),
           norm_variant<cfg<256, 4, 256>, native_policy>("256x4 each native"),
           norm_variant<cfg<128, 7, 128, true>, native_policy>("128x7 pre native"),
           norm_variant<cfg<1024, 1, 1024, true>, native_policy>("1024x1 pre native")},
          tokens);
  // The same with a residual added first (x + residual, written back, then normalized).
  if (want("rmsres7168"))
    sweep(rep, opt, "rmsres7168", false, false,
          {norm_variant<cfg<256, 4, 256>>("256x4 each"), norm_variant<cfg<256, 4, 256, true>>("256x4 pre"),
           norm_variant<cfg<512, 2, 512, true>>("512x2 pre"), norm_variant<cfg<128, 7, 128, true>>("128x7 pre"),
           norm_variant<cfg<128, 7, 128>>("128x7 each"), norm_variant<cfg16<256, 2, 256, true>>("256x2x16 pre")},
          tokens, true);
  if (want("mla_qk"))
    sweep(rep, opt, "mla_qk", true, false,
          {norm_variant<cfg<32, 6, 256>>("32x6/256 each"), norm_variant<cfg<32, 6, 128>>("32x6/128 each"),
           norm_variant<cfg<32, 6, 64, true>>("32x6/64 pre"), norm_variant<cfg<32, 6, 128, true>>("32x6/128 pre"),
           norm_variant<cfg<32, 6, 32, true>>("32x6/32 pre"),
           norm_variant<cfg<64, 3, 64, true>, native_policy>("64x3 pre native"),
           norm_variant<cfg<128, 2, 128, true>, native_policy>("128x2 pre native"),
           norm_variant<cfg<256, 1, 256, true>, native_policy>("256x1 pre native"),
           norm_variant<cfg<256, 1, 256, true>>("256x1 pre")},
          tokens);
  if (want("rmsq7168"))
    sweep(rep, opt, "rmsq7168", false, true,
          {quant_variant<cfg16<256, 2, 256>>("256x2x16 each"), quant_variant<cfg16<128, 4, 128>>("128x4x16 each"),
           quant_variant<cfg16<512, 1, 512, true>>("512x1x16 pre"), quant_variant<cfg16<256, 2, 256, true>>("256x2x16 pre"),
           quant_variant<cfg<128, 7, 128>>("128x7 each"), quant_variant<cfg<128, 8, 128>>("128x8 each"),
           quant_variant<cfg<256, 4, 256>>("256x4 each"), quant_variant<cfg<128, 7, 128, true>>("128x7 pre"),
           quant_variant<cfg<256, 4, 256, true>>("256x4 pre"), quant_variant<cfg<512, 2, 512, true>>("512x2 pre")},
          tokens);
  if (want("mla_quant"))
    sweep(rep, opt, "mla_quant", true, true,
          {quant_variant<cfg<32, 6, 256>>("32x6/256 each"), quant_variant<cfg<32, 6, 128>>("32x6/128 each"),
           quant_variant<cfg<32, 6, 64, true>>("32x6/64 pre"), quant_variant<cfg<32, 6, 128, true>>("32x6/128 pre"),
           quant_variant<cfg<256, 1, 256, true>>("256x1 pre"), quant_variant<cfg<64, 3, 64, true>>("64x3 pre"),
           quant_variant<cfg16<32, 3, 256>>("32x3x16/256 each"), quant_variant<cfg16<64, 2, 64, true>>("64x2x16 pre"),
           quant_variant<cfg16<128, 1, 128, true>>("128x1x16 pre")},
          tokens);
  return rep.write();
}
