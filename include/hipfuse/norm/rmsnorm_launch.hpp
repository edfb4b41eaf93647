// Host launchers for RMSNorm and fused QK RMSNorm. Each validates its arguments first
// (can_implement) and launches nothing, writing nothing, when they are not valid.
//
//   hipfuse::rmsnorm_args<hipfuse::bfloat16> a;      // output type defaults to the input type
//   a.input = x; a.input_stride = hidden; a.output = y; a.output_stride = hidden;
//   a.weight = w; a.rows = tokens; a.hidden = hidden; a.eps = 1e-6f;
//   a.residual = r; a.residual_stride = hidden;      // optional: x += r, then r = x
//   hipfuse::status s = hipfuse::rmsnorm(a, stream);   // s.ok(), or s.code and s.message
//
//   hipfuse::qk_rmsnorm_args<hipfuse::bfloat16> qk;  // DeepSeek MLA: q and k_nope views of [T, 2112]
//   qk.tokens = T;
//   qk.q = {buf, buf, 2112, 2112, 1, 1536, q_a_weight, 1e-6f};          // in place
//   qk.k = {buf + 1536, buf + 1536, 2112, 2112, 1, 512, kv_a_weight, 1e-6f};
//   hipfuse::qk_rmsnorm(qk, stream);
//
// Rules (any violation: a status naming the argument, nothing launched):
//   - sizes >= 0, a row (heads * head_dim, hidden) of at least one element and below 2^31;
//     0 rows/tokens is a valid no-op (pointers are not looked at then);
//   - pointers non-null (residual may be null), aligned to their element, in device memory on a GPU;
//   - strides (elements between rows/tokens) >= the row length;
//   - eps finite and > 0;
//   - an output either is exactly its input (same pointer and stride: in place) or shares no
//     byte with it; outputs share no byte with any other operand (q's output and k's input, the
//     residual and the output, an output and a weight...). Views interleaved in one buffer with
//     the same stride, like MLA's q and k_nope, are told apart exactly; with different strides
//     any overlap of their address ranges is refused.
// Alignment: when every pointer is 16-byte aligned and every stride (and, with several heads,
// head_dim) is a multiple of 16 bytes, rows move as 16-byte vectors; otherwise the launcher falls
// back to one element per access, slower but otherwise identical (results bit for bit equal).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include "../kernel.hpp"
#include "../platform/runtime.hpp"
#include "../status.hpp"
#include "qk_rmsnorm.hpp"
#include "qk_token_block.hpp"
#include "rmsnorm.hpp"

namespace hipfuse {

template <class T, class OutT = T>
struct rmsnorm_args {
  const T* input = nullptr;
  std::int64_t input_stride = 0;
  OutT* output = nullptr;  // may be input (in place, same stride, OutT == T)
  std::int64_t output_stride = 0;
  const T* weight = nullptr;  // hidden elements
  T* residual = nullptr;      // optional; updated in place to round_to_T(input + residual)
  std::int64_t residual_stride = 0;
  std::int64_t rows = 0;
  std::int64_t hidden = 0;
  float eps = 1e-6f;
  bool gemma = false;  // multiply by (1 + w) instead of w
};

template <class T>
struct qk_rmsnorm_args : qk_rmsnorm_params<T> {};

namespace norm_detail {

// Rows of `row_bytes` bytes at `base + i * stride_bytes`, i < rows.
struct strided_region {
  std::uintptr_t base = 0;
  std::int64_t rows = 0, row_bytes = 0, stride_bytes = 0;
  std::uintptr_t end() const { return base + static_cast<std::uintptr_t>((rows - 1) * stride_bytes + row_bytes); }
};

template <class T>
strided_region region_of(const T* p, std::int64_t rows, std::int64_t row_elements, std::int64_t stride) {
  return {reinterpret_cast<std::uintptr_t>(p), rows, row_elements * static_cast<std::int64_t>(sizeof(T)),
          stride * static_cast<std::int64_t>(sizeof(T))};
}

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Do two strided regions share a byte? Exact when the strides are equal (interleaved column
// views of one buffer); otherwise conservative (the address ranges).
inline bool regions_overlap(const strided_region& a, const strided_region& b) {
  if (a.rows <= 0 || b.rows <= 0 || a.row_bytes <= 0 || b.row_bytes <= 0) return false;
  if (a.end() <= b.base || b.end() <= a.base) return false;
  if (a.stride_bytes != b.stride_bytes || a.stride_bytes <= 0) return true;
  // Row i of a is [i*s, i*s + na); row j of b is [d + j*s, d + j*s + nb), d = b - a. They meet iff
  // k*s lies in (-d - nb, na - d) for some k = j - i in [-(a.rows - 1), b.rows - 1].
  const std::int64_t s = a.stride_bytes;
  const std::int64_t d = static_cast<std::int64_t>(b.base - a.base);
  const std::int64_t lo = -d - b.row_bytes, hi = a.row_bytes - d;
  std::int64_t k = floor_div(lo, s) + 1;  // smallest k with k*s > lo
  if (k < -(a.rows - 1)) k = -(a.rows - 1);
  return k <= b.rows - 1 && k * s < hi && k * s > lo;
}

inline std::string describe(const char* name, const void* p) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", p);
  return std::string(name) + " (" + text + ")";
}

inline status check_pointer(const char* name, const void* p, std::size_t element_bytes) {
  if (p == nullptr) return status::error(status_code::null_pointer, std::string(name) + " is null");
  if (reinterpret_cast<std::uintptr_t>(p) % element_bytes != 0)
    return status::error(status_code::misaligned, describe(name, p) + " is not aligned to its " +
                                                      std::to_string(element_bytes) + "-byte element");
  if (!platform::is_device_accessible(p))
    return status::error(status_code::not_device_memory, describe(name, p) + " is not device memory");
  return status::success();
}

inline status check_eps(const char* name, float eps) {
  if (!(eps > 0.0f) || !std::isfinite(eps))
    return status::error(status_code::invalid_value, std::string(name) + " must be finite and > 0, got " +
                                                         std::to_string(eps));
  return status::success();
}

inline status check_stride(const char* name, std::int64_t stride, std::int64_t row) {
  if (stride < row)
    return status::error(status_code::invalid_stride, std::string(name) + " = " + std::to_string(stride) +
                                                          " is smaller than the row of " + std::to_string(row) +
                                                          " elements");
  return status::success();
}

// An output must be exactly its input (in place) or disjoint from it.
inline status check_in_place_or_disjoint(const char* out_name, const strided_region& out, const char* in_name,
                                         const strided_region& in) {
  if (out.base == in.base && out.stride_bytes == in.stride_bytes && out.row_bytes == in.row_bytes)
    return status::success();
  if (regions_overlap(out, in))
    return status::error(status_code::overlap, std::string(out_name) + " overlaps " + in_name +
                                                   " without being exactly in place (same pointer and stride)");
  return status::success();
}

inline status check_disjoint(const char* a_name, const strided_region& a, const char* b_name,
                             const strided_region& b) {
  if (regions_overlap(a, b))
    return status::error(status_code::overlap, std::string(a_name) + " overlaps " + b_name);
  return status::success();
}

inline bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }
template <class T>
bool aligned16_elements(std::int64_t n) {
  return (n * static_cast<std::int64_t>(sizeof(T))) % 16 == 0;
}

#define HIPFUSE_NORM_TRY(expr)        \
  do {                                \
    if (status s_ = (expr); !s_.ok()) \
      return s_;                      \
  } while (0)

// The launch of `rows` rows, `elements` elements in all: its tier (by row length) and the shape
// of that tier for this kind of launch (pick_row_launch).
struct launch_size {
  std::int64_t rows = 0, elements = 0;
};

template <class Arch, class T, int Tier, class F>
status with_tier_kind(row_launch kind, F&& f) {
  if (kind == row_launch::wide) return f(row_tier_config<Arch, T, Tier, row_launch::wide>{});
  if (kind == row_launch::latency) return f(row_tier_config<Arch, T, Tier, row_launch::latency>{});
  return f(row_tier_config<Arch, T, Tier, row_launch::streaming>{});
}

template <class Arch, class T, int Tier = 0, class F>
status with_row_config(std::int64_t row_elements, bool vector_path, F&& f, launch_size size) {
  if (!vector_path) return f(row_scalar_config<Arch>{});
  using candidate = row_tier_config<Arch, T, Tier>;
  if constexpr (Tier + 1 >= row_tier_count<Arch>) {
    return f(candidate{});
  } else {
    if (row_elements <= candidate::max_cached_elements)
      return with_tier_kind<Arch, T, Tier>(pick_row_launch<Arch>(Tier, size.rows, size.elements), std::forward<F>(f));
    return with_row_config<Arch, T, Tier + 1>(row_elements, true, std::forward<F>(f), size);
  }
}

// The blocks for `rows` rows of a rows functor, or an error past one launch's grid.
template <class Functor>
status grid_for(std::int64_t rows, int& blocks) {
  const std::int64_t needed = Functor::blocks_for(rows);
  if (needed > std::numeric_limits<int>::max())
    return status::error(status_code::invalid_shape, "too many rows for one launch: " + std::to_string(rows));
  blocks = static_cast<int>(needed);
  return status::success();
}

// The kernels with weight offsets only when a row set has one (Gemma): the add costs the others.
// Two row sets (q and k) in one grid:
template <class Policy, class T, class OutT, class Config, bool Residual>
status launch_rows(const row_set<T, OutT>& first, const row_set<T, OutT>& second, platform::launch_stream stream) {
  using rows_functor = rmsnorm_rows<Policy, T, OutT, Config, Residual>;
  int blocks = 0;
  HIPFUSE_NORM_TRY(grid_for<rows_functor>(first.rows + second.rows, blocks));
  const bool offsets = first.weight_offset != 0.0f || second.weight_offset != 0.0f;
  return platform::launch(offsets ? rmsnorm_rows_kernel<Policy, T, OutT, Config, Residual, true>
                                  : rmsnorm_rows_kernel<Policy, T, OutT, Config, Residual, false>,
                          {blocks, 1}, Config::block_threads, 0, stream, first, second);
}

// One row set (the plain norm), through the kernel with one set's arguments.
template <class Policy, class T, class OutT, class Config, bool Residual>
status launch_set(const row_set<T, OutT>& rows, platform::launch_stream stream) {
  using rows_functor = rmsnorm_rows<Policy, T, OutT, Config, Residual>;
  int blocks = 0;
  HIPFUSE_NORM_TRY(grid_for<rows_functor>(rows.rows, blocks));
  return platform::launch(rows.weight_offset != 0.0f ? rmsnorm_set_kernel<Policy, T, OutT, Config, Residual, true>
                                                     : rmsnorm_set_kernel<Policy, T, OutT, Config, Residual, false>,
                          {blocks, 1}, Config::block_threads, 0, stream, rows);
}

}  // namespace norm_detail

template <class T, class OutT>
status can_implement(const rmsnorm_args<T, OutT>& a) {
  using namespace norm_detail;
  if (a.rows < 0 || a.hidden < 0)
    return status::error(status_code::invalid_shape, "rmsnorm: rows = " + std::to_string(a.rows) +
                                                         " and hidden = " + std::to_string(a.hidden) +
                                                         " must be >= 0");
  if (a.rows > 0 && (a.hidden < 1 || a.hidden > std::numeric_limits<int>::max()))
    return status::error(status_code::invalid_shape,
                         "rmsnorm: hidden = " + std::to_string(a.hidden) + " must be in [1, 2^31)");
  HIPFUSE_NORM_TRY(check_eps("rmsnorm: eps", a.eps));
  if (a.rows == 0) return status::success();
  HIPFUSE_NORM_TRY(check_pointer("rmsnorm: input", a.input, sizeof(T)));
  HIPFUSE_NORM_TRY(check_pointer("rmsnorm: output", a.output, sizeof(OutT)));
  HIPFUSE_NORM_TRY(check_pointer("rmsnorm: weight", a.weight, sizeof(T)));
  if (a.residual) HIPFUSE_NORM_TRY(check_pointer("rmsnorm: residual", a.residual, sizeof(T)));
  HIPFUSE_NORM_TRY(check_stride("rmsnorm: input_stride", a.input_stride, a.hidden));
  HIPFUSE_NORM_TRY(check_stride("rmsnorm: output_stride", a.output_stride, a.hidden));
  if (a.residual) HIPFUSE_NORM_TRY(check_stride("rmsnorm: residual_stride", a.residual_stride, a.hidden));

  const strided_region in = region_of(a.input, a.rows, a.hidden, a.input_stride);
  const strided_region out = region_of(a.output, a.rows, a.hidden, a.output_stride);
  const strided_region w = region_of(a.weight, 1, a.hidden, a.hidden);
  if constexpr (std::is_same_v<T, OutT>) {
    HIPFUSE_NORM_TRY(check_in_place_or_disjoint("rmsnorm: output", out, "input", in));
  } else {
    HIPFUSE_NORM_TRY(check_disjoint("rmsnorm: output", out, "input (in place needs the same dtype)", in));
  }
  HIPFUSE_NORM_TRY(check_disjoint("rmsnorm: output", out, "weight", w));
  if (a.residual) {
    const strided_region r = region_of(a.residual, a.rows, a.hidden, a.residual_stride);
    HIPFUSE_NORM_TRY(check_disjoint("rmsnorm: residual", r, "input", in));
    HIPFUSE_NORM_TRY(check_disjoint("rmsnorm: residual", r, "output", out));
    HIPFUSE_NORM_TRY(check_disjoint("rmsnorm: residual", r, "weight", w));
  }
  return status::success();
}

// Does the launcher use 16-byte vectors for these arguments (else one element per access)?
template <class T, class OutT>
bool uses_vector_path(const rmsnorm_args<T, OutT>& a) {
  using namespace norm_detail;
  bool ok = aligned16(a.input) && aligned16(a.output) && aligned16(a.weight) &&
            aligned16_elements<T>(a.input_stride) && aligned16_elements<OutT>(a.output_stride);
  if (a.residual) ok = ok && aligned16(a.residual) && aligned16_elements<T>(a.residual_stride);
  return ok;
}

template <class T, class OutT>
status rmsnorm(const rmsnorm_args<T, OutT>& a, platform::launch_stream stream = {}) {
  HIPFUSE_NORM_TRY(can_implement(a));
  if (a.rows == 0) return status::success();
  row_set<T, OutT> rows;
  rows.input = a.input;
  rows.output = a.output;
  rows.residual = a.residual;
  rows.weight = a.weight;
  rows.input_stride = a.input_stride;
  rows.output_stride = a.output_stride;
  rows.residual_stride = a.residual_stride;
  rows.rows = a.rows;
  rows.n = static_cast<int>(a.hidden);
  rows.eps = a.eps;
  rows.weight_offset = a.gemma ? 1.0f : 0.0f;
  const bool vector_path = uses_vector_path(a);
  return with_detected_arch([&](auto arch_tag) {
    using P = policy<decltype(arch_tag)>;
    return norm_detail::with_row_config<typename P::arch, T>(a.hidden, vector_path, [&](auto config) {
      using C = decltype(config);
      if (a.residual) return norm_detail::launch_set<P, T, OutT, C, true>(rows, stream);
      return norm_detail::launch_set<P, T, OutT, C, false>(rows, stream);
    }, norm_detail::launch_size{a.rows, a.rows * a.hidden});
  });
}

template <class T>
status can_implement(const qk_rmsnorm_args<T>& a) {
  using namespace norm_detail;
  const qk_tensor<T>* tensors[2] = {&a.q, &a.k};
  const char* names[2] = {"qk_rmsnorm: q", "qk_rmsnorm: k"};
  if (a.tokens < 0)
    return status::error(status_code::invalid_shape, "qk_rmsnorm: tokens = " + std::to_string(a.tokens) +
                                                         " must be >= 0");
  for (int i = 0; i < 2; ++i) {
    const qk_tensor<T>& t = *tensors[i];
    const std::string name = names[i];
    if (t.heads < 1 || t.head_dim < 1 || t.heads * t.head_dim > std::numeric_limits<int>::max())
      return status::error(status_code::invalid_shape, name + ": heads = " + std::to_string(t.heads) +
                                                           " and head_dim = " + std::to_string(t.head_dim) +
                                                           " must be >= 1 with heads * head_dim < 2^31");
    HIPFUSE_NORM_TRY(check_eps((name + ".eps").c_str(), t.eps));
  }
  if (a.tokens == 0) return status::success();
  strided_region in[2], out[2], w[2];
  for (int i = 0; i < 2; ++i) {
    const qk_tensor<T>& t = *tensors[i];
    const std::string name = names[i];
    HIPFUSE_NORM_TRY(check_pointer((name + ".input").c_str(), t.input, sizeof(T)));
    HIPFUSE_NORM_TRY(check_pointer((name + ".output").c_str(), t.output, sizeof(T)));
    HIPFUSE_NORM_TRY(check_pointer((name + ".weight").c_str(), t.weight, sizeof(T)));
    const std::int64_t row = t.heads * t.head_dim;
    HIPFUSE_NORM_TRY(check_stride((name + ".input_stride").c_str(), t.input_stride, row));
    HIPFUSE_NORM_TRY(check_stride((name + ".output_stride").c_str(), t.output_stride, row));
    in[i] = region_of(t.input, a.tokens, row, t.input_stride);
    out[i] = region_of(t.output, a.tokens, row, t.output_stride);
    w[i] = region_of(t.weight, 1, t.head_dim, t.head_dim);
  }
  HIPFUSE_NORM_TRY(check_in_place_or_disjoint("qk_rmsnorm: q.output", out[0], "q.input", in[0]));
  HIPFUSE_NORM_TRY(check_in_place_or_disjoint("qk_rmsnorm: k.output", out[1], "k.input", in[1]));
  HIPFUSE_NORM_TRY(check_disjoint("qk_rmsnorm: q.output", out[0], "k.input", in[1]));
  HIPFUSE_NORM_TRY(check_disjoint("qk_rmsnorm: k.output", out[1], "q.input", in[0]));
  HIPFUSE_NORM_TRY(check_disjoint("qk_rmsnorm: q.output", out[0], "k.output", out[1]));
  for (int i = 0; i < 2; ++i) {
    const char* out_name = i == 0 ? "qk_rmsnorm: q.output" : "qk_rmsnorm: k.output";
    HIPFUSE_NORM_TRY(check_disjoint(out_name, out[i], "q.weight", w[0]));
    HIPFUSE_NORM_TRY(check_disjoint(out_name, out[i], "k.weight", w[1]));
  }
  return status::success();
}

template <class T>
bool uses_vector_path(const qk_rmsnorm_args<T>& a) {
  using namespace norm_detail;
  bool ok = true;
  for (const qk_tensor<T>* t : {&a.q, &a.k}) {
    ok = ok && aligned16(t->input) && aligned16(t->output) && aligned16(t->weight) &&
         aligned16_elements<T>(t->input_stride) && aligned16_elements<T>(t->output_stride) &&
         (t->heads == 1 || aligned16_elements<T>(t->head_dim));
  }
  return ok;
}

template <class T>
status qk_rmsnorm(const qk_rmsnorm_args<T>& a, platform::launch_stream stream = {}) {
  HIPFUSE_NORM_TRY(can_implement(a));
  if (a.tokens == 0) return status::success();
  const row_set<T, T> q = a.q.rows(a.tokens);
  const row_set<T, T> k = a.k.rows(a.tokens);
  const std::int64_t longest = a.q.head_dim > a.k.head_dim ? a.q.head_dim : a.k.head_dim;
  const bool vector_path = uses_vector_path(a);
  return with_detected_arch([&](auto arch_tag) {
    using P = policy<decltype(arch_tag)>;
    using Arch = typename P::arch;
    // One block per token where q and k rows fill one (docs/rmsnorm.md, "Token blocks").
    if constexpr (Arch::id != arch_id::host) {
      const int threads = a.q.heads == 1 && a.k.heads == 1 && vector_path
                              ? qk_token_block_threads<Arch, T>(a.q.head_dim, a.k.head_dim)
                              : 0;
      if (threads > 0 && a.tokens <= std::numeric_limits<int>::max()) {
        const auto go = [&](auto block_tag) {
          constexpr int block = decltype(block_tag)::value;
          const bool offsets = q.weight_offset != 0.0f || k.weight_offset != 0.0f;
          return platform::launch(offsets ? qk_token_kernel<P, T, block, true> : qk_token_kernel<P, T, block, false>,
                                  {static_cast<int>(a.tokens), 1}, block, 0, stream, q, k,
                                  stream.programmatic_dependent_launch);
        };
        if (threads == 256) return go(std::integral_constant<int, 256>{});
        if (threads == 512) return go(std::integral_constant<int, 512>{});
        return go(std::integral_constant<int, 1024>{});
      }
    }
    return norm_detail::with_row_config<typename P::arch, T>(longest, vector_path, [&](auto config) {
      return norm_detail::launch_rows<P, T, T, decltype(config), false>(q, k, stream);
    }, norm_detail::launch_size{q.rows + k.rows, a.tokens * (a.q.heads * a.q.head_dim + a.k.heads * a.k.head_dim)});
  });
}

#undef HIPFUSE_NORM_TRY

}  // namespace hipfuse
