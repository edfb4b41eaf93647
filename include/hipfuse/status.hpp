// Result of host-side validation and launches: a code to branch on and a message for people.
// Host launchers return a status and never throw; nothing is written when it is not ok().
#pragma once
#include <string>

namespace hipfuse {

enum class status_code {
  ok,
  null_pointer,        // a required pointer is null
  invalid_shape,       // a size is negative or violates the op's divisibility rules
  invalid_stride,      // a row stride is smaller than the row, or negative
  misaligned,          // a pointer or stride breaks the alignment the op needs
  invalid_value,       // a scalar argument such as eps is out of range
  overlap,             // two buffers overlap in a way the op does not allow
  not_device_memory,   // a GPU launcher was given a host pointer
  unsupported_arch,    // the GPU found is not one hipfuse supports
  runtime_error,       // the GPU runtime reported an error
};

inline const char* to_string(status_code code) {
  switch (code) {
    case status_code::ok: return "ok";
    case status_code::null_pointer: return "null_pointer";
    case status_code::invalid_shape: return "invalid_shape";
    case status_code::invalid_stride: return "invalid_stride";
    case status_code::misaligned: return "misaligned";
    case status_code::invalid_value: return "invalid_value";
    case status_code::overlap: return "overlap";
    case status_code::not_device_memory: return "not_device_memory";
    case status_code::unsupported_arch: return "unsupported_arch";
    case status_code::runtime_error: return "runtime_error";
  }
  return "unknown";
}

struct status {
  status_code code = status_code::ok;
  std::string message;

  bool ok() const { return code == status_code::ok; }
  static status success() { return {}; }
  static status error(status_code c, std::string m) { return {c, std::move(m)}; }
};

}  // namespace hipfuse
