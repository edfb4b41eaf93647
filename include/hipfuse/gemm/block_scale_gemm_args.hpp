// The arguments of the block-scale FP8 GEMM
//   C[m, n] = bf16( Σ_kb (Σ_{k in kb} A[m, k]·B[n, k]) · sa[m, kb] · sb[n/128, kb]  + bias[n] )
// with fp32 accumulation. Layouts are types (layouts.hpp): a mismatch does not compile.
#pragma once
#include <cstdint>
#include "../numeric/half_types.hpp"
#include "layouts.hpp"

namespace hipfuse {
namespace gemm {

template <class Fp8, class AScaleLayout = scale_row_major, class AScale = float, class BLayout = b_standard,
          class BScale = AScale>
struct block_scale_gemm_args {
  static_assert(is_b_layout<BLayout>, "B layout is gemm::b_standard or gemm::b_preshuffled");
  static_assert(is_scale_type<BScale>, "GEMM scales are float or ue8m0");
  using fp8_type = Fp8;
  using a_scale_layout = AScaleLayout;
  using a_scale_type = AScale;
  using b_layout = BLayout;
  using b_scale_type = BScale;
  using a_scale_operand_type = a_scale_operand<AScaleLayout, AScale>;

  const Fp8* a = nullptr;  // [M, K], row stride lda
  std::int64_t lda = 0;
  a_scale_operand<AScaleLayout, AScale> a_scale;  // [M, K/128]: scale_view {data, stride}
  b_operand<BLayout, Fp8> b;                      // [N, K]
  const BScale* b_scale = nullptr;                // [ceil(N/128), K/128] row-major
  const bfloat16* bias = nullptr;                 // optional [N]
  bfloat16* c = nullptr;                          // [M, N], row stride ldc
  std::int64_t ldc = 0;
  int m = 0, n = 0, k = 0;
  // Optional scratch for the decode shapes that split a tile's k blocks over several blocks (sm90
  // wgmma backend; block_scale_gemm_workspace_bytes(args) says how much): 16-byte aligned, zeroed
  // before its first use (each launch leaves it zeroed), not shared by GEMMs running at once.
  // Without it (or when smaller) those shapes are not picked.
  void* workspace = nullptr;
  std::int64_t workspace_bytes = 0;
  // B and b_scale are not written by the kernel before this GEMM on the stream (weights, as in a
  // linear layer). Under programmatic dependent launch (platform::launch_stream) the sm90 wgmma
  // backend then starts copying them before that kernel has finished; everything else waits for it.
  // Keep it false when the previous kernel writes B, or when an earlier kernel that writes B may
  // still run (one that lets its dependents launch before it waits for its own predecessor).
  // Without programmatic dependent launch, and on the other backends, it changes nothing.
  bool b_independent_of_previous_kernel = false;
};

}  // namespace gemm
}  // namespace hipfuse
