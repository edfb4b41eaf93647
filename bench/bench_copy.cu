// The memory ceiling: device-to-device copy bandwidth (bytes read + bytes written) across sizes,
// through cudaMemcpyAsync and through a plain 16-byte-per-thread copy kernel.
#include <cstring>
#include "harness.hpp"

namespace {

__global__ void copy_kernel(const uint4* __restrict__ src, uint4* __restrict__ dst, std::size_t n) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
    dst[i] = src[i];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hipfuse_bench;
  const options opt = parse_options(argc, argv);
  report rep(opt, "copy");
  const device_info& dev = rep.device();

  std::vector<std::size_t> sizes;
  for (std::size_t mb = 1; mb <= (opt.quick ? 64u : 1024u); mb *= 4) sizes.push_back(mb << 20);

  for (const std::size_t bytes : sizes) {
    const int sets = rotating_sets(2 * bytes, dev);
    std::vector<buffer<uint4>> src, dst;
    for (int s = 0; s < sets; ++s) {
      src.emplace_back(bytes / 16);
      dst.emplace_back(bytes / 16);
      fill_uniform(reinterpret_cast<float*>(src.back().get()), bytes / 4, -1.0f, 1.0f);
    }
    const std::size_t n = bytes / 16;
    if (bytes == sizes.front()) {
      dst[0].poison();
      copy_kernel<<<dev.sm_count * 8, 256>>>(src[0].get(), dst[0].get(), n);
      HIPFUSE_BENCH_CHECK(cudaGetLastError());
      const auto a = src[0].download(), b = dst[0].download();
      require_check(std::memcmp(a.data(), b.data(), bytes) == 0, "copy kernel output equals its input");
    }
    const std::string shape = std::to_string(bytes >> 20) + " MiB";
    result r;
    r.op = "copy";
    r.x_name = "MiB";
    r.x = static_cast<double>(bytes >> 20);
    r.shape = shape;
    r.bytes = 2.0 * static_cast<double>(bytes);
    r.checked = bytes == sizes.front();

    r.impl = "cudaMemcpyAsync";
    r.t = time_launches(
        [&](int s, cudaStream_t st) {
          return cuda_status(cudaMemcpyAsync(dst[s].get(), src[s].get(), bytes, cudaMemcpyDeviceToDevice, st),
                             "cudaMemcpyAsync");
        },
        sets, opt);
    rep.add(r);

    r.impl = "copy_kernel";
    r.t = time_launches(
        [&](int s, cudaStream_t st) {
          copy_kernel<<<dev.sm_count * 8, 256, 0, st>>>(src[s].get(), dst[s].get(), n);
          return cuda_status(cudaGetLastError(), "copy_kernel");
        },
        sets, opt);
    rep.add(r);
  }
  return rep.write();
}
