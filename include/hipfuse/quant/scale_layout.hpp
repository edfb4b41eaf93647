// Where the scale of group g of row m lives. A layout is a type, so an op that consumes scales in
// one layout (the block-scale GEMM) does not compile when handed another:
//
//   row_major                  [M, G]  scale(m, g) at m * stride + g          stride >= G
//   column_major               [G, M]  scale(m, g) at g * stride + m          stride == M
//   column_major_aligned4      [G, M'] scale(m, g) at g * stride + m          stride == align(M, 4)
//   ue8m0_packed_column_major  int32 [ceil(G/4), M'], byte g % 4 of word (g / 4) * stride + m,
//                              stride == align(M, 4); UE8M0 only
//
// (G = groups per row = K / group size.) column_major is aiter's transposed scale and torch
// _scaled_mm's outer-dim-major one; column_major_aligned4 is DeepGEMM's TMA-aligned layout;
// the packed one is what DeepGEMM takes on GPUs with UE8M0 scale support. Padding rows
// (m >= M in the aligned layouts) are never written; the padding bytes of a packed row's last word
// (groups G .. align(G, 4) - 1) are written as zero.
//
// A scale element is float or ue8m0 (one byte). scale_view<Layout, Scale> is a pointer + stride
// with the layout in its type.
#pragma once
#include <cstdint>
#include <type_traits>
#include "../config.hpp"
#include "../numeric/ue8m0.hpp"

namespace hipfuse {
namespace scale_layout {

HIPFUSE_HOST_DEVICE constexpr std::int64_t align4(std::int64_t n) { return (n + 3) / 4 * 4; }

struct row_major {
  static constexpr const char* name = "row_major";
  static constexpr bool packed = false;
  static constexpr bool exact_stride = false;  // any stride >= groups (a row slice of a wider buffer)
  static constexpr std::int64_t natural_stride(std::int64_t /*rows*/, std::int64_t groups) { return groups; }
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static std::int64_t offset(std::int64_t m, std::int64_t g,
                                                                     std::int64_t stride) {
    return m * stride + g;
  }
  // Elements from the first to one past the last one written.
  static constexpr std::int64_t extent(std::int64_t rows, std::int64_t groups, std::int64_t stride) {
    return rows == 0 || groups == 0 ? 0 : (rows - 1) * stride + groups;
  }
};

struct column_major {
  static constexpr const char* name = "column_major";
  static constexpr bool packed = false;
  static constexpr bool exact_stride = true;
  static constexpr std::int64_t natural_stride(std::int64_t rows, std::int64_t /*groups*/) { return rows; }
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static std::int64_t offset(std::int64_t m, std::int64_t g,
                                                                     std::int64_t stride) {
    return g * stride + m;
  }
  static constexpr std::int64_t extent(std::int64_t rows, std::int64_t groups, std::int64_t stride) {
    return rows == 0 || groups == 0 ? 0 : (groups - 1) * stride + rows;
  }
};

struct column_major_aligned4 {
  static constexpr const char* name = "column_major_aligned4";
  static constexpr bool packed = false;
  static constexpr bool exact_stride = true;
  static constexpr std::int64_t natural_stride(std::int64_t rows, std::int64_t /*groups*/) { return align4(rows); }
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static std::int64_t offset(std::int64_t m, std::int64_t g,
                                                                     std::int64_t stride) {
    return g * stride + m;
  }
  static constexpr std::int64_t extent(std::int64_t rows, std::int64_t groups, std::int64_t stride) {
    return rows == 0 || groups == 0 ? 0 : (groups - 1) * stride + rows;
  }
};

// Offsets are in int32 words; the byte within a word is g % 4 (little-endian, as on every target).
struct ue8m0_packed_column_major {
  static constexpr const char* name = "ue8m0_packed_column_major";
  static constexpr bool packed = true;
  static constexpr bool exact_stride = true;
  static constexpr std::int64_t natural_stride(std::int64_t rows, std::int64_t /*groups*/) { return align4(rows); }
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static std::int64_t offset(std::int64_t m, std::int64_t g,
                                                                     std::int64_t stride) {
    return (g / 4) * stride + m;
  }
  static constexpr std::int64_t extent(std::int64_t rows, std::int64_t groups, std::int64_t stride) {
    return rows == 0 || groups == 0 ? 0 : ((groups + 3) / 4 - 1) * stride + rows;
  }
};

}  // namespace scale_layout

template <class Layout>
inline constexpr bool is_scale_layout =
    std::is_same_v<Layout, scale_layout::row_major> || std::is_same_v<Layout, scale_layout::column_major> ||
    std::is_same_v<Layout, scale_layout::column_major_aligned4> ||
    std::is_same_v<Layout, scale_layout::ue8m0_packed_column_major>;

template <class Scale>
inline constexpr bool is_scale_type = std::is_same_v<Scale, float> || std::is_same_v<Scale, ue8m0>;

// The element type of a scale buffer: the scale itself, or int32 words holding four UE8M0 bytes.
template <class Layout, class Scale>
using scale_storage_t = std::conditional_t<Layout::packed, std::int32_t, Scale>;

template <class Layout, class Scale = float>
struct scale_view {
  static_assert(is_scale_layout<Layout>, "Layout must be one of hipfuse::scale_layout::*");
  static_assert(is_scale_type<Scale>, "a scale is float or ue8m0");
  static_assert(!Layout::packed || std::is_same_v<Scale, ue8m0>, "the packed layout holds UE8M0 scales only");
  using layout = Layout;
  using scale_type = Scale;
  using storage_type = scale_storage_t<Layout, Scale>;

  storage_type* data = nullptr;
  std::int64_t stride = 0;  // in storage_type elements, along the layout's outer dimension

  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void store(std::int64_t m, std::int64_t g, Scale s) const {
    if constexpr (Layout::packed) {
      reinterpret_cast<unsigned char*>(data + Layout::offset(m, g, stride))[g % 4] = s.bits;
    } else {
      data[Layout::offset(m, g, stride)] = s;
    }
  }

  // Zero the unused bytes of a packed row's last word; `groups` is the row's group count.
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void store_padding(std::int64_t m, std::int64_t groups) const {
    if constexpr (Layout::packed) {
      unsigned char* word = reinterpret_cast<unsigned char*>(data + Layout::offset(m, groups - 1, stride));
      for (std::int64_t g = groups; g % 4 != 0; ++g) word[g % 4] = 0;
    } else {
      (void)m, (void)groups;
    }
  }

  // The scale as a float, for consumers that multiply by it.
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float load(std::int64_t m, std::int64_t g) const {
    if constexpr (Layout::packed) {
      return to_float(ue8m0{reinterpret_cast<const unsigned char*>(data + Layout::offset(m, g, stride))[g % 4]});
    } else if constexpr (std::is_same_v<Scale, ue8m0>) {
      return to_float(data[Layout::offset(m, g, stride)]);
    } else {
      return data[Layout::offset(m, g, stride)];
    }
  }
};

}  // namespace hipfuse
