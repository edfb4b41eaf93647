// Every argument error of the rmsnorm and qk_rmsnorm launchers returns its status code, with a
// message, and writes nothing: the buffers keep their poison.
#include <hipfuse/norm/rmsnorm_launch.hpp>
#include "rmsnorm_reference.hpp"
#include "test_support.hpp"

using namespace hipfuse;
using hipfuse_test::device_buffer;
using T = bfloat16;

namespace {

constexpr std::int64_t tokens = 4, width = 2112, q_dim = 1536, k_dim = 512;

struct mla_buffers {
  device_buffer<T> buf{static_cast<std::size_t>(tokens * width)};
  device_buffer<T> out{static_cast<std::size_t>(tokens * width)};
  device_buffer<T> wq{q_dim}, wk{k_dim};
  mla_buffers() {
    buf.poison(0x3C);
    out.poison(0x3C);
    wq.poison(0x3C);
    wk.poison(0x3C);
  }
  qk_rmsnorm_args<T> valid_args() const {
    qk_rmsnorm_args<T> a;
    a.tokens = tokens;
    a.q = {buf.get(), buf.get(), width, width, 1, q_dim, wq.get(), 1e-6f};
    a.k = {buf.get() + q_dim, buf.get() + q_dim, width, width, 1, k_dim, wk.get(), 1e-6f};
    return a;
  }
  bool untouched() const {
    for (const device_buffer<T>* b : {&buf, &out, &wq, &wk})
      for (const T v : b->download())
        if (!hipfuse_test::same_bits(v, device_buffer<T>::poison_value(0x3C))) return false;
    return true;
  }
};

template <class Mutate>
void expect_qk_error(status_code code, Mutate&& mutate) {
  mla_buffers b;
  qk_rmsnorm_args<T> a = b.valid_args();
  mutate(a, b);
  const status s = qk_rmsnorm(a);
  INFO("status " << to_string(s.code) << ": " << s.message);
  CHECK(s.code == code);
  CHECK_FALSE(s.message.empty());
  CHECK(b.untouched());
}

}  // namespace

TEST_CASE("qk_rmsnorm: the valid MLA arguments pass (so the errors below are the mutations')", "[rmsnorm][validation]") {
  mla_buffers b;
  CHECK(can_implement(b.valid_args()).ok());
}

TEST_CASE("qk_rmsnorm: argument errors return their code and write nothing", "[rmsnorm][validation]") {
  using A = qk_rmsnorm_args<T>;
  using B = mla_buffers;
  SECTION("null pointers") {
    expect_qk_error(status_code::null_pointer, [](A& a, B&) { a.q.input = nullptr; });
    expect_qk_error(status_code::null_pointer, [](A& a, B&) { a.k.output = nullptr; });
    expect_qk_error(status_code::null_pointer, [](A& a, B&) { a.k.weight = nullptr; });
  }
  SECTION("shapes") {
    expect_qk_error(status_code::invalid_shape, [](A& a, B&) { a.tokens = -1; });
    expect_qk_error(status_code::invalid_shape, [](A& a, B&) { a.q.head_dim = 0; });
    expect_qk_error(status_code::invalid_shape, [](A& a, B&) { a.k.head_dim = -5; });
    expect_qk_error(status_code::invalid_shape, [](A& a, B&) { a.k.heads = 0; });
  }
  SECTION("strides smaller than the row") {
    expect_qk_error(status_code::invalid_stride, [](A& a, B&) { a.q.input_stride = q_dim - 1; });
    expect_qk_error(status_code::invalid_stride, [](A& a, B&) { a.k.output_stride = -width; });
    expect_qk_error(status_code::invalid_stride, [](A& a, B&) { a.k.heads = 5; });  // 5 * 512 > 2112
  }
  SECTION("eps") {
    expect_qk_error(status_code::invalid_value, [](A& a, B&) { a.q.eps = 0.0f; });
    expect_qk_error(status_code::invalid_value, [](A& a, B&) { a.k.eps = -1e-6f; });
    expect_qk_error(status_code::invalid_value, [](A& a, B&) { a.k.eps = std::numeric_limits<float>::quiet_NaN(); });
    expect_qk_error(status_code::invalid_value, [](A& a, B&) { a.q.eps = std::numeric_limits<float>::infinity(); });
  }
  SECTION("overlaps other than exactly in place") {
    // q's output shifted by one vector: overlaps its own input without being in place.
    expect_qk_error(status_code::overlap, [](A& a, B& b) { a.q.output = b.buf.get() + 8; });
    // Same pointer, different stride: not in place.
    expect_qk_error(status_code::overlap, [](A& a, B&) {
      a.q.output_stride = width + 8;
      a.q.input_stride = width;
    });
    // q widened into k_nope's columns.
    expect_qk_error(status_code::overlap, [](A& a, B&) { a.q.head_dim = q_dim + 8; });
    // k's output written into q's input columns.
    expect_qk_error(status_code::overlap, [](A& a, B& b) { a.k.output = b.buf.get() + 1024; });
    // Both outputs to one place.
    expect_qk_error(status_code::overlap, [](A& a, B& b) {
      a.q.output = b.out.get();
      a.k.output = b.out.get() + 1024;
      a.k.output_stride = width;
    });
    // An output over a weight.
    expect_qk_error(status_code::overlap, [](A& a, B& b) {
      a.k.output = b.wq.get();
      a.k.output_stride = k_dim;
      a.tokens = 1;
    });
  }
  SECTION("misaligned element pointers") {
    expect_qk_error(status_code::misaligned, [](A& a, B& b) {
      a.k.weight = reinterpret_cast<const T*>(reinterpret_cast<const char*>(b.wk.get()) + 1);
    });
  }
  if (hipfuse_test::on_gpu) {
    SECTION("host memory on a GPU") {
      static T host_weight[k_dim];
      expect_qk_error(status_code::not_device_memory, [](A& a, B&) { a.k.weight = host_weight; });
    }
  }
}

TEST_CASE("qk_rmsnorm: disjoint out-of-place outputs pass validation", "[rmsnorm][validation]") {
  mla_buffers b;
  qk_rmsnorm_args<T> a = b.valid_args();
  a.q.output = b.out.get();
  a.k.output = b.out.get() + q_dim;  // interleaved in the other buffer, same stride: disjoint
  CHECK(can_implement(a).ok());
}

namespace {

struct single_buffers {
  static constexpr std::int64_t rows = 3, hidden = 256;
  device_buffer<T> x{rows * hidden}, y{rows * hidden}, r{rows * hidden}, w{hidden};
  single_buffers() {
    for (device_buffer<T>* b : {&x, &y, &r, &w}) b->poison(0x3C);
  }
  rmsnorm_args<T> valid_args() const {
    rmsnorm_args<T> a;
    a.input = x.get();
    a.input_stride = hidden;
    a.output = y.get();
    a.output_stride = hidden;
    a.weight = w.get();
    a.residual = r.get();
    a.residual_stride = hidden;
    a.rows = rows;
    a.hidden = hidden;
    return a;
  }
  bool untouched() const {
    for (const device_buffer<T>* b : {&x, &y, &r, &w})
      for (const T v : b->download())
        if (!hipfuse_test::same_bits(v, device_buffer<T>::poison_value(0x3C))) return false;
    return true;
  }
};

template <class Mutate>
void expect_error(status_code code, Mutate&& mutate) {
  single_buffers b;
  rmsnorm_args<T> a = b.valid_args();
  mutate(a, b);
  const status s = rmsnorm(a);
  INFO("status " << to_string(s.code) << ": " << s.message);
  CHECK(s.code == code);
  CHECK_FALSE(s.message.empty());
  CHECK(b.untouched());
}

}  // namespace

TEST_CASE("rmsnorm: argument errors return their code and write nothing", "[rmsnorm][validation]") {
  using A = rmsnorm_args<T>;
  using B = single_buffers;
  {
    single_buffers b;
    CHECK(can_implement(b.valid_args()).ok());
  }
  expect_error(status_code::null_pointer, [](A& a, B&) { a.input = nullptr; });
  expect_error(status_code::null_pointer, [](A& a, B&) { a.output = nullptr; });
  expect_error(status_code::null_pointer, [](A& a, B&) { a.weight = nullptr; });
  expect_error(status_code::invalid_shape, [](A& a, B&) { a.rows = -1; });
  expect_error(status_code::invalid_shape, [](A& a, B&) { a.hidden = -1; });
  expect_error(status_code::invalid_shape, [](A& a, B&) { a.hidden = 0; });
  expect_error(status_code::invalid_stride, [](A& a, B&) { a.input_stride = 255; });
  expect_error(status_code::invalid_stride, [](A& a, B&) { a.output_stride = 0; });
  expect_error(status_code::invalid_stride, [](A& a, B&) { a.residual_stride = 100; });
  expect_error(status_code::invalid_value, [](A& a, B&) { a.eps = 0.0f; });
  expect_error(status_code::invalid_value, [](A& a, B&) { a.eps = std::numeric_limits<float>::quiet_NaN(); });
  expect_error(status_code::overlap, [](A& a, B& b) { a.output = b.x.get() + 8; });  // shifted, not in place
  expect_error(status_code::overlap, [](A& a, B& b) { a.residual = b.x.get(); });
  expect_error(status_code::overlap, [](A& a, B& b) { a.residual = b.y.get() + 256; });
  expect_error(status_code::overlap, [](A& a, B& b) { a.output = b.w.get(); a.rows = 1; });
  expect_error(status_code::misaligned, [](A& a, B& b) {
    a.input = reinterpret_cast<const T*>(reinterpret_cast<const char*>(b.x.get()) + 1);
  });
}

TEST_CASE("rmsnorm: in place and zero rows are valid", "[rmsnorm][validation]") {
  single_buffers b;
  rmsnorm_args<T> a = b.valid_args();
  a.output = b.x.get();
  CHECK(can_implement(a).ok());
  a.rows = 0;
  a.input = nullptr;
  a.output = nullptr;
  CHECK(rmsnorm(a).ok());
  CHECK(b.untouched());
}
