// Timing harness shared by the CUDA benchmarks. The rules it enforces:
//  - warm-up launches (which also run the launcher's validation once) before any timing;
//  - GPU time from events around a CUDA graph of many back-to-back launches (events around plain
//    back-to-back launches if capture fails), divided by the launch count, median over repeats;
//  - launches rotate over enough input sets that the bytes touched between two uses of one set
//    exceed twice the L2 size, so memory-bound ops are measured from HBM, not from cache;
//  - inputs are fresh random values on every run (seeded from the clock), never zeros;
//  - every result file carries the device-to-device copy bandwidth measured in the same process.
#pragma once
#include <cuda_runtime.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <hipfuse/numeric/fp8.hpp>
#include <hipfuse/numeric/half_types.hpp>
#include <hipfuse/platform/runtime.hpp>
#include <hipfuse/status.hpp>
#include "json.hpp"

namespace hipfuse_bench {

#define HIPFUSE_BENCH_CHECK(call)                                                                                  \
  do {                                                                                                             \
    const cudaError_t bench_error_ = (call);                                                                       \
    if (bench_error_ != cudaSuccess) {                                                                             \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(bench_error_)); \
      std::exit(2);                                                                                                \
    }                                                                                                              \
  } while (0)

inline void require_ok(const hipfuse::status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s (%s)\n", what, s.message.c_str(), hipfuse::to_string(s.code));
    std::exit(2);
  }
}

// ---------------------------------------------------------------------------------------------
// Command line shared by every benchmark binary.
struct options {
  std::string out = "";      // JSON path; stdout only when empty
  std::string commit = "unknown";
  std::string date = "";
  bool quick = false;        // fewer sizes and repeats: a smoke run
  int repeats = 15;
};

inline options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--out") o.out = value();
    else if (a == "--commit") o.commit = value();
    else if (a == "--date") o.date = value();
    else if (a == "--quick") o.quick = true;
    else if (a == "--repeats") o.repeats = std::max(3, std::atoi(value().c_str()));
    else {
      std::fprintf(stderr, "usage: %s [--out file.json] [--commit sha] [--date iso] [--quick] [--repeats n]\n", argv[0]);
      std::exit(2);
    }
  }
  if (o.quick) o.repeats = std::min(o.repeats, 5);
  if (o.date.empty()) {
    char buf[32];
    const std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    o.date = buf;
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Device facts that go into every result file.
struct device_info {
  std::string name;
  int major = 0, minor = 0, sm_count = 0;
  long long l2_bytes = 0, global_bytes = 0;
  int sm_clock_mhz = 0, mem_clock_mhz = 0, bus_bits = 0;

  double datasheet_gbs() const { return 2.0 * mem_clock_mhz * 1e6 * (bus_bits / 8.0) / 1e9; }
};

inline device_info query_device() {
  device_info d;
  int dev = 0;
  HIPFUSE_BENCH_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp p{};
  HIPFUSE_BENCH_CHECK(cudaGetDeviceProperties(&p, dev));
  d.name = p.name;
  d.major = p.major;
  d.minor = p.minor;
  d.sm_count = p.multiProcessorCount;
  d.l2_bytes = p.l2CacheSize;
  d.global_bytes = static_cast<long long>(p.totalGlobalMem);
  d.bus_bits = p.memoryBusWidth;
  int khz = 0;
  if (cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, dev) == cudaSuccess) d.sm_clock_mhz = khz / 1000;
  if (cudaDeviceGetAttribute(&khz, cudaDevAttrMemoryClockRate, dev) == cudaSuccess) d.mem_clock_mhz = khz / 1000;
  (void)cudaGetLastError();
  return d;
}

// ---------------------------------------------------------------------------------------------
// Fresh random inputs, generated on the device (large buffers would take seconds from the host).
inline std::uint64_t fresh_seed() {
  static std::uint64_t counter = 0;
  const auto now = static_cast<std::uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
  return now ^ (0x9E3779B97F4A7C15ull * ++counter);
}

__host__ __device__ inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [lo, hi), from the element index and the seed: the host can recompute any element.
__host__ __device__ inline float uniform_at(std::uint64_t seed, std::size_t i, float lo, float hi) {
  const std::uint64_t r = mix64(seed + 0x9E3779B97F4A7C15ull * (i + 1));
  const float u = static_cast<float>(r >> 40) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * u;
}

template <class T>
__host__ __device__ inline T value_from_float(float x) {
  if constexpr (std::is_same_v<T, float>) return x;
  else if constexpr (std::is_same_v<T, hipfuse::bfloat16>) return hipfuse::to_bfloat16(x);
  else if constexpr (std::is_same_v<T, hipfuse::float16>) return hipfuse::to_float16(x);
  else {
    static_assert(hipfuse::is_fp8_format<T>, "random values are made for float, bf16, fp16 and fp8 buffers");
    return hipfuse::float_to_fp8<T>(x);
  }
}

template <class T>
__global__ void fill_uniform_kernel(T* p, std::size_t n, std::uint64_t seed, float lo, float hi) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
    p[i] = value_from_float<T>(uniform_at(seed, i, lo, hi));
}

template <class T>
void fill_uniform(T* p, std::size_t n, float lo, float hi, std::uint64_t seed = fresh_seed()) {
  if (n == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<std::size_t>((n + 255) / 256, 65536));
  fill_uniform_kernel<T><<<blocks, 256>>>(p, n, seed, lo, hi);
  HIPFUSE_BENCH_CHECK(cudaGetLastError());
}

template <class Byte>
__global__ void fill_bytes_kernel(Byte* p, std::size_t n, Byte v) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
    p[i] = v;
}

// ---------------------------------------------------------------------------------------------
// Device memory that frees itself.
template <class T>
class buffer {
 public:
  buffer() = default;
  explicit buffer(std::size_t n) : n_(n) {
    void* p = nullptr;
    HIPFUSE_BENCH_CHECK(cudaMalloc(&p, std::max<std::size_t>(n, 1) * sizeof(T)));
    p_ = static_cast<T*>(p);
  }
  ~buffer() {
    if (p_) (void)cudaFree(p_);
  }
  buffer(buffer&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr; }
  buffer& operator=(buffer&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    return *this;
  }
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;

  T* get() const { return p_; }
  std::size_t size() const { return n_; }
  std::size_t bytes() const { return n_ * sizeof(T); }
  void random(float lo, float hi) { fill_uniform(p_, n_, lo, hi); }
  // Every byte set to a pattern that is not a plausible output, so unwritten elements show.
  void poison(unsigned char byte = 0xA5) {
    fill_bytes_kernel<unsigned char><<<1024, 256>>>(reinterpret_cast<unsigned char*>(p_), bytes(), byte);
    HIPFUSE_BENCH_CHECK(cudaGetLastError());
  }
  std::vector<T> download() const {
    std::vector<T> h(n_);
    HIPFUSE_BENCH_CHECK(cudaDeviceSynchronize());
    HIPFUSE_BENCH_CHECK(cudaMemcpy(h.data(), p_, bytes(), cudaMemcpyDeviceToHost));
    return h;
  }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

// How many input sets to rotate over so that one set is evicted from L2 before it is used again.
inline int rotating_sets(std::size_t bytes_per_set, const device_info& dev, int max_sets = 64) {
  if (bytes_per_set == 0) return 1;
  const double want = 2.0 * static_cast<double>(dev.l2_bytes) / static_cast<double>(bytes_per_set);
  return static_cast<int>(std::clamp(std::ceil(want), 1.0, static_cast<double>(max_sets)));
}

// ---------------------------------------------------------------------------------------------
// Timing.
struct timing {
  double median_us = 0, min_us = 0, max_us = 0;
  int launches_per_sample = 0, samples = 0;
  std::string method;
  std::string error;  // set when nothing was timed

  // The record of something that was not timed, and why.
  static timing untimed(const std::string& why) {
    timing t;
    t.median_us = t.min_us = t.max_us = NAN;
    t.method = "none";
    t.error = why;
    return t;
  }
};

inline double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0.0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

// One launch function made ready for timing: checked once, warmed up over every set, sized so that
// a sample lasts ~target_sample_us, and captured into a CUDA graph of back-to-back launches
// (launch(set, stream) for set = 0, 1, ... mod sets). sample() replays it once and returns the GPU
// time per launch. launch returns a hipfuse::status and must only enqueue work on the stream.
class timed_launches {
 public:
  template <class Launch>
  timed_launches(Launch&& launch, int sets, double target_sample_us = 2000.0) {
    // The inputs were filled on the legacy default stream, which a non-blocking stream does not wait for.
    HIPFUSE_BENCH_CHECK(cudaDeviceSynchronize());
    HIPFUSE_BENCH_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    HIPFUSE_BENCH_CHECK(cudaEventCreate(&start_));
    HIPFUSE_BENCH_CHECK(cudaEventCreate(&stop_));
    // A launcher that refuses these arguments gives a recorded error, not the end of the run.
    if (const hipfuse::status first = launch(0, stream_); !first.ok()) {
      error_ = std::string("launcher refused: ") + first.message;
      return;
    }
    // Warm-up over every set; also estimates one launch's time to size the samples.
    for (int i = 1; i < std::max(sets, 3); ++i) require_ok(launch(i % sets, stream_), "warm-up launch");
    HIPFUSE_BENCH_CHECK(cudaStreamSynchronize(stream_));
    const int probe = std::max(sets, 8);
    HIPFUSE_BENCH_CHECK(cudaEventRecord(start_, stream_));
    for (int i = 0; i < probe; ++i) require_ok(launch(i % sets, stream_), "launch");
    HIPFUSE_BENCH_CHECK(cudaEventRecord(stop_, stream_));
    HIPFUSE_BENCH_CHECK(cudaEventSynchronize(stop_));
    float probe_ms = 0;
    HIPFUSE_BENCH_CHECK(cudaEventElapsedTime(&probe_ms, start_, stop_));
    const double per_launch_us = std::max(1e-3, 1000.0 * probe_ms / probe);
    launches_ = static_cast<int>(std::ceil(target_sample_us / per_launch_us));
    launches_ = std::clamp(launches_, sets, 2000);
    launches_ = (launches_ + sets - 1) / sets * sets;  // every set used equally often

    // Graph capture in relaxed mode: launchers may query the device (arch detection) while capturing.
    bool graph_ok = cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed) == cudaSuccess;
    if (graph_ok) {
      bool launches_ok = true;
      for (int i = 0; i < launches_; ++i) launches_ok = launch(i % sets, stream_).ok() && launches_ok;
      graph_ok = cudaStreamEndCapture(stream_, &graph_) == cudaSuccess && launches_ok && graph_ != nullptr;
      if (graph_ok) graph_ok = cudaGraphInstantiate(&exec_, graph_, 0) == cudaSuccess;
    }
    (void)cudaGetLastError();  // a failed capture leaves a sticky-free error behind; the fallback below is checked
    if (!graph_ok) {
      // Without a graph, launches are enqueued one by one for each sample.
      replay_ = [launch, sets, this]() mutable {
        for (int i = 0; i < launches_; ++i) require_ok(launch(i % sets, stream_), "launch");
      };
    }
  }
  ~timed_launches() {
    if (exec_) (void)cudaGraphExecDestroy(exec_);
    if (graph_) (void)cudaGraphDestroy(graph_);
    (void)cudaEventDestroy(start_);
    (void)cudaEventDestroy(stop_);
    (void)cudaStreamDestroy(stream_);
  }
  timed_launches(const timed_launches&) = delete;
  timed_launches& operator=(const timed_launches&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  int launches_per_sample() const { return launches_; }
  const char* method() const { return exec_ ? "cuda-graph" : "events"; }

  // One replay; GPU microseconds per launch.
  double sample() {
    HIPFUSE_BENCH_CHECK(cudaEventRecord(start_, stream_));
    if (exec_) {
      HIPFUSE_BENCH_CHECK(cudaGraphLaunch(exec_, stream_));
    } else {
      replay_();
    }
    HIPFUSE_BENCH_CHECK(cudaEventRecord(stop_, stream_));
    HIPFUSE_BENCH_CHECK(cudaEventSynchronize(stop_));
    float ms = 0;
    HIPFUSE_BENCH_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    return 1000.0 * ms / launches_;
  }

  // The timing record of these samples (or of the refusal).
  timing summarize(const std::vector<double>& samples) const {
    if (!ok()) return timing::untimed(error_);
    timing t;
    t.launches_per_sample = launches_;
    t.samples = static_cast<int>(samples.size());
    t.method = method();
    t.median_us = median_of(samples);
    t.min_us = *std::min_element(samples.begin(), samples.end());
    t.max_us = *std::max_element(samples.begin(), samples.end());
    return t;
  }

 private:
  cudaStream_t stream_ = nullptr;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
  int launches_ = 0;
  std::string error_;
  std::function<void()> replay_;
};

// Times launch(set, stream) for set = 0, 1, ... (mod sets): one untimed replay, then opt.repeats
// timed ones; the median per launch.
template <class Launch>
timing time_launches(Launch&& launch, int sets, const options& opt, double target_sample_us = 2000.0) {
  timed_launches timed(launch, sets, target_sample_us);
  std::vector<double> samples;
  if (timed.ok()) {
    for (int r = -1; r < opt.repeats; ++r) {
      const double us = timed.sample();
      if (r >= 0) samples.push_back(us);
    }
  }
  HIPFUSE_BENCH_CHECK(cudaGetLastError());
  return timed.summarize(samples);
}

// Times several launch functions over the same sets with their samples interleaved, the order
// reversed every other round (A B C C B A A B C ...), so that the card's clock changes under a
// sustained load (an H100 at its power cap moves between ~1.2 and ~1.7 GHz) fall on all of them
// alike, and no function always follows the same one: with a fixed order the function timed first
// was at times 3-8 % faster than the same kernel timed third (a GEMM at M >= 4096 on the H100).
// Used where implementations are compared in one process (the GEMM against cuBLASLt).
inline std::vector<timing> time_interleaved(const std::vector<std::function<hipfuse::status(int, cudaStream_t)>>& launches,
                                            int sets, const options& opt, double target_sample_us = 2000.0) {
  std::vector<std::unique_ptr<timed_launches>> timed;
  for (const auto& launch : launches) timed.push_back(std::make_unique<timed_launches>(launch, sets, target_sample_us));
  std::vector<std::vector<double>> samples(launches.size());
  for (int r = -1; r < opt.repeats; ++r)
    for (std::size_t j = 0; j < timed.size(); ++j) {
      const std::size_t i = r % 2 == 0 ? timed.size() - 1 - j : j;
      if (!timed[i]->ok()) continue;
      const double us = timed[i]->sample();
      if (r >= 0) samples[i].push_back(us);
    }
  HIPFUSE_BENCH_CHECK(cudaGetLastError());
  std::vector<timing> out;
  for (std::size_t i = 0; i < timed.size(); ++i) out.push_back(timed[i]->summarize(samples[i]));
  return out;
}

// A status-returning wrapper for raw CUDA calls inside launch lambdas.
inline hipfuse::status cuda_status(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return hipfuse::status::success();
  return hipfuse::status::error(hipfuse::status_code::runtime_error, std::string(what) + ": " + cudaGetErrorString(e));
}

// Device-to-device copy bandwidth in GB/s, counting bytes read plus bytes written: the ceiling
// every memory-bound figure of the same run is divided by. The best of a 256 MiB and a 1 GiB copy
// (both far beyond L2): on the H100 the 1 GiB copy alone has measured as much as 20% lower, which
// would flatter every percentage.
inline double measure_copy_gbs(const options& opt) {
  double best = 0;
  for (std::size_t bytes : {std::size_t(256) << 20, std::size_t(1) << 30}) {
    buffer<unsigned char> a(bytes), b(bytes);
    fill_uniform(reinterpret_cast<float*>(a.get()), bytes / 4, -1.0f, 1.0f);
    const timing t = time_launches(
        [&](int, cudaStream_t s) {
          return cuda_status(cudaMemcpyAsync(b.get(), a.get(), bytes, cudaMemcpyDeviceToDevice, s), "cudaMemcpyAsync");
        },
        1, opt, 20000.0);
    best = std::max(best, 2.0 * static_cast<double>(bytes) / (t.median_us * 1e3));
  }
  return best;
}

namespace detail {
template <int Unused = 0>  // a template, so the header may be included by several files of a program
__global__ void empty_kernel() {}

// The least a kernel in a chain of programmatic dependent launches does: wait for the previous
// grid, let the next one start.
template <int Unused = 0>
__global__ void empty_chained_kernel() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}
}  // namespace detail

// GPU time of an empty one-block kernel under the same method: the floor every small launch of the
// run sits on (the RMSNorm goal "within 1 µs of an empty launch" is measured against it).
inline double measure_empty_launch_us(const options& opt) {
  const timing t = time_launches(
      [](int, cudaStream_t s) {
        detail::empty_kernel<><<<1, 32, 0, s>>>();
        return cuda_status(cudaGetLastError(), "empty kernel");
      },
      1, opt);
  return t.median_us;
}

// A launcher's stream for a launch in a chain of programmatic dependent launches.
inline hipfuse::platform::launch_stream pdl(cudaStream_t st) {
  hipfuse::platform::launch_stream on{st};
  on.programmatic_dependent_launch = true;
  return on;
}

// The same floor for launches chained by programmatic dependent launch (the "hipfuse PDL" columns).
inline double measure_empty_chained_launch_us(const options& opt) {
  const timing t = time_launches(
      [](int, cudaStream_t s) {
        cudaLaunchConfig_t config{};
        config.gridDim = dim3(1);
        config.blockDim = dim3(32);
        config.stream = s;
        cudaLaunchAttribute attribute[1];
        attribute[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
        attribute[0].val.programmaticStreamSerializationAllowed = 1;
        config.attrs = attribute;
        config.numAttrs = 1;
        return cuda_status(cudaLaunchKernelEx(&config, detail::empty_chained_kernel<>), "empty chained kernel");
      },
      1, opt);
  return t.median_us;
}

// ---------------------------------------------------------------------------------------------
// One result file: a header with the run's facts and one record per (op, impl, shape).
struct result {
  std::string op, impl, variant, x_name, shape;
  double x = 0;
  double bytes = 0, flops = 0;
  timing t;
  bool checked = false;  // this size was compared with the host reference
  std::string note;
};

class report {
 public:
  report(const options& opt, const std::string& suite) : opt_(opt), suite_(suite), dev_(query_device()) {
    std::fprintf(stderr, "[%s] %s, %d SMs, L2 %lld MB; measuring copy bandwidth\n", suite.c_str(), dev_.name.c_str(),
                 dev_.sm_count, dev_.l2_bytes >> 20);
    copy_gbs_ = measure_copy_gbs(opt);
    empty_launch_us_ = measure_empty_launch_us(opt);
    empty_chained_launch_us_ = measure_empty_chained_launch_us(opt);
    std::fprintf(stderr, "[%s] device-to-device copy: %.0f GB/s (read+write); empty kernel %.2f us (%.2f us chained by PDL)\n",
                 suite.c_str(), copy_gbs_, empty_launch_us_, empty_chained_launch_us_);
  }
  const device_info& device() const { return dev_; }
  double copy_gbs() const { return copy_gbs_; }
  void note(const std::string& n) { notes_.push_back(n); }

  void add(result r) {
    if (!r.t.error.empty()) {
      r.note = r.note.empty() ? r.t.error : r.note + "; " + r.t.error;
      std::fprintf(stderr, "  %-22s %-10s %-26s not timed: %s\n", r.op.c_str(), r.impl.c_str(), r.shape.c_str(),
                   r.t.error.c_str());
      results_.push_back(r);
      return;
    }
    results_.push_back(r);
    const double gbs = r.bytes > 0 ? r.bytes / (r.t.median_us * 1e3) : 0;
    const double tflops = r.flops > 0 ? r.flops / (r.t.median_us * 1e6) : 0;
    std::fprintf(stderr, "  %-22s %-10s %-8s %-26s %10.2f us", r.op.c_str(), r.impl.c_str(), r.variant.c_str(),
                 r.shape.c_str(), r.t.median_us);
    if (gbs > 0) std::fprintf(stderr, " %8.0f GB/s (%3.0f%% of copy)", gbs, 100.0 * gbs / copy_gbs_);
    if (tflops > 0) std::fprintf(stderr, " %8.1f TFLOPS", tflops);
    std::fprintf(stderr, "%s\n", r.note.empty() ? "" : ("  " + r.note).c_str());
  }

  // Returns the process exit code: 0 when written.
  int write() const {
    json j;
    j.begin_object();
    j.field("schema", "hipfuse-bench/1");
    j.field("suite", suite_);
    j.field("source", "hipfuse");
    j.field("commit", opt_.commit);
    j.field("date", opt_.date);
    j.key("device");
    j.begin_object();
    j.field("name", dev_.name);
    j.field("compute_capability", std::to_string(dev_.major) + "." + std::to_string(dev_.minor));
    j.field("sm_count", dev_.sm_count);
    j.field("l2_bytes", static_cast<double>(dev_.l2_bytes));
    j.field("memory_bytes", static_cast<double>(dev_.global_bytes));
    j.field("sm_clock_max_mhz", dev_.sm_clock_mhz);
    j.field("mem_clock_mhz", dev_.mem_clock_mhz);
    j.field("bus_bits", dev_.bus_bits);
    j.field("datasheet_gbs", dev_.datasheet_gbs());
    if (const char* state = std::getenv("HIPFUSE_BENCH_GPU_STATE")) j.field("state", state);
    j.end_object();
    j.field("copy_gbs", copy_gbs_);
    j.field("empty_launch_us", empty_launch_us_);
    j.field("empty_chained_launch_us", empty_chained_launch_us_);
    j.field("method",
            "median over repeats of (GPU time of a CUDA graph of back-to-back launches) / launches; inputs rotate over "
            "sets totalling >= 2x L2; fresh random inputs");
    j.key("notes");
    j.begin_array();
    for (const auto& n : notes_) j.value(n);
    j.end_array();
    j.key("results");
    j.begin_array();
    for (const auto& r : results_) {
      j.begin_object();
      j.field("op", r.op);
      j.field("impl", r.impl);
      j.field("variant", r.variant);
      j.field("shape", r.shape);
      j.field("x_name", r.x_name);
      j.field("x", r.x);
      j.field("time_us", r.t.median_us);
      j.field("time_us_min", r.t.min_us);
      j.field("time_us_max", r.t.max_us);
      j.field("bytes", r.bytes);
      j.field("flops", r.flops);
      j.field("gbs", r.bytes > 0 ? r.bytes / (r.t.median_us * 1e3) : 0.0);
      j.field("tflops", r.flops > 0 ? r.flops / (r.t.median_us * 1e6) : 0.0);
      j.field("timing", r.t.method);
      j.field("launches", r.t.launches_per_sample);
      j.field("samples", r.t.samples);
      j.field("checked", r.checked);
      j.field("note", r.note);
      j.end_object();
    }
    j.end_array();
    j.end_object();
    const std::string text = j.str() + "\n";
    if (opt_.out.empty()) {
      std::fputs(text.c_str(), stdout);
      return 0;
    }
    FILE* f = std::fopen(opt_.out.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "cannot write %s\n", opt_.out.c_str());
      return 2;
    }
    std::fputs(text.c_str(), f);
    std::fclose(f);
    std::fprintf(stderr, "[%s] wrote %s\n", suite_.c_str(), opt_.out.c_str());
    return 0;
  }

 private:
  options opt_;
  std::string suite_;
  device_info dev_;
  double copy_gbs_ = 0;
  double empty_launch_us_ = 0;
  double empty_chained_launch_us_ = 0;
  std::vector<std::string> notes_;
  std::vector<result> results_;
};

// Relative Frobenius error ||out - ref|| / ||ref||; NaN in out makes it infinite.
inline double relative_error(const std::vector<double>& out, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i])) return INFINITY;
    num += (out[i] - ref[i]) * (out[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

// A failed correctness check stops the benchmark: a broken kernel must not produce a fast number.
inline void require_check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "CHECK FAILED: %s\n", what.c_str());
    std::exit(3);
  }
  std::fprintf(stderr, "  check passed: %s\n", what.c_str());
}

}  // namespace hipfuse_bench
