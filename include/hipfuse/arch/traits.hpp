// Arch tags: empty types whose constants state what a target can do. Selection (policy.hpp) reads
// these capabilities; nothing else in the library names an arch.
#pragma once
#include "../numeric/fp8_format.hpp"
#include "arch_id.hpp"

namespace hipfuse {
namespace arch {

// Matrix instructions an arch offers for fp8 x fp8 -> fp32.
enum class fp8_matrix_unit {
  none,          // no fp8 matrix instruction: the GEMM uses the scalar reference atom
  mfma_fp8,      // gfx942 v_mfma_f32_{32x32x16,16x16x32}_fp8_fp8
  mfma_f8f6f4,   // gfx950 v_mfma_f32_{16x16x128,32x32x64}_f8f6f4 (+ v_mfma_scale_*)
  mma_sync_e4m3  // NVIDIA sm89+ mma.sync.m16n8k32 e4m3 (sm90: not the full fp8 rate; has_wgmma is)
};

struct gfx942 {
  static constexpr arch_id id = arch_id::gfx942;
  static constexpr const char* name = "gfx942";
  static constexpr int wave_size = 64;
  static constexpr int shared_memory_bytes = 64 * 1024;  // LDS per workgroup
  static constexpr int max_vector_bytes = 16;            // global_load_dwordx4
  using fp8_type = float8_e4m3fnuz;
  static constexpr fp8_matrix_unit matrix_unit = fp8_matrix_unit::mfma_fp8;
  static constexpr bool has_scaled_mfma = false;
  static constexpr bool has_wgmma = false;
  static constexpr bool has_hardware_fp8_convert = true;  // v_cvt_pk_fp8_f32 (fnuz)
  static constexpr bool is_amd = true;
};

struct gfx950 {
  static constexpr arch_id id = arch_id::gfx950;
  static constexpr const char* name = "gfx950";
  static constexpr int wave_size = 64;
  static constexpr int shared_memory_bytes = 160 * 1024;
  static constexpr int max_vector_bytes = 16;
  using fp8_type = float8_e4m3fn;
  static constexpr fp8_matrix_unit matrix_unit = fp8_matrix_unit::mfma_f8f6f4;
  static constexpr bool has_scaled_mfma = true;           // v_mfma_scale_f32_*_f8f6f4 with E8M0 scales
  static constexpr bool has_wgmma = false;
  static constexpr bool has_hardware_fp8_convert = true;  // v_cvt_pk_fp8_f32 (OCP)
  static constexpr bool is_amd = true;
};

struct sm89 {
  static constexpr arch_id id = arch_id::sm89;
  static constexpr const char* name = "sm89";
  static constexpr int wave_size = 32;
  static constexpr int shared_memory_bytes = 99 * 1024;
  static constexpr int max_vector_bytes = 16;
  using fp8_type = float8_e4m3fn;
  static constexpr fp8_matrix_unit matrix_unit = fp8_matrix_unit::mma_sync_e4m3;
  static constexpr bool has_scaled_mfma = false;
  static constexpr bool has_wgmma = false;
  static constexpr bool has_hardware_fp8_convert = true;  // cvt.rn.satfinite.e4m3x2.f32
  static constexpr bool is_amd = false;
};

struct sm90 {
  static constexpr arch_id id = arch_id::sm90;
  static constexpr const char* name = "sm90";
  static constexpr int wave_size = 32;
  static constexpr int shared_memory_bytes = 227 * 1024;
  static constexpr int max_vector_bytes = 16;
  using fp8_type = float8_e4m3fn;
  static constexpr fp8_matrix_unit matrix_unit = fp8_matrix_unit::mma_sync_e4m3;
  static constexpr bool has_scaled_mfma = false;
  static constexpr bool has_wgmma = true;  // wgmma e4m3 (sm_90a code): the full fp8 rate
  static constexpr bool has_hardware_fp8_convert = true;
  static constexpr bool is_amd = false;
};

// Kernels executed on the CPU: one thread per block, so the wave is one lane wide and every
// parallel loop in the generic code runs serially through the same source.
struct host {
  static constexpr arch_id id = arch_id::host;
  static constexpr const char* name = "host";
  static constexpr int wave_size = 1;
  static constexpr int shared_memory_bytes = 1 << 20;
  static constexpr int max_vector_bytes = 16;
  using fp8_type = float8_e4m3fn;
  static constexpr fp8_matrix_unit matrix_unit = fp8_matrix_unit::none;
  static constexpr bool has_scaled_mfma = false;
  static constexpr bool has_wgmma = false;
  static constexpr bool has_hardware_fp8_convert = false;
  static constexpr bool is_amd = false;
};

template <class Arch>
inline constexpr bool is_arch = false;
template <> inline constexpr bool is_arch<gfx942> = true;
template <> inline constexpr bool is_arch<gfx950> = true;
template <> inline constexpr bool is_arch<sm89> = true;
template <> inline constexpr bool is_arch<sm90> = true;
template <> inline constexpr bool is_arch<host> = true;

// Is the current compilation pass generating code for Arch? Kernels compile their bodies only
// for their own arch (the other passes of a fat binary get a loud trap instead).
template <class Arch>
inline constexpr bool compiling_for = Arch::id == device_target;

}  // namespace arch
}  // namespace hipfuse
