// expect: backend::mfma_scaled with ue8m0 scales
// The scaled MFMA applies power-of-two scales only: fp32 scales are a compile error.
#include <hipfuse/policy.hpp>
using bad = hipfuse::policy<hipfuse::arch::gfx950, hipfuse::backend::automatic,
                            hipfuse::backend::mfma_scaled>::gemm_backend<float>;
int main() { return sizeof(bad); }
