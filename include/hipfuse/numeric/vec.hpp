// vec<T, N>: N elements moved as one aligned access (16 bytes = one global_load_dwordx4 on AMD,
// one LDG.128 on NVIDIA), with float conversions for the math.
#pragma once
#include "half_types.hpp"

namespace hipfuse {

template <class T, int N>
struct alignas(sizeof(T) * N) vec {
  static_assert((N & (N - 1)) == 0, "vec width must be a power of two");
  T data[N];
  static constexpr int size = N;

  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE T& operator[](int i) { return data[i]; }
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE const T& operator[](int i) const { return data[i]; }

  // p must be aligned to sizeof(vec).
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static vec load(const T* p) { return *reinterpret_cast<const vec*>(p); }
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void store(T* p) const { *reinterpret_cast<vec*>(p) = *this; }
};

// Elements per 16-byte access for element type T (bounded by the arch's widest vector load).
template <class T, int MaxVectorBytes = 16>
inline constexpr int elements_per_access = MaxVectorBytes / static_cast<int>(sizeof(T));

}  // namespace hipfuse
