// Prints the resource report of every kernel in the AMD assembly files given on the command line:
// registers, LDS, scratch and the waves per SIMD they allow. Fails if any kernel uses scratch.
#include <cstdio>
#include <cxxabi.h>
#include <regex>
#include <cstdlib>
#include <string>
#include "isa.hpp"

static std::string demangle(const std::string& name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  std::string out = status == 0 && d ? d : name;
  std::free(d);
  // Namespaces make the lines long without telling much.
  for (const std::string ns : {"hipfuse::", "backend::", "arch::"}) {
    for (std::size_t p; (p = out.find(ns)) != std::string::npos;) out.erase(p, ns.size());
  }
  // scripts/amd_report.sh asks for whole names and shortens them itself.
  static const bool whole = std::getenv("HIPFUSE_ISA_REPORT_WHOLE_NAMES") != nullptr;
  if (whole) return out;
  // The arch has its own column; the backends are in the policy guide.
  out = std::regex_replace(out, std::regex("policy<(gfx9[0-9]+)(, [A-Za-z_0-9]+)*>"), "$1");
  out = std::regex_replace(out, std::regex("^void "), "");
  return out.size() > 150 ? out.substr(0, 147) + "..." : out;
}

// Was the kernel instantiated with an fp8 format other than its arch's own (an emulated convert)?
static bool foreign_fp8(const isa::kernel& k) {
  const bool fnuz = k.name.find("15float8_e4m3fnuz") != std::string::npos;
  const bool fn = k.name.find("13float8_e4m3fn") != std::string::npos;
  return k.arch == "gfx942" ? fn && !fnuz : fnuz && !fn;
}

// Usage: hipfuse_isa_report [--native-fp8-only] file.s...
int main(int argc, char** argv) {
  int failures = 0;
  bool native_only = false;
  std::printf("| arch | kernel | VGPR | AGPR | SGPR | LDS bytes | scratch | waves/SIMD |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--native-fp8-only") {
      native_only = true;
      continue;
    }
    for (const isa::kernel& k : isa::load(argv[i])) {
      if (native_only && foreign_fp8(k)) continue;
      if (k.is_other_arch_stub()) continue;  // see kernel_body in kernel.hpp
      std::printf("| %s | `%s` | %d | %d | %d | %d | %d | %d |\n", k.arch.c_str(), demangle(k.name).c_str(), k.vgpr,
                  k.agpr, k.sgpr, k.lds_bytes, k.scratch_bytes, k.waves_per_simd());
      if (k.scratch_bytes != 0) ++failures;
    }
  }
  if (failures) std::printf("%d kernel(s) use scratch memory\n", failures);
  return failures ? 1 : 0;
}
