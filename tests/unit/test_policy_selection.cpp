// The selection table: for every (arch, op family, dtype) the backend `automatic` resolves to.
// A condition that silently kept one arch off its fast path shows up here as a failed row.
#include <type_traits>
#include <hipfuse/arch/detect.hpp>
#include <hipfuse/policy.hpp>
#include "test_support.hpp"

using namespace hipfuse;
namespace b = hipfuse::backend;

template <class A, class B>
constexpr bool same = std::is_same_v<A, B>;

TEST_CASE("reduction backend per arch (rmsnorm, quant amax)", "[policy]") {
  STATIC_REQUIRE(same<policy<arch::gfx942>::reduce_backend, b::rocprim>);
  STATIC_REQUIRE(same<policy<arch::gfx950>::reduce_backend, b::rocprim>);
  STATIC_REQUIRE(same<policy<arch::sm90>::reduce_backend, b::cub>);
  STATIC_REQUIRE(same<policy<arch::sm89>::reduce_backend, b::cub>);
  STATIC_REQUIRE(same<policy<arch::host>::reduce_backend, b::serial>);
  STATIC_REQUIRE(same<policy<arch::gfx950, b::native>::reduce_backend, b::native>);
}

TEST_CASE("fp8 format and convert per arch (quant)", "[policy]") {
  STATIC_REQUIRE(same<policy<arch::gfx942>::fp8_type, float8_e4m3fnuz>);
  STATIC_REQUIRE(same<policy<arch::gfx950>::fp8_type, float8_e4m3fn>);
  STATIC_REQUIRE(same<policy<arch::sm90>::fp8_type, float8_e4m3fn>);
  STATIC_REQUIRE(same<policy<arch::gfx942>::fp8_convert_backend<>, b::hardware_fp8_convert>);
  STATIC_REQUIRE(same<policy<arch::gfx950>::fp8_convert_backend<>, b::hardware_fp8_convert>);
  STATIC_REQUIRE(same<policy<arch::sm90>::fp8_convert_backend<>, b::hardware_fp8_convert>);
  STATIC_REQUIRE(same<policy<arch::host>::fp8_convert_backend<>, b::emulated_fp8_convert>);
  // A format the hardware does not produce, or the non-saturating mode, falls back to emulation.
  STATIC_REQUIRE(same<with_fp8<policy<arch::gfx942>, float8_e4m3fn>::fp8_convert_backend<>, b::emulated_fp8_convert>);
  STATIC_REQUIRE(same<with_fp8<policy<arch::sm90>, float8_e4m3fnuz>::fp8_convert_backend<>, b::emulated_fp8_convert>);
  STATIC_REQUIRE(same<policy<arch::gfx950>::fp8_convert_backend<fp8_overflow::to_nan>, b::emulated_fp8_convert>);
}

TEST_CASE("GEMM backend per arch and scale type", "[policy]") {
  STATIC_REQUIRE(same<policy<arch::gfx942>::gemm_backend<float>, b::mfma_fp8>);
  STATIC_REQUIRE(same<policy<arch::gfx942>::gemm_backend<ue8m0>, b::mfma_fp8>);
  STATIC_REQUIRE(same<policy<arch::gfx950>::gemm_backend<float>, b::mfma_f8f6f4>);
  STATIC_REQUIRE(same<policy<arch::gfx950>::gemm_backend<ue8m0>, b::mfma_scaled>);
  STATIC_REQUIRE(same<policy<arch::sm90>::gemm_backend<float>, b::wgmma_e4m3>);
  STATIC_REQUIRE(same<policy<arch::sm90>::gemm_backend<ue8m0>, b::wgmma_e4m3>);
  STATIC_REQUIRE(same<policy<arch::sm90, b::automatic, b::mma_sync_e4m3>::gemm_backend<float>, b::mma_sync_e4m3>);
  STATIC_REQUIRE(same<policy<arch::sm89>::gemm_backend<ue8m0>, b::mma_sync_e4m3>);
  STATIC_REQUIRE(same<policy<arch::host>::gemm_backend<float>, b::reference_matmul>);
  STATIC_REQUIRE(same<policy<arch::gfx950, b::automatic, b::mfma_f8f6f4>::gemm_backend<ue8m0>, b::mfma_f8f6f4>);
}

TEST_CASE("arch traits state the hardware facts", "[policy]") {
  STATIC_REQUIRE(arch::gfx942::wave_size == 64);
  STATIC_REQUIRE(arch::gfx950::wave_size == 64);
  STATIC_REQUIRE(arch::sm90::wave_size == 32);
  STATIC_REQUIRE(arch::gfx942::shared_memory_bytes == 64 * 1024);
  STATIC_REQUIRE(arch::gfx950::shared_memory_bytes == 160 * 1024);
  STATIC_REQUIRE(arch::gfx942::fp8_type::max_finite == 240.0f);
  STATIC_REQUIRE(arch::gfx950::fp8_type::max_finite == 448.0f);
}

TEST_CASE("run-time detection maps runtime names onto arch ids", "[policy]") {
  CHECK(arch_from_gcn_name("gfx942:sramecc+:xnack-") == arch_id::gfx942);
  CHECK(arch_from_gcn_name("gfx950") == arch_id::gfx950);
  CHECK(arch_from_gcn_name("gfx90a:sramecc+:xnack-") == arch_id::unknown);
  CHECK(arch_from_gcn_name("gfx9420") == arch_id::unknown);
  CHECK(arch_from_gcn_name(nullptr) == arch_id::unknown);
  CHECK(arch_from_compute_capability(9, 0) == arch_id::sm90);
  CHECK(arch_from_compute_capability(8, 9) == arch_id::sm89);
  CHECK(arch_from_compute_capability(8, 0) == arch_id::unknown);
  CHECK(arch_from_compute_capability(10, 0) == arch_id::unknown);
}

TEST_CASE("an unsupported GPU gives a status naming it and the supported list", "[policy]") {
  const status s = unsupported_device("gfx90a");
  CHECK(s.code == status_code::unsupported_arch);
  CHECK(s.message.find("gfx90a") != std::string::npos);
  CHECK(s.message.find(supported_arch_list()) != std::string::npos);
  arch_id found{};
  CHECK(detect_arch(found).ok());
  CHECK(found == arch_id::host);
}
