// expect: gfx942 takes backend::mfma_fp8
// The gfx950-only scaled MFMA asked of gfx942 is a compile error naming the alternatives.
#include <hipfuse/policy.hpp>
using bad = hipfuse::policy<hipfuse::arch::gfx942, hipfuse::backend::automatic,
                            hipfuse::backend::mfma_scaled>::gemm_backend<hipfuse::ue8m0>;
int main() { return sizeof(bad); }
