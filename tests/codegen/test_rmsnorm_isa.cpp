// RMSNorm's AMD code: 16-byte global loads and stores on the vector path, the reduction the
// configuration calls for (lane-group shuffles without LDS or barriers for rows within a wave;
// rocPRIM's DPP block reduction or hipfuse's shuffles + LDS for block rows), v_rsq_f32, no
// scratch, and a trap in the kernel instantiated for the other arch.
#include <catch2/catch.hpp>
#include "isa.hpp"

namespace {
const std::string dir = HIPFUSE_ASM_DIR;

// The one kernel of rmsnorm_kernels.<arch>.s compiled for `arch` whose mangled name has the
// row_config fragment, the residual flag (then WeightOffset = false, what the launchers run without
// Gemma: the kernel's last two template arguments), and (or not) the native backend.
// `kernel`: the two-set rmsnorm_rows_kernel, or the plain norm's rmsnorm_set_kernel.
isa::kernel only(const std::string& arch, const std::string& config, bool residual, bool native,
                 const std::string& kernel = "rmsnorm_rows_kernel") {
  std::vector<isa::kernel> found;
  for (isa::kernel& k : isa::find(dir + "/rmsnorm_kernels." + arch + ".s",
                                  {kernel, "4arch6" + arch, config, residual ? "Lb1ELb0EEEv" : "Lb0ELb0EEEv"})) {
    if ((k.name.find("7backend6native") != std::string::npos) == native) found.push_back(std::move(k));
  }
  REQUIRE(found.size() == 1);
  return found.front();
}

const char* const archs[] = {"gfx942", "gfx950"};
const std::string dpp = "row_bcast|row_shr|quad_perm|row_mirror|row_half_mirror";
const std::string shuffle = "ds_bpermute_b32|ds_swizzle_b32|" + dpp;

}  // namespace

TEST_CASE("MLA rows (a wave per row, 4 vectors per lane) use 16-byte accesses and wave shuffles only",
          "[rmsnorm][codegen]") {
  for (const std::string arch : archs) {
    INFO(arch);
    // Streaming shape: the weights are read after the reduction.
    const isa::kernel k = only(arch, "row_configILi64ELi4ELi8ELi256ELb0E", false, false);
    CHECK(k.count("global_load_dwordx4") >= 8);  // 4 input + 4 weight vectors per lane
    CHECK(k.count("global_store_dwordx4") >= 4);
    CHECK(k.count("ds_bpermute_b32") == 6);  // log2(64) butterfly steps
    CHECK(k.contains("v_rsq_f32"));
    CHECK_FALSE(k.contains("s_barrier"));
    CHECK(k.lds_bytes == 0);
    CHECK(k.scratch_bytes == 0);
    CHECK(k.waves_per_simd() >= 8);  // the row in bf16, 4 x 4 VGPRs per lane
    CHECK_FALSE(k.contains("s_trap"));

    // Latency shape: two-wave blocks, weights prefetched with the row.
    const isa::kernel l = only(arch, "row_configILi64ELi4ELi8ELi128ELb1E", false, false);
    CHECK(l.count("global_load_dwordx4") >= 8);
    CHECK(l.count("ds_bpermute_b32") == 6);
    CHECK_FALSE(l.contains("s_barrier"));
    CHECK(l.scratch_bytes == 0);
    CHECK(l.waves_per_simd() >= 4);  // row and weights stay in registers
  }
}

TEST_CASE("decode and two-wave rows: a block per row, one vector per thread, rocPRIM's reduction", "[rmsnorm][codegen]") {
  for (const std::string arch : archs) {
    INFO(arch);
    // Wide shape of the MLA q tier (at most 512 rows): 256 threads, one vector of x and of w each.
    const isa::kernel wide = only(arch, "row_configILi256ELi1ELi8ELi256ELb1E", false, false);
    CHECK(wide.count("global_load_dwordx4") >= 2);
    CHECK(wide.contains("global_store_dwordx4"));
    CHECK(wide.contains(dpp));
    CHECK(wide.contains("s_barrier"));
    CHECK(wide.scratch_bytes == 0);
    CHECK(wide.waves_per_simd() >= 4);
    // Latency shape of tier 4 (rows up to 3072 on AMD): two waves per row, three vectors per thread.
    const isa::kernel two_wave = only(arch, "row_configILi128ELi3ELi8ELi128ELb1E", false, false);
    CHECK(two_wave.count("global_load_dwordx4") >= 6);
    CHECK(two_wave.contains("s_barrier"));
    CHECK(two_wave.scratch_bytes == 0);
    CHECK(two_wave.waves_per_simd() >= 4);
  }
}

TEST_CASE("per-head rows (16 lanes per head of 128) reduce in 4 shuffle steps", "[rmsnorm][codegen]") {
  for (const std::string arch : archs) {
    INFO(arch);
    const isa::kernel k = only(arch, "row_configILi16ELi1ELi8ELi256E", false, false);
    CHECK(k.contains("global_load_dwordx4"));
    CHECK(k.contains("global_store_dwordx4"));
    CHECK(k.count("ds_bpermute_b32") == 4);
    CHECK_FALSE(k.contains("s_barrier"));
    CHECK(k.scratch_bytes == 0);
    CHECK(k.vgpr <= 64);
  }
}

TEST_CASE("block rows use rocPRIM's DPP reduction (or hipfuse's shuffles + LDS with backend::native)",
          "[rmsnorm][codegen]") {
  for (const std::string arch : archs) {
    INFO(arch);
    const isa::kernel rocprim = only(arch, "row_configILi256ELi4ELi8ELi256E", true, false);
    CHECK(rocprim.count("global_load_dwordx4") >= 12);  // input, residual, weight
    CHECK(rocprim.count("global_store_dwordx4") >= 8);   // residual, output
    CHECK(rocprim.contains(dpp));
    CHECK(rocprim.contains("s_barrier"));
    CHECK(rocprim.lds_bytes > 0);
    CHECK(rocprim.scratch_bytes == 0);
    CHECK(rocprim.waves_per_simd() >= 4);  // 4 vectors of x + residual per lane, in fp32

    const isa::kernel native = only(arch, "row_configILi256ELi4ELi8ELi256E", false, true);
    CHECK(native.contains("global_load_dwordx4"));
    CHECK(native.count("ds_bpermute_b32") == 6);
    CHECK(native.count("s_barrier") == 1);  // one barrier: every thread adds the wave sums itself
    CHECK(native.lds_bytes == 16);          // 4 waves x one float
    CHECK(native.scratch_bytes == 0);
  }
}

TEST_CASE("streaming and scalar rows have no scratch; the scalar path loads single elements", "[rmsnorm][codegen]") {
  for (const std::string arch : archs) {
    INFO(arch);
    const isa::kernel widest = only(arch, "row_configILi512ELi4ELi8ELi512E", true, false);
    CHECK(widest.contains("global_load_dwordx4"));
    CHECK(widest.scratch_bytes == 0);
    CHECK(widest.waves_per_simd() >= 2);  // 512 threads: 2 waves per SIMD must fit

    const isa::kernel stream = only(arch, "row_configILi512ELi0ELi8ELi512E", false, false);
    CHECK(stream.contains("global_load_dwordx4"));
    CHECK(stream.contains(shuffle));
    CHECK(stream.scratch_bytes == 0);

    const isa::kernel scalar = only(arch, "row_configILi64ELi0ELi1ELi256E", false, false);
    CHECK_FALSE(scalar.contains("global_load_dwordx4"));
    CHECK(scalar.contains("global_load_ushort"));
    CHECK(scalar.scratch_bytes == 0);
  }
}

TEST_CASE("the plain norm's one-set kernel: 16-byte accesses, the block reduction, no scratch", "[rmsnorm][codegen]") {
  for (const std::string arch : archs) {
    INFO(arch);
    // [T,7168] from 385 rows: 256 threads, 4 vectors each, weights prefetched with the row.
    const isa::kernel latency = only(arch, "row_configILi256ELi4ELi8ELi256ELb1E", false, false, "rmsnorm_set_kernel");
    CHECK(latency.count("global_load_dwordx4") >= 8);  // 4 of x, 4 of w
    CHECK(latency.count("global_store_dwordx4") >= 4);
    CHECK(latency.contains(dpp));
    CHECK(latency.contains("s_barrier"));
    CHECK(latency.contains("v_rsq_f32"));
    CHECK(latency.scratch_bytes == 0);
    CHECK_FALSE(latency.contains("s_trap"));
    // Decode: the row over a 512-thread block, two vectors per thread.
    const isa::kernel wide = only(arch, "row_configILi512ELi2ELi8ELi512ELb1E", false, false, "rmsnorm_set_kernel");
    CHECK(wide.count("global_load_dwordx4") >= 4);
    CHECK(wide.count("global_store_dwordx4") >= 2);
    CHECK(wide.contains("s_barrier"));
    CHECK(wide.scratch_bytes == 0);
    CHECK(wide.waves_per_simd() >= 2);
    // With a residual (streaming shape): x, residual and weight read, residual and y written.
    const isa::kernel residual = only(arch, "row_configILi256ELi4ELi8ELi256ELb0E", true, false, "rmsnorm_set_kernel");
    CHECK(residual.count("global_load_dwordx4") >= 12);
    CHECK(residual.count("global_store_dwordx4") >= 8);
    CHECK(residual.scratch_bytes == 0);
  }
}

TEST_CASE("an rmsnorm kernel instantiated for the other arch traps", "[rmsnorm][codegen]") {
  for (const std::string arch : archs) {
    const std::string other = arch == std::string("gfx942") ? "gfx950" : "gfx942";
    const std::string file = dir + "/rmsnorm_kernels." + arch + ".s";
    std::vector<isa::kernel> ks = isa::find(file, {"rmsnorm_rows_kernel", "4arch6" + other});
    REQUIRE(ks.size() == 10);
    std::vector<isa::kernel> sets = isa::find(file, {"rmsnorm_set_kernel", "4arch6" + other});
    REQUIRE(sets.size() == 3);
    ks.insert(ks.end(), sets.begin(), sets.end());
    for (const isa::kernel& k : ks) {
      CHECK(k.contains("s_trap"));
      CHECK_FALSE(k.contains("global_load_dwordx4"));
    }
  }
}

TEST_CASE("token blocks (MLA q and k of one token per block): 16-byte accesses, one barrier", "[rmsnorm][codegen]") {
  for (const std::string arch : archs) {
    INFO(arch);
    const std::vector<isa::kernel> found =
        isa::find(dir + "/rmsnorm_kernels." + arch + ".s", {"qk_token_kernel", "4arch6" + arch, "Li256ELb0E"});
    REQUIRE(found.size() == 1);
    const isa::kernel& k = found.front();
    CHECK(k.count("global_load_dwordx4") == 2);  // the thread's vector of x and of its weight
    CHECK(k.count("global_store_dwordx4") == 1);
    CHECK(k.contains(shuffle));
    CHECK(k.count("s_barrier") == 1);  // q and k sums share it
    CHECK(k.lds_bytes == 16);          // 4 waves x one float
    CHECK(k.scratch_bytes == 0);
    CHECK_FALSE(k.contains("s_trap"));
    CHECK(k.contains("v_rsq_f32"));
  }
}
