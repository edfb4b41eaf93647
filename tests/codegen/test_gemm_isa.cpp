// The block-scale GEMM kernels compile to the intended matrix instructions on gfx942 and gfx950,
// with no scratch and LDS within each arch's budget; and a static census of the main loop (one
// iteration = one 128-k block) prints the matrix instructions, loads, LDS traffic and waits per
// block together with a projection of which unit bounds it (docs/perf.md keeps the output).
#include <catch2/catch.hpp>
#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include "isa.hpp"

namespace {
const std::string dir = HIPFUSE_ASM_DIR;

struct census {
  int mfma = 0, global_loads = 0, global_loads_x4 = 0, scalar_loads = 0, lds_reads = 0, lds_writes = 0,
      lds_permutes = 0, waits = 0, barriers = 0, instructions = 0;
  int lds_read_bytes = 0, lds_write_bytes = 0;
  // Over the waits s_waitcnt vmcnt(n) before the block's last matrix instruction: the smallest
  // n − (vector-memory loads issued earlier in the same iteration). Negative: the matrix work of
  // this block waits for a load issued in this iteration, i.e. for data not fetched a block
  // ahead. (Large: no such wait.)
  int wait_slack = 1 << 20;
  int loads_so_far = 0, pending_slack = 1 << 20;  // bookkeeping
};

int access_bytes(const std::string& op) {
  if (op.find("b128") != std::string::npos) return 16;
  if (op.find("b96") != std::string::npos) return 12;
  if (op.find("read2_b64") != std::string::npos || op.find("write2_b64") != std::string::npos) return 16;
  if (op.find("b64") != std::string::npos || op.find("read2_b32") != std::string::npos ||
      op.find("write2_b32") != std::string::npos)
    return 8;
  if (op.find("b32") != std::string::npos) return 4;
  if (op.find("b16") != std::string::npos || op.find("u16") != std::string::npos) return 2;
  return 1;
}

// The loop (LLVM's "Loop: Header=BBx_y" annotations) holding the most matrix instructions: the
// main loop over 128-k blocks; everything else in the kernel runs once.
census main_loop_census(const isa::kernel& k) {
  std::istringstream in(k.body);
  std::string line, current;
  std::map<std::string, census> loops;
  const std::regex header_re(R"(^\.(LBB\d+_\d+):.*Loop Header: Depth=1)");
  const std::regex member_re(R"(^\.LBB\d+_\d+:.*in Loop: Header=(BB\d+_\d+) Depth=1)");
  const std::regex label_re(R"(^\.LBB\d+_\d+:)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, header_re)) {
      current = std::string(m[1]).substr(1);
      continue;
    }
    if (std::regex_search(line, m, member_re)) {
      current = m[1];
      continue;
    }
    if (std::regex_search(line, label_re)) {
      current.clear();
      continue;
    }
    if (current.empty() || line.empty() || line[0] != '\t' || line[1] == '.' || line[1] == ';') continue;
    census& c = loops[current];
    std::istringstream words(line);
    std::string op;
    words >> op;
    ++c.instructions;
    if (op.rfind("v_mfma", 0) == 0) {
      ++c.mfma;
      // Waits up to here precede a matrix instruction of this block.
      c.wait_slack = std::min(c.wait_slack, c.pending_slack);
    }
    std::smatch v;
    if (op == "s_waitcnt" && std::regex_search(line, v, std::regex(R"(vmcnt\((\d+)\))")))
      c.pending_slack = std::min(c.pending_slack, std::stoi(v[1]) - c.loads_so_far);
    if (op.rfind("global_load", 0) == 0 || op.rfind("buffer_load", 0) == 0) ++c.global_loads, ++c.loads_so_far;
    if (op == "global_load_dwordx4" || op == "buffer_load_dwordx4") ++c.global_loads_x4;
    if (op.rfind("s_load", 0) == 0 || op.rfind("s_buffer_load", 0) == 0) ++c.scalar_loads;
    if (op.rfind("ds_read", 0) == 0) ++c.lds_reads, c.lds_read_bytes += access_bytes(op);
    if (op.rfind("ds_write", 0) == 0) ++c.lds_writes, c.lds_write_bytes += access_bytes(op);
    if (op.rfind("ds_bpermute", 0) == 0 || op.rfind("ds_permute", 0) == 0 || op.rfind("ds_swizzle", 0) == 0)
      ++c.lds_permutes;
    if (op.rfind("s_waitcnt", 0) == 0) ++c.waits;
    if (op == "s_barrier") ++c.barriers;
  }
  census best;
  for (const auto& [name, c] : loops)
    if (c.mfma > best.mfma) best = c;
  return best;
}

bool is_gemm(const isa::kernel& k, const std::string& arch) {
  return k.name.find("block_scale_gemm_kernel") != std::string::npos &&
         k.name.find("arch" + std::to_string(arch.size()) + arch) != std::string::npos;
}

isa::kernel pick(const std::string& arch, bool small, const std::string& b_layout, bool ue8m0) {
  std::vector<isa::kernel> found;
  for (isa::kernel& k : isa::load(dir + "/gemm_kernels." + arch + ".s")) {
    if (!is_gemm(k, arch)) continue;
    if ((k.name.find("Lb1E") != std::string::npos) != small) continue;
    if (k.name.find(b_layout) == std::string::npos) continue;
    if ((k.name.find("ue8m0") != std::string::npos) != ue8m0) continue;
    found.push_back(std::move(k));
  }
  REQUIRE(found.size() == 1);
  return found.front();
}

// Matrix-unit cycles per instruction (one SIMD), from the dense FP8 peaks: MI300X 2615 TFLOPS over
// 304 CUs × 4 SIMDs × 2.1 GHz = 512 MAC/clk/SIMD; MI355X 5033 TFLOPS over 256 × 4 × 2.4 GHz = 1024.
int mfma_cycles(const std::string& arch, const isa::kernel& k) {
  const int macs_per_clock = arch == "gfx942" ? 512 : 1024;
  int macs = 0;
  if (k.contains("v_mfma_f32_32x32x16_fp8_fp8")) macs = 32 * 32 * 16;
  if (k.contains("v_mfma_f32_16x16x32_fp8_fp8")) macs = 16 * 16 * 32;
  if (k.contains("v_mfma(_scale)?_f32_32x32x64_f8f6f4")) macs = 32 * 32 * 64;
  if (k.contains("v_mfma(_scale)?_f32_16x16x128_f8f6f4")) macs = 16 * 16 * 128;
  return macs / macs_per_clock;
}

// Per CU and 128-k block of one workgroup: the matrix unit does waves × mfma × cycles over 4
// SIMDs; LDS moves waves × 64 lanes × bytes at 128 B/clk (rocprofiler-compute's LDS peak for
// gfx942 and gfx950 alike).
double matrix_clk(const std::string& arch, const isa::kernel& k, const census& c) {
  return static_cast<double>(k.max_workgroup / 64) * c.mfma * mfma_cycles(arch, k) / 4.0;
}
double lds_clk(const isa::kernel& k, const census& c) {
  return static_cast<double>(k.max_workgroup / 64) * 64.0 *
         (c.lds_read_bytes + c.lds_write_bytes + 4.0 * c.lds_permutes) / 128.0;
}

void report(const std::string& label, const std::string& arch, const isa::kernel& k, const census& c) {
  const double matrix = matrix_clk(arch, k, c), lds = lds_clk(k, c);
  std::cout << "| " << label << " | " << arch << " | " << k.vgpr << " | " << k.agpr << " | " << k.sgpr << " | "
            << k.lds_bytes << " | " << k.scratch_bytes << " | " << k.waves_per_simd() << " | " << c.mfma << " | "
            << c.global_loads << " | " << c.scalar_loads << " | " << c.lds_reads << " (" << c.lds_read_bytes
            << " B) | " << c.lds_writes << " (" << c.lds_write_bytes << " B) | " << c.lds_permutes << " | " << c.waits
            << " | " << c.barriers << " | " << c.instructions << " | " << matrix << " | " << lds << " |\n";
}

}  // namespace

TEST_CASE("gfx942 GEMM kernels use the fp8 MFMA, no scratch, LDS within 64 KiB", "[gemm][codegen]") {
  const isa::kernel big = pick("gfx942", false, "b_standard", false);
  const isa::kernel small = pick("gfx942", true, "b_standard", false);
  const isa::kernel pre = pick("gfx942", false, "b_preshuffled", false);
  CHECK(big.contains("v_mfma_f32_32x32x16_fp8_fp8"));
  CHECK(pre.contains("v_mfma_f32_32x32x16_fp8_fp8"));
  CHECK(small.contains("v_mfma_f32_16x16x32_fp8_fp8"));
  for (const isa::kernel* k : {&big, &small, &pre}) {
    INFO(k->name);
    CHECK(k->scratch_bytes == 0);
    CHECK(k->lds_bytes <= 64 * 1024);
    CHECK_FALSE(k->contains("s_trap"));
    CHECK_FALSE(k->contains("f8f6f4"));
    CHECK(k->contains("global_load_dwordx4"));
  }
  // 128x128 tile, 2x2 waves of 64x64: 2x2 atoms of 32x32 over 8 k-steps per 128-k block.
  CHECK(main_loop_census(big).mfma == 32);
  CHECK(main_loop_census(pre).mfma == 32);
}

TEST_CASE("gfx950 GEMM kernels use f8f6f4 MFMA, the scaled MFMA with UE8M0 scales", "[gemm][codegen]") {
  const isa::kernel big = pick("gfx950", false, "b_standard", false);
  const isa::kernel small = pick("gfx950", true, "b_standard", false);
  const isa::kernel scaled = pick("gfx950", false, "b_standard", true);
  const isa::kernel scaled_small = pick("gfx950", true, "b_standard", true);
  const isa::kernel pre = pick("gfx950", false, "b_preshuffled", false);
  CHECK(big.contains("v_mfma_f32_32x32x64_f8f6f4"));
  CHECK_FALSE(big.contains("v_mfma_scale"));
  CHECK(pre.contains("v_mfma_f32_32x32x64_f8f6f4"));
  CHECK(small.contains("v_mfma_f32_16x16x128_f8f6f4"));
  CHECK(scaled.contains("v_mfma_scale_f32_32x32x64_f8f6f4"));
  CHECK(scaled_small.contains("v_mfma_scale_f32_16x16x128_f8f6f4"));
  const isa::kernel pre_scaled = pick("gfx950", false, "b_preshuffled", true);
  CHECK(pre_scaled.contains("v_mfma_scale_f32_32x32x64_f8f6f4"));
  for (const isa::kernel* k : {&big, &small, &scaled, &scaled_small, &pre, &pre_scaled}) {
    INFO(k->name);
    CHECK(k->scratch_bytes == 0);
    CHECK(k->lds_bytes <= 160 * 1024);
    CHECK_FALSE(k->contains("s_trap"));
    CHECK_FALSE(k->contains("_fp8_fp8"));
  }
  // 2x2 atoms of 32x32x64 over 2 k-steps per 128-k block.
  CHECK(main_loop_census(big).mfma == 8);
  CHECK(main_loop_census(scaled).mfma == 8);
  // The hardware-scaled path has no fp32 promotion: fewer VALU instructions per block.
  CHECK(main_loop_census(scaled).instructions < main_loop_census(big).instructions);
}

TEST_CASE("gfx950 preshuffled B bypasses LDS: the matrix unit bounds the 128x128 loop", "[gemm][codegen]") {
  // The design: a 128x128 block tile, 4 waves of 64x64, 128-k blocks; A (128 rows x 128 bytes)
  // staged in LDS twice (double buffering), B's fragments loaded by each wave from global memory.
  constexpr int threads = 256, block_m = 128, block_k = 128, warp_m = 64, warp_n = 64, lanes = 64;
  constexpr int a_tile = block_m * block_k;
  for (const bool ue8m0 : {false, true}) {
    const isa::kernel k = pick("gfx950", false, "b_preshuffled", ue8m0);
    INFO(k.name);
    const census c = main_loop_census(k);
    CHECK(k.lds_bytes == 2 * a_tile);               // no B tile in LDS
    CHECK(c.lds_write_bytes == a_tile / threads);   // per lane: A's chunks only (no ds_write for B)
    CHECK(c.lds_read_bytes == warp_m * block_k / lanes);  // per lane: the wave's A rows only
    CHECK(c.global_loads_x4 == a_tile / threads / 16 + warp_n * block_k / lanes / 16);  // A chunks + B fragments
    CHECK(k.contains("global_load_dwordx4"));
    CHECK_FALSE(k.contains("global_load_dwordx2"));  // B fragments as whole 16-byte loads
    CHECK(matrix_clk("gfx950", k, c) > lds_clk(k, c));
    // B's fragments come one block ahead: waiting for them never waits for a load issued in the
    // same iteration (the next block's A chunks and B fragments).
    CHECK(c.wait_slack >= 0);
    CHECK(k.scratch_bytes == 0);
    CHECK(k.vgpr + k.agpr <= 512);
  }
  // Small M (16x64 block, 4 waves of 16x16, one 16x16x128 step per 128-k block): the same path.
  const isa::kernel small = pick("gfx950", true, "b_preshuffled", false);
  const census c = main_loop_census(small);
  CHECK(small.lds_bytes == 2 * 16 * block_k);
  CHECK(c.lds_read_bytes == 16 * block_k / lanes);
  CHECK(c.global_loads_x4 == 1 + 16 * block_k / lanes / 16);  // A: 128 chunks over 256 threads, one each
  CHECK(c.wait_slack >= 0);
}

TEST_CASE("GEMM resource report and main-loop census", "[gemm][codegen][report]") {
  std::cout << "\n| kernel | arch | VGPR | AGPR | SGPR | LDS B | scratch B | waves/SIMD | MFMA | global loads | "
               "scalar loads | LDS reads | LDS writes | LDS permutes | waits | barriers | instructions | matrix clk/CU | "
               "LDS clk/CU |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  struct row {
    const char* label;
    const char* arch;
    bool small;
    const char* b;
    bool ue8m0;
  };
  const row rows[] = {
      {"128x128 fp32 scales", "gfx942", false, "b_standard", false},
      {"128x128 preshuffled B", "gfx942", false, "b_preshuffled", false},
      {"16x16 small M (4-way k split)", "gfx942", true, "b_standard", false},
      {"128x128 fp32 scales", "gfx950", false, "b_standard", false},
      {"128x128 UE8M0 (scaled MFMA)", "gfx950", false, "b_standard", true},
      {"128x128 preshuffled B (B not in LDS)", "gfx950", false, "b_preshuffled", false},
      {"128x128 preshuffled B UE8M0 (B not in LDS)", "gfx950", false, "b_preshuffled", true},
      {"16x64 small M", "gfx950", true, "b_standard", false},
      {"16x64 small M preshuffled B (B not in LDS)", "gfx950", true, "b_preshuffled", false},
      {"16x64 small M UE8M0", "gfx950", true, "b_standard", true},
  };
  for (const row& r : rows) {
    const isa::kernel k = pick(r.arch, r.small, r.b, r.ue8m0);
    report(r.label, r.arch, k, main_loop_census(k));
  }
  // gfx942, 128x128 tile: the matrix unit, not LDS, bounds a 128-k block (static projection).
  for (const char* b : {"b_standard", "b_preshuffled"}) {
    const isa::kernel k942 = pick("gfx942", false, b, false);
    CHECK(matrix_clk("gfx942", k942, main_loop_census(k942)) > lds_clk(k942, main_loop_census(k942)));
  }
  // Every 128x128 loop multiplies data fetched a block ahead (see wait_slack).
  for (const auto& [arch, b, ue8m0] : {std::tuple{"gfx942", "b_standard", false}, {"gfx942", "b_preshuffled", false},
                                       {"gfx950", "b_standard", false}, {"gfx950", "b_standard", true},
                                       {"gfx950", "b_preshuffled", false}, {"gfx950", "b_preshuffled", true}}) {
    const isa::kernel k128 = pick(arch, false, b, ue8m0);
    INFO(k128.name);
    CHECK(main_loop_census(k128).wait_slack >= 0);
  }
  const isa::kernel k = pick("gfx942", false, "b_standard", false);
  const census c = main_loop_census(k);
  // The promotion's row scales need no lane exchange (B·Aᵀ: one row of C per lane).
  CHECK(c.lds_permutes == 0);
}
