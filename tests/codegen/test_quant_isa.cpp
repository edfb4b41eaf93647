// Quantization kernels on gfx942 and gfx950: the hardware fp8 convert, 16-byte loads, lane-group
// shuffles for the amax, no scratch, and registers low enough for full occupancy.
#include <algorithm>
#include <catch2/catch.hpp>
#include <iostream>
#include "isa.hpp"

namespace {
const std::string dir = HIPFUSE_ASM_DIR;

std::vector<isa::kernel> kernels(const std::string& arch, const std::vector<std::string>& fragments) {
  std::vector<std::string> all = fragments;
  all.push_back(arch);
  return isa::find(dir + "/quant_kernels." + arch + ".s", all);
}

void print(const isa::kernel& k) {
  std::cout << k.arch << " " << k.name.substr(0, 120) << ": vgpr " << k.vgpr << ", sgpr " << k.sgpr << ", lds "
            << k.lds_bytes << ", scratch " << k.scratch_bytes << ", waves/SIMD " << k.waves_per_simd() << "\n";
}
}  // namespace

TEST_CASE("group quant kernels use v_cvt_pk_fp8_f32, 16-byte loads and no scratch on gfx942 and gfx950",
          "[quant][codegen]") {
  for (const std::string arch : {"gfx942", "gfx950"}) {
    auto ks = kernels(arch, {"group_quant_kernel"});
    ks.erase(std::remove_if(ks.begin(), ks.end(),
                            [](const isa::kernel& k) {
                              return k.name.find("gfx942ENS_7backend7rocprimENS5_9automaticENS_13float8_e4m3fn") !=
                                     std::string::npos;
                            }),
             ks.end());
    REQUIRE(ks.size() == 6);
    for (const isa::kernel& k : ks) {
      INFO(arch << " " << k.name);
      print(k);
      CHECK(k.contains("v_cvt_pk_fp8_f32"));
      CHECK(k.contains("global_load_dwordx4"));
      CHECK_FALSE(k.contains("global_load_(ushort|short|dword\\s|dwordx2)"));  // no narrow input loads
      CHECK(k.contains("ds_bpermute_b32|ds_swizzle_b32|_dpp"));                // amax across the group's lanes
      CHECK(k.scratch_bytes == 0);
      CHECK(k.lds_bytes == 0);
      CHECK(k.vgpr + k.agpr <= 64);  // 8 waves per SIMD
      CHECK_FALSE(k.contains("s_trap"));
      // The convert skips per-value fix-ups: no NaN compare per value (the bound is v_med3/v_max/v_min).
      CHECK(k.count("v_cvt_pk_fp8_f32") >= 2);
      CHECK(k.count("v_cmp_u_f32|v_cmp_class_f32") <= 2);
    }
  }
}

TEST_CASE("bf16 quantization stores fp8 codes 8 bytes at a time", "[quant][codegen]") {
  for (const std::string arch : {"gfx942", "gfx950"}) {
    const auto ks = kernels(arch, {"group_quant_kernel", "backend9automaticES6_", "bfloat16", "row_major", "Li128E"});
    REQUIRE(ks.size() == 1);
    CHECK(ks[0].count("global_store_dwordx2") == 2);  // 16 values per lane, two 8-byte stores
    // Both 16-byte loads issued before either is waited for.
    CHECK(ks[0].contains(R"(global_load_dwordx4[^\n]*\n\s*global_load_dwordx4)"));
    CHECK(ks[0].count("v_cvt_pk_fp8_f32") == 8);
  }
}

TEST_CASE("UE8M0 packed scales are written as bytes", "[quant][codegen]") {
  for (const std::string arch : {"gfx942", "gfx950"}) {
    const auto ks = kernels(arch, {"group_quant_kernel", "ue8m0_packed"});
    REQUIRE(ks.size() == 1);
    CHECK(ks[0].contains("global_store_byte"));
  }
}

TEST_CASE("a user kernel quantizing its own values through group_quantizer", "[quant][codegen]") {
  for (const std::string arch : {"gfx942", "gfx950"}) {
    const auto ks = kernels(arch, {"user_silu_quant_kernel"});
    REQUIRE(ks.size() == 1);
    print(ks[0]);
    CHECK(ks[0].count("v_cvt_pk_fp8_f32") == 8);
    CHECK(ks[0].scratch_bytes == 0);
    CHECK_FALSE(ks[0].contains("s_trap"));
  }
}

TEST_CASE("fused RMSNorm -> FP8 kernels: hardware convert, 16-byte loads, no scratch", "[quant][codegen]") {
  for (const std::string arch : {"gfx942", "gfx950"}) {
    const auto ks = kernels(arch, {"rmsnorm_quant_kernel", "rmsnorm_quant_rows"});
    REQUIRE(ks.size() == 4);  // tiers 3 and 5, and their paired forms (16 values per lane and group piece)
    for (const isa::kernel& k : ks) {
      INFO(arch << " " << k.name);
      print(k);
      CHECK(k.contains("v_cvt_pk_fp8_f32"));
      CHECK(k.contains("global_load_dwordx4"));
      CHECK(k.contains("v_rsq_f32"));
      CHECK(k.scratch_bytes == 0);
      CHECK_FALSE(k.contains("s_trap"));
      CHECK(k.vgpr + k.agpr <= 192);  // the RMSNorm tier holds the row in registers (64 / 70 measured)
    }
    // Paired: each lane's group piece is two adjacent 16-byte loads, and a group spans 8 lanes (3
    // butterfly steps for the amax instead of 4).
    const auto paired = kernels(arch, {"rmsnorm_quant_kernel", "ELi16E"});
    REQUIRE(paired.size() == 2);
    for (const isa::kernel& k : paired) CHECK(k.count("global_load_dwordx4") >= 2);
  }
}

TEST_CASE("fused RMSNorm -> FP8 token blocks (MLA q quantized, k normalized): one barrier, no scratch",
          "[quant][codegen]") {
  for (const std::string arch : {"gfx942", "gfx950"}) {
    INFO(arch);
    for (const int vecs : {1, 2}) {
      INFO(vecs << " vectors per thread");
      const auto ks = kernels(arch, {"rmsnorm_quant_kernel", "rmsnorm_quant_token_rows", "Li128ELi" + std::to_string(vecs) + "ELb0EEEEEvNT_"});
      REQUIRE(ks.size() == 1);
      const isa::kernel& k = ks.front();
      print(k);
      CHECK(k.contains("v_cvt_pk_fp8_f32"));
      CHECK(k.count("global_load_dwordx4") == 2 * vecs);  // the thread's vectors of x and of its weight
      CHECK(k.count("s_barrier") == 1);                  // q's and k's sums share it
      CHECK(k.lds_bytes == 16);                           // 4 waves x one float
      CHECK(k.contains("v_rsq_f32"));
      CHECK(k.scratch_bytes == 0);
      CHECK_FALSE(k.contains("s_trap"));
    }
  }
}

TEST_CASE("a policy naming e4m3fn on gfx942 gets the emulated convert", "[quant][codegen]") {
  const auto ks = isa::find(dir + "/quant_kernels.gfx942.s",
                            {"group_quant_kernel", "gfx942ENS_7backend7rocprimENS5_9automaticENS_13float8_e4m3fn"});
  REQUIRE(ks.size() == 1);
  print(ks[0]);
  CHECK_FALSE(ks[0].contains("v_cvt_pk_fp8_f32"));
  CHECK(ks[0].contains("global_load_dwordx4"));
  CHECK(ks[0].scratch_bytes == 0);
  CHECK_FALSE(ks[0].contains("s_trap"));
}
