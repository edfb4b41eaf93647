// Shared helpers for tests that run on every platform: buffers in the platform's device memory,
// seeded random inputs, and the policy of the platform the test was compiled for.
#pragma once
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>
#include <hipfuse/arch/detect.hpp>
#include <hipfuse/numeric/half_types.hpp>
#include <hipfuse/platform/runtime.hpp>

namespace hipfuse_test {

inline constexpr bool on_gpu = hipfuse::compiled_platform != hipfuse::platform_kind::host;

// Whether to use the large GPU sizes: false on the host and under scripts/sanitize.sh, which sets
// HIPFUSE_TEST_REDUCED=1 because compute-sanitizer slows kernels down by orders of magnitude.
inline bool gpu_sizes() { return on_gpu && std::getenv("HIPFUSE_TEST_REDUCED") == nullptr; }

// A device buffer mirrored by a host vector; checks every runtime call.
template <class T>
class device_buffer {
 public:
  explicit device_buffer(std::size_t n) : size_(n) {
    void* p = nullptr;
    const hipfuse::status s = hipfuse::platform::device_alloc(&p, bytes());
    REQUIRE(s.ok());
    ptr_ = static_cast<T*>(p);
  }
  device_buffer(const std::vector<T>& host) : device_buffer(host.size()) { upload(host); }
  ~device_buffer() { hipfuse::platform::device_free(ptr_); }
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;

  void upload(const std::vector<T>& host) {
    REQUIRE(host.size() == size_);
    REQUIRE(hipfuse::platform::copy(ptr_, host.data(), bytes(), hipfuse::platform::copy_kind::host_to_device).ok());
  }
  std::vector<T> download() const {
    std::vector<T> host(size_);
    REQUIRE(hipfuse::platform::synchronize().ok());
    REQUIRE(hipfuse::platform::copy(host.data(), ptr_, bytes(), hipfuse::platform::copy_kind::device_to_host).ok());
    return host;
  }
  // Fill every byte with a sentinel so unwritten outputs are visible.
  void poison(std::uint8_t byte = 0xA5) { upload(std::vector<T>(size_, poison_value(byte))); }
  static T poison_value(std::uint8_t byte = 0xA5) {
    T v;
    std::memset(static_cast<void*>(&v), byte, sizeof(T));
    return v;
  }

  T* get() const { return ptr_; }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return size_ * sizeof(T); }

 private:
  std::size_t size_;
  T* ptr_ = nullptr;
};

inline std::mt19937_64& rng() {
  static std::mt19937_64 engine(Catch::rngSeed() ? Catch::rngSeed() : 0x5EEDu);
  return engine;
}

inline std::vector<float> random_floats(std::size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng());
  return v;
}

// random_floats rounded to T (bf16, fp16 or float).
template <class T>
std::vector<T> random_values(std::size_t n, float lo, float hi) {
  const std::vector<float> f = random_floats(n, lo, hi);
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = hipfuse::from_float<T>(f[i]);
  return v;
}

}  // namespace hipfuse_test
