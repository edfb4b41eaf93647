// An owning buffer of the platform's device memory (host memory on the host platform), for
// examples, tests, benchmarks and host code that stages data for the launchers. No exceptions:
// a failed allocation leaves the buffer empty and state() says why.
#pragma once
#include <cstddef>
#include <utility>
#include <vector>
#include "runtime.hpp"

namespace hipfuse {
namespace platform {

template <class T>
class device_buffer {
 public:
  device_buffer() = default;
  explicit device_buffer(std::size_t count) : count_(count) {
    void* p = nullptr;
    state_ = device_alloc(&p, count * sizeof(T));
    ptr_ = state_.ok() ? static_cast<T*>(p) : nullptr;
    if (!state_.ok()) count_ = 0;
  }
  explicit device_buffer(const std::vector<T>& host) : device_buffer(host.size()) {
    if (state_.ok()) state_ = upload(host);
  }
  ~device_buffer() { device_free(ptr_); }
  device_buffer(device_buffer&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)), count_(std::exchange(other.count_, 0)), state_(other.state_) {}
  device_buffer& operator=(device_buffer&& other) noexcept {
    std::swap(ptr_, other.ptr_);
    std::swap(count_, other.count_);
    std::swap(state_, other.state_);
    return *this;
  }
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;

  // Copies host.size() elements (at most size()) to the device.
  status upload(const std::vector<T>& host) {
    if (host.size() > count_) return status::error(status_code::invalid_shape, "upload larger than the buffer");
    return copy(ptr_, host.data(), host.size() * sizeof(T), copy_kind::host_to_device);
  }
  // Waits for the device, then copies the whole buffer back.
  status download(std::vector<T>& host) const {
    host.resize(count_);
    if (status s = synchronize(); !s.ok()) return s;
    return copy(host.data(), ptr_, count_ * sizeof(T), copy_kind::device_to_host);
  }
  std::vector<T> download() const {
    std::vector<T> host;
    (void)download(host);
    return host;
  }

  T* get() const { return ptr_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }
  const status& state() const { return state_; }
  bool ok() const { return state_.ok(); }

 private:
  T* ptr_ = nullptr;
  std::size_t count_ = 0;
  status state_;
};

}  // namespace platform
}  // namespace hipfuse
