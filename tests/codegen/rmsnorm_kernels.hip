// RMSNorm kernels compiled for gfx942 and gfx950 in the configurations the launchers pick for
// the shapes that matter, read by test_rmsnorm_isa.cpp. The kernel template carries
// __launch_bounds__(Config::block_threads).
#include <hipfuse/norm/qk_token_block.hpp>
#include <hipfuse/norm/rmsnorm.hpp>

namespace hipfuse_codegen {

using hipfuse::bfloat16;

template <class Arch>
using mla_config = typename hipfuse::fitted_row_config<Arch, bfloat16, 1536>::type;  // q: 1536, k_nope: 512
template <class Arch>
using mla_latency_config = hipfuse::row_tier_config<Arch, bfloat16, 3, hipfuse::row_launch::latency>;  // a few MLA rows (AMD tier 3)
template <class Arch>
using mla_wide_config = hipfuse::row_tier_config<Arch, bfloat16, 3, hipfuse::row_launch::wide>;  // decode: a block per row
template <class Arch>
using long_latency_config = hipfuse::row_tier_config<Arch, bfloat16, 4, hipfuse::row_launch::latency>;  // two-wave rows
template <class Arch>
using head_config = typename hipfuse::fitted_row_config<Arch, bfloat16, 128>::type;  // Qwen3 head_dim 128
template <class Arch>
using wide_config = typename hipfuse::fitted_row_config<Arch, bfloat16, 8192>::type;  // a block per row
template <class Arch>
using widest_config = typename hipfuse::fitted_row_config<Arch, bfloat16, 16384>::type;  // 512-thread blocks
template <class Arch>
using stream_config = typename hipfuse::fitted_row_config<Arch, bfloat16, 100000>::type;
template <class Arch>
using block_latency_config = hipfuse::row_tier_config<Arch, bfloat16, 5, hipfuse::row_launch::latency>;  // [T,7168]
template <class Arch>
using block_wide_config = hipfuse::row_tier_config<Arch, bfloat16, 5, hipfuse::row_launch::wide>;  // [T,7168] decode
template <class Arch>
using native_policy = hipfuse::policy<Arch, hipfuse::backend::native>;  // shuffles instead of rocPRIM

}  // namespace hipfuse_codegen

// Explicit instantiations live in a namespace enclosing hipfuse's.
#define HIPFUSE_RMSNORM_INSTANCE(Policy, Config, Residual)                                                  \
  template __global__ void hipfuse::rmsnorm_rows_kernel<Policy, hipfuse::bfloat16, hipfuse::bfloat16, Config, \
                                                        Residual, false>(hipfuse::row_set<hipfuse::bfloat16>, \
                                                                  hipfuse::row_set<hipfuse::bfloat16>);

#define HIPFUSE_RMSNORM_ARCH(Arch)                                                                          \
  HIPFUSE_RMSNORM_INSTANCE(hipfuse::policy<Arch>, hipfuse_codegen::mla_config<Arch>, false)                 \
  HIPFUSE_RMSNORM_INSTANCE(hipfuse::policy<Arch>, hipfuse_codegen::mla_latency_config<Arch>, false)         \
  HIPFUSE_RMSNORM_INSTANCE(hipfuse::policy<Arch>, hipfuse_codegen::mla_wide_config<Arch>, false)            \
  HIPFUSE_RMSNORM_INSTANCE(hipfuse::policy<Arch>, hipfuse_codegen::long_latency_config<Arch>, false)        \
  HIPFUSE_RMSNORM_INSTANCE(hipfuse::policy<Arch>, hipfuse_codegen::head_config<Arch>, false)                \
  HIPFUSE_RMSNORM_INSTANCE(hipfuse::policy<Arch>, hipfuse_codegen::wide_config<Arch>, true)                 \
  HIPFUSE_RMSNORM_INSTANCE(hipfuse_codegen::native_policy<Arch>, hipfuse_codegen::wide_config<Arch>, false) \
  HIPFUSE_RMSNORM_INSTANCE(hipfuse::policy<Arch>, hipfuse_codegen::widest_config<Arch>, true)               \
  HIPFUSE_RMSNORM_INSTANCE(hipfuse::policy<Arch>, hipfuse_codegen::stream_config<Arch>, false)              \
  HIPFUSE_RMSNORM_INSTANCE(hipfuse::policy<Arch>, hipfuse::row_scalar_config<Arch>, false)

// The plain norm's kernel (one row set), in the shapes its launcher takes for [T,7168].
#define HIPFUSE_RMSNORM_SET_INSTANCE(Policy, Config, Residual)                                              \
  template __global__ void hipfuse::rmsnorm_set_kernel<Policy, hipfuse::bfloat16, hipfuse::bfloat16, Config, \
                                                       Residual, false>(hipfuse::row_set<hipfuse::bfloat16>);

#define HIPFUSE_RMSNORM_SET_ARCH(Arch)                                                              \
  HIPFUSE_RMSNORM_SET_INSTANCE(hipfuse::policy<Arch>, hipfuse_codegen::block_latency_config<Arch>, false) \
  HIPFUSE_RMSNORM_SET_INSTANCE(hipfuse::policy<Arch>, hipfuse_codegen::block_wide_config<Arch>, false)    \
  HIPFUSE_RMSNORM_SET_INSTANCE(hipfuse::policy<Arch>, hipfuse_codegen::wide_config<Arch>, true)

// MLA decode and mid-size launches: one block per token, q's vectors then k's (256 threads on
// NVIDIA; 256 threads = 4 waves of 64 on AMD, 3 for q and 1 for k).
#define HIPFUSE_QK_TOKEN_ARCH(Arch)                                                            \
  template __global__ void hipfuse::qk_token_kernel<hipfuse::policy<Arch>, hipfuse::bfloat16, 256, false>( \
      hipfuse::row_set<hipfuse::bfloat16>, hipfuse::row_set<hipfuse::bfloat16>, bool);

HIPFUSE_RMSNORM_ARCH(hipfuse::arch::gfx942)
HIPFUSE_RMSNORM_ARCH(hipfuse::arch::gfx950)
HIPFUSE_RMSNORM_SET_ARCH(hipfuse::arch::gfx942)
HIPFUSE_RMSNORM_SET_ARCH(hipfuse::arch::gfx950)
HIPFUSE_QK_TOKEN_ARCH(hipfuse::arch::gfx942)
HIPFUSE_QK_TOKEN_ARCH(hipfuse::arch::gfx950)
