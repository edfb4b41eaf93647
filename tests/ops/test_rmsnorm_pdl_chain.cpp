// Programmatic dependent launch (platform::launch_stream): a chain of dependent launches, each
// allowed to start while the one before it drains, gives exactly what the plain chain gives. Every
// step reads what the step before wrote (RMSNorm with a residual writes y and the residual, the
// quantizer reads y, the QK norm rewrites a buffer the quantizer read, the fused RMSNorm -> FP8
// reads that and rewrites its second half), so a kernel that touched its inputs before the previous
// grid finished would read stale or half-written values. The two token kernels (QK norm, fused
// norm -> quant) also let the next kernel launch while they run. On the GPU the chain runs 8 times
// over [4096, 2048] tensors; elsewhere the flag has no effect and the comparison is with the same
// chain.
#include <cstring>
#include <hipfuse/norm/rmsnorm_launch.hpp>
#include <hipfuse/quant/group_quant_launch.hpp>
#include <hipfuse/quant/rmsnorm_quant_launch.hpp>
#include "test_support.hpp"

using namespace hipfuse;
using hipfuse_test::device_buffer;
using hipfuse_test::random_values;

namespace {

struct chain_input {
  int rows, cols;
  std::vector<bfloat16> x, residual, weight;
};

struct chain_output {
  std::vector<bfloat16> residual, y;
  std::vector<float8_e4m3fn> codes, fused_codes;
  std::vector<float> scales, fused_scales;
};

chain_output run_chain(const chain_input& in, bool pdl, int repeats) {
  const int rows = in.rows, cols = in.cols;
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  device_buffer<bfloat16> x(in.x), residual(in.residual), w(in.weight), y(n);
  device_buffer<float8_e4m3fn> codes(n);
  device_buffer<float> scales(n / 128);
  const int aligned_rows = (rows + 3) / 4 * 4;
  device_buffer<float8_e4m3fn> fused_codes(n / 2);
  device_buffer<float> fused_scales(static_cast<std::size_t>(aligned_rows) * (cols / 2 / 128));

  platform::launch_stream on{nullptr};
  on.programmatic_dependent_launch = pdl;

  rmsnorm_args<bfloat16> norm;
  norm.input = x.get();
  norm.input_stride = cols;
  norm.residual = residual.get();
  norm.residual_stride = cols;
  norm.output = y.get();
  norm.output_stride = cols;
  norm.weight = w.get();
  norm.rows = rows;
  norm.hidden = cols;

  group_quant_args<bfloat16, scale_layout::row_major, float, 128, float8_e4m3fn> quant;
  quant.input = y.get();
  quant.input_row_stride = cols;
  quant.output = codes.get();
  quant.output_row_stride = cols;
  quant.scales = scales.get();
  quant.scale_stride = cols / 128;
  quant.rows = rows;
  quant.cols = cols;

  // y reinterpreted as MLA-like tokens of (cols / 2 + cols / 2) values, normalized in place: it
  // overwrites the buffer the quantizer just read, and the next round's RMSNorm overwrites it again.
  qk_rmsnorm_args<bfloat16> qk;
  qk.tokens = rows;
  qk.q = {y.get(), y.get(), cols, cols, 1, cols / 2, w.get(), 1e-6f};
  qk.k = {y.get() + cols / 2, y.get() + cols / 2, cols, cols, 1, cols / 2, w.get(), 1e-6f};

  // The same tokens once more as MLA's fused step: the first half quantized, the second normalized
  // in place.
  rmsnorm_quant_args<bfloat16, scale_layout::column_major_aligned4, float, 128, float8_e4m3fn> fused;
  fused.input = y.get();
  fused.input_stride = cols;
  fused.weight = w.get();
  fused.codes = fused_codes.get();
  fused.code_stride = cols / 2;
  fused.scales = fused_scales.get();
  fused.scale_stride = aligned_rows;
  fused.rows = rows;
  fused.cols = cols / 2;
  fused.second = {y.get() + cols / 2, cols, y.get() + cols / 2, cols, w.get(), rows, cols / 2, 1e-6f};

  for (int i = 0; i < repeats; ++i) {
    REQUIRE(rmsnorm(norm, on).ok());  // residual += x; y = norm(residual)
    REQUIRE(group_quant(quant, on).ok());
    REQUIRE(qk_rmsnorm(qk, on).ok());
    REQUIRE(rmsnorm_quant(fused, on).ok());
  }
  // Downloads wait for the stream.
  return {residual.download(), y.download(), codes.download(), fused_codes.download(), scales.download(),
          fused_scales.download()};
}

}  // namespace

TEST_CASE("programmatic dependent launch: a chain of dependent launches gives the plain chain's bits", "[rmsnorm]") {
  const bool gpu = hipfuse_test::gpu_sizes();
  // Reduced (sanitizer runs on a GPU) and host sizes keep cols / 2 a multiple of 512, so the fused
  // step's rows stay whole waves of 16-byte vectors on every GPU (rmsnorm_quant's rule).
  const int rows = gpu ? 4096 : 3, cols = gpu ? 2048 : 1024, repeats = gpu ? 8 : 2;
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  const chain_input in{rows, cols, random_values<bfloat16>(n, -2.0f, 2.0f), random_values<bfloat16>(n, -1.0f, 1.0f),
                       random_values<bfloat16>(cols, 0.5f, 1.5f)};
  const chain_output plain = run_chain(in, false, repeats);
  const chain_output overlapped = run_chain(in, true, repeats);
  const auto same = [](const auto& a, const auto& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0;
  };
  CHECK(same(plain.residual, overlapped.residual));
  CHECK(same(plain.y, overlapped.y));
  CHECK(same(plain.codes, overlapped.codes));
  CHECK(same(plain.scales, overlapped.scales));
  CHECK(same(plain.fused_codes, overlapped.fused_codes));
  CHECK(same(plain.fused_scales, overlapped.fused_scales));
}
