// Block-scale FP8 GEMM (DeepSeek-V3 "w8a8 block FP8 linear") on the DeepSeek shapes:
//   C[m, n] = bf16( Σ_kb (Σ_{k in kb} A[m, k]·B[n, k]) · sa[m, kb] · sb[n/128, kb] ), fp32 accumulation,
// A scales column-major with ld = M (the layout torch._scaled_mm reads), B standard [N, K].
// Two sizes are first checked against a float64 host product of the same fp8 inputs and scales.
// Where the CUDA toolkit has cuBLASLt (CMake finds it), its blockwise FP8 GEMM is timed in the same
// process with the samples interleaved with ours (and nothing else), after the card has been brought
// to its sustained clock; its output is compared with ours on every size before its time is recorded.
#include <chrono>
#include <cstring>
#include <functional>
#include <hipfuse/gemm/block_scale_gemm_launcher.hpp>
#include <hipfuse/gemm/fp8_linear.hpp>
#include "cublaslt_peer.hpp"
#include "gemm_operands.hpp"
#include "harness.hpp"
#include "reference.hpp"
#include "shapes.hpp"

namespace {

using namespace hipfuse_bench;
using fp8 = hipfuse::float8_e4m3fn;
using operands = gemm_operands;
using args_t = operands::args_type;

// fp8_linear's operands: bf16 x, and the GEMM's operands, whose A and A scales serve as the
// quantizer's workspace.
struct linear_operands {
  operands gemm;
  buffer<hipfuse::bfloat16> x;
  hipfuse::gemm::fp8_linear_args<fp8, hipfuse::bfloat16, hipfuse::gemm::scale_col_major, float> args;

  linear_operands(int m, int n, int k) : gemm(m, n, k), x(std::size_t(m) * k) {
    x.random(-3.0f, 3.0f);
    args.x = x.get();
    args.ldx = k;
    args.w = gemm.args.b;
    args.w_scale = gemm.args.b_scale;
    args.y = gemm.args.c;
    args.ldy = n;
    args.m = m;
    args.n = n;
    args.k = k;
    args.x_q = gemm.a.get();
    args.x_scale = gemm.sa.get();
    args.gemm_workspace = gemm.args.workspace;
    args.gemm_workspace_bytes = gemm.args.workspace_bytes;
  }
};

// Runs once on poisoned C and compares every element with the float64 product.
void check(int m, int n, int k) {
  operands op(m, n, k);
  op.c.poison(0xFF);  // bf16 0xFFFF is NaN: an unwritten element fails the check
  require_ok(hipfuse::block_scale_gemm(op.args), "block_scale_gemm");
  HIPFUSE_BENCH_CHECK(cudaDeviceSynchronize());
  const auto a = op.a.download(), b = op.b.download();
  const auto sa = op.sa.download(), sb = op.sb.download();
  const auto c = op.c.download();
  const int kb_count = k / group;
  std::vector<float> af(a.size()), bf(b.size());
  for (std::size_t i = 0; i < a.size(); ++i) af[i] = static_cast<float>(e4m3fn_value(a[i].bits));
  for (std::size_t i = 0; i < b.size(); ++i) bf[i] = static_cast<float>(e4m3fn_value(b[i].bits));
  std::vector<double> out(std::size_t(m) * n), ref(out.size());
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double acc = 0;
      for (int kb = 0; kb < kb_count; ++kb) {
        const float* x = &af[std::size_t(i) * k + kb * group];
        const float* y = &bf[std::size_t(j) * k + kb * group];
        double block = 0;  // products of fp8 values are exact in double; sums of 128 of them too
        for (int t = 0; t < group; ++t) block += double(x[t]) * double(y[t]);
        acc += block * sa[std::size_t(kb) * m + i] * sb[std::size_t(j / group) * kb_count + kb];
      }
      ref[std::size_t(i) * n + j] = acc;
      out[std::size_t(i) * n + j] = bf16_value(c[std::size_t(i) * n + j]);
    }
  }
  const double err = relative_error(out, ref);
  char what[160];
  std::snprintf(what, sizeof what, "block_scale_gemm M=%d N=%d K=%d: relative error %.2e <= 1e-2", m, n, k, err);
  require_check(err <= 1e-2, what);
}

// Relative difference of two bf16 outputs: |x - y|_2 / |y|_2.
double relative_difference(const std::vector<hipfuse::bfloat16>& x, const std::vector<hipfuse::bfloat16>& y) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double a = bf16_value(x[i]), b = bf16_value(y[i]);
    diff += (a - b) * (a - b);
    norm += b * b;
  }
  return norm > 0 ? std::sqrt(diff / norm) : (diff > 0 ? INFINITY : 0.0);
}

// Runs the largest DeepSeek GEMM for `seconds`: an H100 under sustained FP8 load settles at its
// power cap with a lower clock than in its first second, and every figure should be of that state.
void sustain_load(double seconds) {
  operands op(4096, 7168, 16384);
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
    for (int i = 0; i < 50; ++i) require_ok(hipfuse::block_scale_gemm(op.args), "sustained load");
    HIPFUSE_BENCH_CHECK(cudaDeviceSynchronize());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse_options(argc, argv);
  report rep(opt, "gemm");
  rep.note("A scales column-major (ld = M), B standard [N, K] K-major, fp32 scales, bf16 out; \"hipfuse\" is the "
           "automatic backend (wgmma + TMA on sm90) with a 16 MiB workspace (args.workspace), \"hipfuse mma.sync\" the "
           "generic tiles chosen explicitly");
  // A small-M tile and a large one, with N = 2112 (a partial 128-wide N tile).
  check(16, 2112, 7168);
  check(128, 2112, 7168);
#if defined(HIPFUSE_BENCH_CUBLASLT)
  cublaslt_blockwise lt;
  rep.note("cuBLASLt: its blockwise FP8 GEMM (VEC128 activation and BLK128x128 weight scales, the heuristic's first "
           "algorithm, 32 MiB workspace) called in this process, samples interleaved with hipfuse's");
#endif
  // Products with M >= 1024 are timed at the power cap: the first after load_s of sustained load,
  // each later one after a sixth of it. Smaller ones run on the card as the cells before them left
  // it: timed first thing after the 3 s of load, 2112x7168 at M = 1 took 11.4-13.8 us in three runs,
  // against 9.7-9.9 us for the same kernel later in the same runs (the clock on its way back from
  // the cap), which made that cell the one moving most between runs.
  const double load_s = opt.quick ? 0.5 : 3.0;
  bool at_cap = false;
  const auto load_before = [&](int m) {
    if (m < 1024) return;
    sustain_load(at_cap ? load_s / 6 : load_s);
    at_cap = true;
  };
  rep.note("M >= 1024 timed after sustained GEMM load (the card at its power cap; " +
           std::to_string(load_s).substr(0, 3) + " s before the first such product, " +
           std::to_string(load_s / 6).substr(0, 4) +
           " s before each other), smaller M as the cells before left the card; hipfuse's and cuBLASLt's samples "
           "interleaved");

  // The race first: hipfuse's and cuBLASLt's samples alternate, so each follows the other and both
  // run in the same state of the card. The generic mma.sync tiles come after, in a pass of their own:
  // a slower kernel of lower power sampled in between leaves the card below its power cap for the
  // next samples. Large products start from the sustained state again (the smaller M before them
  // leave the card cooler). Both matter on the H100: on the long-K shapes at M = 4096, cuBLASLt
  // gains more than hipfuse from a card below its cap (docs/gemm-hopper.md compares the states).
  struct size_case {
    gemm_shape s;
    int m;
  };
  std::vector<size_case> cases;
  for (const gemm_shape s : gemm_shapes(opt.quick))
    for (const int m : gemm_ms(opt.quick)) cases.push_back({s, m});
  // The operands of a case, rotated over enough sets that they come from memory, not L2.
  const auto make_operands = [&](const size_case& c, double& bytes) {
    bytes = gemm_bytes(c.m, c.s.n, c.s.k);
    const int sets = rotating_sets(static_cast<std::size_t>(bytes), rep.device());
    std::vector<operands> ops;
    ops.reserve(sets);
    for (int i = 0; i < sets; ++i) ops.emplace_back(c.m, c.s.n, c.s.k);
    return ops;
  };
  const auto base_result = [](const size_case& c, double bytes) {
    result r;
    r.op = "gemm_blockscale";
    r.variant = std::to_string(c.s.n) + "x" + std::to_string(c.s.k);
    r.shape = "N=" + std::to_string(c.s.n) + " K=" + std::to_string(c.s.k) + " M=" + std::to_string(c.m);
    r.x_name = "M";
    r.x = c.m;
    r.bytes = bytes;
    r.flops = 2.0 * c.m * c.s.n * c.s.k;
    return r;
  };
  for (const size_case& c : cases) {
    double bytes = 0;
    std::vector<operands> ops = make_operands(c, bytes);
    const int sets = static_cast<int>(ops.size());
    result r = base_result(c, bytes);
    r.impl = "hipfuse";
    r.checked = c.s.n == 2112 && c.s.k == 7168 && (c.m == 16 || c.m == 128);
    std::vector<std::function<hipfuse::status(int, cudaStream_t)>> launches = {
        [&](int i, cudaStream_t st) { return hipfuse::block_scale_gemm(ops[i].args, st); }};
#if defined(HIPFUSE_BENCH_CUBLASLT)
    const hipfuse::status planned = lt.plan(ops[0].args);
    if (planned.ok()) launches.push_back([&](int i, cudaStream_t st) { return lt.run(ops[i].args, st); });
#endif
    load_before(c.m);
    const std::vector<timing> t = time_interleaved(launches, sets, opt);
    r.t = t[0];
    rep.add(r);
#if defined(HIPFUSE_BENCH_CUBLASLT)
    result l = r;
    l.impl = "cuBLASLt";
    l.checked = false;
    if (planned.ok()) {
      // The same product as ours, or no time: cuBLASLt's output on set 0 against hipfuse's.
      require_ok(lt.run(ops[0].args, nullptr), "cuBLASLt");
      const auto theirs = ops[0].c.download();
      require_ok(hipfuse::block_scale_gemm(ops[0].args), "block_scale_gemm");
      const double diff = relative_difference(theirs, ops[0].c.download());
      char note[96];
      std::snprintf(note, sizeof note, "output within %.1e of hipfuse's (relative L2)", diff);
      l.t = t[1];
      if (diff > 1e-2) {
        l.t.median_us = l.t.min_us = l.t.max_us = NAN;
        l.t.error = std::string("a different product: ") + note;
      } else {
        l.note = note;
      }
    } else {
      l.t = timing::untimed(planned.message);
    }
    rep.add(l);
#endif
  }
  // A chain of programmatic dependent launches, each GEMM told that the one before does not write
  // its weights: each may launch while the one before finishes and copies its first B slabs
  // meanwhile (what a CUDA graph of an engine's layer with PDL enabled sees; compare with the
  // run's empty chained launch, not with the peers' launches). Its samples alternate with the
  // unchained launches', whose time in the same samples goes into the note.
  for (const size_case& c : cases) {
    double bytes = 0;
    std::vector<operands> ops = make_operands(c, bytes);
    for (operands& o : ops) o.args.b_independent_of_previous_kernel = true;
    result r = base_result(c, bytes);
    r.impl = "hipfuse PDL";
    r.checked = false;
    load_before(c.m);
    const std::vector<timing> t = time_interleaved(
        {[&](int i, cudaStream_t st) { return hipfuse::block_scale_gemm(ops[i].args, pdl(st)); },
         [&](int i, cudaStream_t st) { return hipfuse::block_scale_gemm(ops[i].args, st); }},
        static_cast<int>(ops.size()), opt);
    r.t = t[0];
    char note[96];
    std::snprintf(note, sizeof note, "unchained in the same samples: %.2f us", t[1].median_us);
    r.note = note;
    rep.add(r);
  }
  // fp8_linear: group_quant of bf16 x into a workspace, then the GEMM, which it chains to the
  // quantizer (the GEMM copies its weight while the quantizer finishes), against the same two
  // launches unchained; samples interleaved.
  for (const size_case& c : cases) {
    // The GEMM's bytes and x's (the quantizer's output is the GEMM's A, counted once).
    const double bytes = gemm_bytes(c.m, c.s.n, c.s.k) + 2.0 * c.m * c.s.k;
    std::vector<linear_operands> ops;
    const int sets = rotating_sets(static_cast<std::size_t>(bytes), rep.device());
    ops.reserve(sets);
    for (int i = 0; i < sets; ++i) ops.emplace_back(c.m, c.s.n, c.s.k);
    result r = base_result(c, bytes);
    r.op = "fp8_linear";
    r.checked = false;
    load_before(c.m);
    const std::vector<timing> t = time_interleaved(
        {[&](int i, cudaStream_t st) { return hipfuse::fp8_linear(ops[i].args, st); },
         [&](int i, cudaStream_t st) {
           if (hipfuse::status s = hipfuse::group_quant(ops[i].args.quantization(), st); !s.ok()) return s;
           return hipfuse::block_scale_gemm(ops[i].args.gemm(), st);
         }},
        sets, opt);
    r.impl = "hipfuse";
    r.t = t[0];
    rep.add(r);
    r.impl = "hipfuse unchained";
    r.t = t[1];
    rep.add(r);
  }
  // The generic tiles (what sm89 runs, and sm90 for preshuffled B), chosen explicitly.
  for (const size_case& c : cases) {
    double bytes = 0;
    std::vector<operands> ops = make_operands(c, bytes);
    result g = base_result(c, bytes);
    g.impl = "hipfuse mma.sync";
    g.checked = false;
    const auto generic = [&](int i, cudaStream_t st) {
      return hipfuse::block_scale_gemm<hipfuse::backend::mma_sync_e4m3>(ops[i].args, st);
    };
    g.t = time_launches(generic, static_cast<int>(ops.size()), opt);
    rep.add(g);
  }
  return rep.write();
}
