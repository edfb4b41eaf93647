// What every matrix-instruction atom provides, and the fragment storage they share.
//
// An atom wraps one matrix instruction D = A·B + C over an m×n×k tile executed by `lanes` lanes.
// Each lane holds a_per_lane fp8 values of A, b_per_lane of B (B is stored n-major: B[n][k]) and
// c_per_lane fp32 values of C. The atom states, as constexpr functions callable on the host:
//   a_coord(lane, i) -> {row, k}   the A element held in byte i of the lane's A fragment
//   b_coord(lane, i) -> {col, k}   the B element held in byte i of the lane's B fragment
//   c_coord(lane, i) -> {row, col} the C element held in float i of the lane's C fragment
// and `a_run`: bytes i, i+1, ... i+a_run-1 (i a multiple of a_run) hold consecutive k of one row,
// so the pipeline can fetch a run with one shared-memory read. `model(...)` computes the
// instruction for a whole wave on the host from the vendor's description of which lane holds which
// element (written as the inverse map, independently of the *_coord functions), and `mma(...)`
// issues the real instruction on the device.
#pragma once
#include <cstdint>
#include "../config.hpp"

namespace hipfuse {
namespace gemm {

struct row_k {
  int row, k;
};
struct row_col {
  int row, col;
};

// A lane's fp8 operand: Bytes fp8 codes packed into 32-bit registers, byte i in register i/4.
template <int Bytes>
struct fp8_fragment {
  static_assert(Bytes % 4 == 0, "fp8 fragments are whole registers");
  static constexpr int bytes = Bytes;
  std::uint32_t reg[Bytes / 4];

  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::uint8_t byte(int i) const {
    return static_cast<std::uint8_t>(reg[i / 4] >> (8 * (i % 4)));
  }
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void set_byte(int i, std::uint8_t v) {
    const int shift = 8 * (i % 4);
    reg[i / 4] = (reg[i / 4] & ~(0xFFu << shift)) | (static_cast<std::uint32_t>(v) << shift);
  }
};

// A lane's fp32 accumulator fragment.
template <int Count>
struct accumulator_fragment {
  static constexpr int count = Count;
  float value[Count];
};

}  // namespace gemm
}  // namespace hipfuse
