// A minimal JSON writer for benchmark results (objects, arrays, strings, numbers, booleans).
#pragma once
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace hipfuse_bench {

class json {
 public:
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  void key(const std::string& k) {
    separate();
    quote(k);
    out_ += ": ";
    after_key_ = true;
  }
  void value(const std::string& v) {
    separate();
    quote(v);
  }
  void value(const char* v) { value(std::string(v)); }
  void value(double v) {
    separate();
    if (!std::isfinite(v)) {
      out_ += "null";  // JSON has no NaN or infinity
      return;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    out_ += buf;
  }
  void value(int v) { value(static_cast<double>(v)); }
  void value(bool v) {
    separate();
    out_ += v ? "true" : "false";
  }

  template <class T>
  void field(const std::string& k, const T& v) {
    key(k);
    value(v);
  }

  const std::string& str() const { return out_; }

 private:
  void open(char c) {
    separate();
    out_ += c;
    first_.push_back(true);
  }
  void close(char c) {
    first_.pop_back();
    out_ += '\n';
    indent();
    out_ += c;
  }
  // Comma and newline before every element but the first of its container; nothing after a key.
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    out_ += '\n';
    indent();
  }
  void indent() { out_.append(2 * first_.size(), ' '); }
  void quote(const std::string& s) {
    out_ += '"';
    for (const char ch : s) {
      const unsigned char c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += ch;
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out_ += buf;
      } else {
        out_ += ch;
      }
    }
    out_ += '"';
  }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace hipfuse_bench
