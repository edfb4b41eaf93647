// The fp8 convert compiles to the hardware instruction on both AMD archs, with the explicit clamp,
// and the kernel instantiated for the other arch is a trap, not a silent no-op.
#include <catch2/catch.hpp>
#include "isa.hpp"

namespace {
const std::string dir = HIPFUSE_ASM_DIR;

isa::kernel only(const std::string& file, const std::vector<std::string>& fragments) {
  auto ks = isa::find(dir + "/" + file, fragments);
  REQUIRE(ks.size() == 1);
  return ks.front();
}
}  // namespace

TEST_CASE("fp8 convert uses v_cvt_pk_fp8_f32 on gfx942 and gfx950", "[fp8][codegen]") {
  for (const std::string arch : {"gfx942", "gfx950"}) {
    INFO(arch);
    const isa::kernel k = only("fp8_kernels." + arch + ".s", {"18fp8_convert_kernel", arch});
    CHECK(k.count("v_cvt_pk_fp8_f32") == 2);
    CHECK(k.contains("v_cmp_.*0x43700000|v_cmp_.*0x43e00000|0x43700000|0x43e00000"));  // the 240/448 clamp
    CHECK(k.contains("global_load_dwordx4"));
    CHECK(k.scratch_bytes == 0);
    CHECK_FALSE(k.contains("s_trap"));
  }
}

TEST_CASE("the 2-wide fp8 convert is one v_cvt_pk_fp8_f32", "[fp8][codegen]") {
  for (const std::string arch : {"gfx942", "gfx950"}) {
    INFO(arch);
    const isa::kernel k = only("fp8_kernels." + arch + ".s", {"fp8_convert_pair_kernel", arch});
    CHECK(k.count("v_cvt_pk_fp8_f32") == 1);
    CHECK(k.scratch_bytes == 0);
    CHECK_FALSE(k.contains("s_trap"));
  }
}

TEST_CASE("a kernel instantiated for the other arch traps", "[fp8][codegen]") {
  const isa::kernel k = only("fp8_kernels.gfx950.s", {"18fp8_convert_kernel", "gfx942"});
  CHECK(k.contains("s_trap"));
  CHECK_FALSE(k.contains("v_cvt_pk_fp8_f32"));
}
