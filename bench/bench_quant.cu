// Per-1x128 FP8 quantization bf16 [T,7168] -> e4m3fn codes + fp32 scales, with the scales
// row-major [T,56] (as the torch peer writes them) and column-major with the stride rounded up to
// a multiple of 4 (the layout DeepGEMM/sglang allocate). Bytes: input read, codes and scales written.
// Both layouts are first checked bit for bit against a host reference written from the numerics:
//   scale = max(amax, eps) / 448 (fp32), q = e4m3fn_rne_saturate(x * (1 / scale)) (fp32 product).
#include <cstring>
#include <hipfuse/quant/group_quant_launch.hpp>
#include "harness.hpp"
#include "reference.hpp"
#include "shapes.hpp"

namespace {

using namespace hipfuse_bench;
using bf16 = hipfuse::bfloat16;
using fp8 = hipfuse::float8_e4m3fn;
using row_major_args = hipfuse::group_quant_args<bf16, hipfuse::scale_layout::row_major, float, group, fp8>;
using col4_args = hipfuse::group_quant_args<bf16, hipfuse::scale_layout::column_major_aligned4, float, group, fp8>;
constexpr int groups = hidden / group;
constexpr float eps = 1e-10f, fp8_max = 448.0f;

struct tensors {
  buffer<bf16> x;
  buffer<fp8> q;
  buffer<float> s;
};

tensors make(int t, std::int64_t scale_elements) {
  tensors d{buffer<bf16>(std::size_t(t) * hidden), buffer<fp8>(std::size_t(t) * hidden),
            buffer<float>(static_cast<std::size_t>(scale_elements))};
  d.x.random(-8.0f, 8.0f);
  return d;
}

template <class Args>
Args args_for(const tensors& d, int t) {
  Args a;
  a.input = d.x.get();
  a.input_row_stride = hidden;
  a.output = d.q.get();
  a.output_row_stride = hidden;
  a.scales = d.s.get();
  a.scale_stride = Args::layout::natural_stride(t, groups);
  a.rows = t;
  a.cols = hidden;
  return a;
}

std::int64_t row_major_scales(int t) { return std::int64_t(t) * groups; }
std::int64_t col4_scales(int t) { return std::int64_t(groups) * ((t + 3) / 4 * 4); }

// Codes and scales bit for bit; scale_at(m, g) is the layout's index.
template <class Args, class ScaleIndex>
void check(int t, std::int64_t scale_elements, ScaleIndex scale_at, const char* name) {
  tensors d = make(t, scale_elements);
  d.q.poison(0x7F);  // e4m3fn NaN: never a code of a finite input
  d.s.poison(0xFF);  // float NaN
  require_ok(hipfuse::group_quant(args_for<Args>(d, t)), "group_quant");
  const auto x = d.x.download();
  const auto q = d.q.download();
  const auto s = d.s.download();
  std::int64_t bad_codes = 0, bad_scales = 0;
  std::vector<float> xs(group);
  for (int m = 0; m < t; ++m) {
    for (int g = 0; g < groups; ++g) {
      const std::size_t base = std::size_t(m) * hidden + g * group;
      for (int i = 0; i < group; ++i) xs[i] = bf16_value(x[base + i]);
      const quantized_group want = quantize_group(xs.data(), group, eps, fp8_max);
      const float got_scale = s[scale_at(m, g)];
      if (std::memcmp(&got_scale, &want.scale, 4) != 0) ++bad_scales;
      for (int i = 0; i < group; ++i) bad_codes += q[base + i].bits != want.codes[i];
    }
  }
  char text[200];
  std::snprintf(text, sizeof text, "group_quant %s scales, T=%d: %lld code and %lld scale mismatches (bit exact)", name, t,
                static_cast<long long>(bad_codes), static_cast<long long>(bad_scales));
  require_check(bad_codes == 0 && bad_scales == 0, text);
}

template <class Args>
void run(report& rep, const options& opt, const char* impl, int t, std::int64_t (*scale_elements)(int)) {
  const double bytes = double(t) * hidden * 2 + double(t) * hidden + 4.0 * t * groups;
  const int sets = rotating_sets(static_cast<std::size_t>(bytes), rep.device());
  std::vector<tensors> data;
  data.reserve(sets);
  for (int i = 0; i < sets; ++i) data.push_back(make(t, scale_elements(t)));
  result r;
  r.op = "group_quant";
  r.impl = impl;
  r.shape = "T=" + std::to_string(t) + " K=" + std::to_string(hidden);
  r.x_name = "T";
  r.x = t;
  r.bytes = bytes;
  r.t = time_launches([&](int i, cudaStream_t st) { return hipfuse::group_quant(args_for<Args>(data[i], t), st); },
                      sets, opt);
  rep.add(r);
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse_options(argc, argv);
  report rep(opt, "quant");
  rep.note("group_quant: bf16 in, e4m3fn out, fp32 scales, eps 1e-10, fp8_max 448");
  check<row_major_args>(333, row_major_scales(333), [](int m, int g) { return std::size_t(m) * groups + g; },
                        "row-major");
  check<col4_args>(130, col4_scales(130), [](int m, int g) { return std::size_t(g) * 132 + m; },
                   "column-major aligned4");
  for (const int t : token_counts(opt.quick)) {
    run<row_major_args>(rep, opt, "hipfuse", t, row_major_scales);
    run<col4_args>(rep, opt, "hipfuse col-major-4 scales", t, col4_scales);
  }
  return rep.write();
}
