// expect: on gfx942/gfx950 pick backend::rocprim or backend::native
// A CUB reduction asked of an AMD arch is a compile error naming the alternatives.
#include <hipfuse/policy.hpp>
using bad = hipfuse::policy<hipfuse::arch::gfx942, hipfuse::backend::cub>::reduce_backend;
int main() { return sizeof(bad); }
