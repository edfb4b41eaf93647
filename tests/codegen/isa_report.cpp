// Prints the resource report of every kernel in the AMD assembly files given on the command line:
// registers, LDS, scratch and the waves per SIMD they allow. Fails if any kernel uses scratch.
#include <cstdio>
#include <cxxabi.h>
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
  return !whole && out.size() > 110 ? out.substr(0, 107) + "..." : out;
}

int main(int argc, char** argv) {
  int failures = 0;
  std::printf("| arch | kernel | VGPR | AGPR | SGPR | LDS bytes | scratch | waves/SIMD |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (int i = 1; i < argc; ++i) {
    for (const isa::kernel& k : isa::load(argv[i])) {
      if (k.is_other_arch_stub()) continue;  // see kernel_body in kernel.hpp
      std::printf("| %s | `%s` | %d | %d | %d | %d | %d | %d |\n", k.arch.c_str(), demangle(k.name).c_str(), k.vgpr,
                  k.agpr, k.sgpr, k.lds_bytes, k.scratch_bytes, k.waves_per_simd());
      if (k.scratch_bytes != 0) ++failures;
    }
  }
  if (failures) std::printf("%d kernel(s) use scratch memory\n", failures);
  return failures ? 1 : 0;
}
