// Reading AMDGPU assembly (clang --cuda-device-only -S): each kernel's instructions and the
// resource figures from its code-object metadata, plus the occupancy they allow.
#pragma once
#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace isa {

struct kernel {
  std::string name;  // mangled
  std::string arch;  // gfx942 / gfx950
  std::string body;  // instructions between the kernel's label and its end marker
  int vgpr = 0, agpr = 0, sgpr = 0, lds_bytes = 0, scratch_bytes = 0, max_workgroup = 0;

  bool contains(const std::string& pattern) const { return std::regex_search(body, std::regex(pattern)); }
  int count(const std::string& pattern) const {
    const std::regex re(pattern);
    return static_cast<int>(std::distance(std::sregex_iterator(body.begin(), body.end(), re), std::sregex_iterator()));
  }
  // A kernel instantiated for the other AMD arch: in this arch's pass its body is only a trap.
  bool is_other_arch_stub() const {
    const std::string other = arch == "gfx942" ? "gfx950" : "gfx942";
    return name.find(other) != std::string::npos && name.find(arch) == std::string::npos;
  }
  int lds_per_cu() const { return arch == "gfx950" ? 160 * 1024 : 64 * 1024; }
  // Waves each SIMD can hold: VGPRs (512 per lane shared by arch and acc registers, granule 8),
  // LDS (per CU, 4 SIMDs), and the hardware cap of 8.
  int waves_per_simd() const {
    const int regs = ((vgpr + agpr + 7) / 8) * 8;
    int waves = std::min(8, regs > 0 ? 512 / regs : 8);
    if (lds_bytes > 0 && max_workgroup > 0) {
      const int groups = lds_per_cu() / lds_bytes;
      const int waves_per_group = (max_workgroup + 63) / 64;
      waves = std::min(waves, groups * waves_per_group / 4);
    }
    return waves;
  }
};

inline int field(const std::string& entry, const std::string& key) {
  std::smatch m;
  if (std::regex_search(entry, m, std::regex("\\." + key + ":\\s+(\\d+)"))) return std::stoi(m[1]);
  return 0;
}

inline std::vector<kernel> load(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<kernel> kernels;
  const std::string arch = path.find("gfx950") != std::string::npos ? "gfx950" : "gfx942";

  // Metadata entries: "  - .agpr_count: ..." blocks under amdhsa.kernels.
  const auto meta_start = text.find("amdhsa.kernels:");
  if (meta_start == std::string::npos) return kernels;
  const auto meta_end = text.find("amdhsa.target", meta_start);
  const std::string meta = text.substr(meta_start, meta_end - meta_start);
  std::vector<std::string> entries;
  for (std::size_t pos = meta.find("\n  - "); pos != std::string::npos;) {
    const std::size_t next = meta.find("\n  - ", pos + 1);
    entries.push_back(meta.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    pos = next;
  }
  for (const std::string& entry : entries) {
    std::smatch m;
    if (!std::regex_search(entry, m, std::regex("\\.name:\\s+(\\S+)"))) continue;
    kernel k;
    k.name = m[1];
    k.arch = arch;
    k.vgpr = field(entry, "vgpr_count");
    k.agpr = field(entry, "agpr_count");
    k.sgpr = field(entry, "sgpr_count");
    k.lds_bytes = field(entry, "group_segment_fixed_size");
    k.scratch_bytes = field(entry, "private_segment_fixed_size");
    k.max_workgroup = field(entry, "max_flat_workgroup_size");
    const std::size_t begin = text.find("\n" + k.name + ":");
    if (begin != std::string::npos) {
      const std::size_t end = text.find(".Lfunc_end", begin);
      k.body = text.substr(begin, end - begin);
    }
    kernels.push_back(std::move(k));
  }
  return kernels;
}

// Kernels of a file whose mangled name contains every fragment.
inline std::vector<kernel> find(const std::string& path, const std::vector<std::string>& fragments) {
  std::vector<kernel> out;
  for (kernel& k : load(path)) {
    bool all = true;
    for (const auto& f : fragments) all = all && k.name.find(f) != std::string::npos;
    if (all) out.push_back(std::move(k));
  }
  return out;
}

}  // namespace isa
