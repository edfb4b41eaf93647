// Uses the umbrella header and runs one conversion through the public API.
#include <cstdio>
#include <hipfuse/hipfuse.hpp>

int main() {
  const hipfuse::float8_e4m3fn q = hipfuse::float_to_fp8<hipfuse::float8_e4m3fn>(3.3f);
  const float back = hipfuse::fp8_to_float(q);
  std::printf("hipfuse %d.%d.%d: 3.3 -> e4m3fn 0x%02x -> %g\n", HIPFUSE_VERSION_MAJOR, HIPFUSE_VERSION_MINOR,
              HIPFUSE_VERSION_PATCH, q.bits, static_cast<double>(back));
  return back == 3.25f ? 0 : 1;
}
