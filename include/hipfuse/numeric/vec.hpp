// vec<T, N>: N elements moved as one aligned access (16 bytes = one global_load_dwordx4 on AMD,
// one LDG.128 on NVIDIA), with float conversions for the math. Wider vecs move as consecutive
// 16-byte accesses and need only 16-byte alignment.
#pragma once
#include <cstdint>
#include <type_traits>
#include "half_types.hpp"

namespace hipfuse {

template <class T, int N>
struct alignas(sizeof(T) * N) vec {
  static_assert((N & (N - 1)) == 0, "vec width must be a power of two");
  T data[N];
  static constexpr int size = N;

  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE T& operator[](int i) { return data[i]; }
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE const T& operator[](int i) const { return data[i]; }

  // p must be aligned to sizeof(vec), or to 16 bytes for wider vecs.
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static vec load(const T* p) {
    if constexpr (sizeof(vec) <= 16) {
      return *reinterpret_cast<const vec*>(p);
    } else {
      vec v;
      for (int i = 0; i < pieces; ++i)
        *reinterpret_cast<piece*>(v.data + i * piece_size) = *reinterpret_cast<const piece*>(p + i * piece_size);
      return v;
    }
  }
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void store(T* p) const {
    if constexpr (sizeof(vec) <= 16) {
      *reinterpret_cast<vec*>(p) = *this;
    } else {
      for (int i = 0; i < pieces; ++i)
        *reinterpret_cast<piece*>(p + i * piece_size) = *reinterpret_cast<const piece*>(data + i * piece_size);
    }
  }

 private:
  static constexpr int piece_size = 16 / static_cast<int>(sizeof(T)) < N ? 16 / static_cast<int>(sizeof(T)) : N;
  static constexpr int pieces = N / piece_size;
  struct alignas(16) piece {
    T data[piece_size];
  };
};

// The elements as floats. bf16 pairs are unpacked from their 32-bit words, the low half by a shift
// and the high half by a mask: one instruction per value, where converting element by element
// costs the high half a byte permute more (ptxas and the AMD backend both extract it first).
template <class T, int N>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void to_floats(const vec<T, N>& v, float (&out)[N]) {
  if constexpr (std::is_same_v<T, bfloat16> && N % 2 == 0) {
    const auto words = bit_cast<vec<std::uint32_t, N / 2>>(v);
    for (int i = 0; i < N / 2; ++i) {
      out[2 * i] = float_from_bits(words[i] << 16);
      out[2 * i + 1] = float_from_bits(words[i] & 0xFFFF0000u);
    }
  } else {
    for (int i = 0; i < N; ++i) out[i] = to_float(v[i]);
  }
}

// Elements per 16-byte access for element type T (bounded by the arch's widest vector load).
template <class T, int MaxVectorBytes = 16>
inline constexpr int elements_per_access = MaxVectorBytes / static_cast<int>(sizeof(T));

}  // namespace hipfuse
