// expect: policy's first parameter must be an arch tag
#include <hipfuse/policy.hpp>
struct gfx1100 {
  static constexpr bool is_amd = true;
};
using bad = hipfuse::policy<gfx1100>;
int main() { return sizeof(bad); }
