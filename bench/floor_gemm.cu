// The weight stream's floor under the Hopper GEMM (not part of bench/run_all.sh): per (N×K, M), the
// launcher's GEMM beside kernels that only read its weights B (N×K bytes of fp8) from memory, with
// samples interleaved in one process and the same rotating input sets as the GEMM. At decode sizes
// a GEMM is a read of its weights plus what it adds (A, the scales, the multiplies, the stores of C,
// the pipeline's start and end), so the fastest read bounds what any GEMM of that shape can take.
//   FLOOR_SHAPES="7168x2048,32768x512"  N×K list (default: the DeepSeek-V3 six)
//   FLOOR_MS="1,16,64,128"              M list (default: 1, 16, 64, 128)
// The reads:
//   loads G×T uU    plain 16-byte loads (streaming hint), G blocks of T threads, U loads in flight
//                   per thread; the bytes of B rounded down to 16
//   read+write G×T uU   the plain loads of B and A beside 16-byte stores of C's bytes, at once
//                   (the floor of any GEMM of the shape once C is not small: M = 128 on N = 32768)
//   boxes R×128     tensor copies in the GEMM's order: tiles of R rows of B, each tile's 128-byte
//                   k blocks in turn, one thread per block keeping a ring of boxes in flight
//                   (sm_90; K a multiple of 128)
// Output: one line per case (the GEMM, each read, the fastest read of B and the GEMM over it, the
// fastest read with C's writes and the GEMM over that); --out
// writes the records (op "gemm_floor", variant = the kernel) in the bench JSON schema.
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <hipfuse/gemm/block_scale_gemm_launcher.hpp>
#include <hipfuse/gemm/tma_sm90.hpp>
#include "gemm_operands.hpp"
#include "harness.hpp"
#include "shapes.hpp"

namespace {

using namespace hipfuse_bench;
namespace sm90 = hipfuse::gemm::sm90;

// The xor of vectors i, i + stride, ... below n_vec, loaded (Unroll in flight) at address_of(j).
// The kernels write it to `sink` only if it equals a value no input is chosen for, so the loads
// cannot be left out.
template <int Unroll, class AddressOf>
__device__ unsigned xor_of_loads(long i, long stride, long n_vec, AddressOf address_of) {
  unsigned acc = 0;
  for (; i + (Unroll - 1) * stride < n_vec; i += Unroll * stride) {
    uint4 v[Unroll];
#pragma unroll
    for (int u = 0; u < Unroll; ++u) v[u] = __ldcs(address_of(i + u * stride));
#pragma unroll
    for (int u = 0; u < Unroll; ++u) acc ^= v[u].x ^ v[u].y ^ v[u].z ^ v[u].w;
  }
  for (; i < n_vec; i += stride) {
    const uint4 v = __ldcs(address_of(i));
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  return acc;
}

// Reads n_vec 16-byte vectors, grid-stride.
template <int Unroll>
__global__ void read_with_loads(const uint4* __restrict__ p, long n_vec, unsigned* sink) {
  const long stride = static_cast<long>(gridDim.x) * blockDim.x;
  const unsigned acc = xor_of_loads<Unroll>(static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x, stride, n_vec,
                                            [p](long j) { return p + j; });
  if (acc == 0x9e3779b9u) sink[blockIdx.x] = acc;
}

// The bytes every GEMM of the shape moves at least: reads A and B and writes C's bytes (zeros), at
// once. Blocks [0, writers) write C, the rest read B then A, grid-stride in 16-byte vectors; the
// writers are the grid's share of C in the bytes, so both streams end together when the memory
// serves them at one rate. Unlike the GEMM, whose decode tiles store C after their last k block,
// nothing here waits for a read before it writes: a floor, not a model.
template <int Unroll>
__global__ void read_and_write(const uint4* __restrict__ b, long b_vec, const uint4* __restrict__ a, long a_vec,
                               uint4* __restrict__ c, long c_vec, int writers, unsigned* sink) {
  const int block = static_cast<int>(blockIdx.x);
  if (block < writers) {
    const long stride = static_cast<long>(writers) * blockDim.x;
    for (long i = static_cast<long>(block) * blockDim.x + threadIdx.x; i < c_vec; i += stride) __stcs(c + i, uint4{});
    return;
  }
  const long stride = static_cast<long>(gridDim.x - writers) * blockDim.x;
  const unsigned acc = xor_of_loads<Unroll>(static_cast<long>(block - writers) * blockDim.x + threadIdx.x, stride,
                                            b_vec + a_vec, [=](long j) { return j < b_vec ? b + j : a + (j - b_vec); });
  if (acc == 0x9e3779b9u) sink[block] = acc;
}

// One thread per block copies boxes of BoxRows × 128 bytes of B [N, K] into a ring of Slots
// shared-memory slots, tile after tile (tiles blockIdx.x, + gridDim.x, ...), re-filling each slot as
// soon as its box has landed: the GEMM producer's order and copies, without a consumer to wait for.
template <int BoxRows, int Slots>
__global__ void read_with_boxes(const __grid_constant__ CUtensorMap map, int n, int k, unsigned* sink) {
#if defined(HIPFUSE_HAS_TMA)
  extern __shared__ __align__(1024) unsigned char dynamic_shared[];
  __shared__ std::uint64_t landed[Slots];
  unsigned char* ring = reinterpret_cast<unsigned char*>(
      (reinterpret_cast<std::uintptr_t>(dynamic_shared) + 1023) & ~std::uintptr_t{1023});
  constexpr int box_bytes = BoxRows * 128;
  const int kblocks = k / 128, tiles = (n + BoxRows - 1) / BoxRows;
  const int my_tiles = (tiles - static_cast<int>(blockIdx.x) + static_cast<int>(gridDim.x) - 1) / static_cast<int>(gridDim.x);
  const int boxes = my_tiles * kblocks;
  const auto send = [&](int box, int slot) {
    const int tile = static_cast<int>(blockIdx.x) + (box / kblocks) * static_cast<int>(gridDim.x);
    sm90::mbarrier_arrive_expect_tx(&landed[slot], box_bytes);
    sm90::tma_load_2d(&map, &landed[slot], ring + slot * box_bytes, (box % kblocks) * 128, tile * BoxRows);
  };
  if (threadIdx.x != 0) return;
  for (int s = 0; s < Slots; ++s) sm90::mbarrier_init(&landed[s], 1);
  sm90::fence_barrier_init();
  for (int box = 0; box < Slots && box < boxes; ++box) send(box, box);
  for (int box = 0; box < boxes; ++box) {
    const int slot = box % Slots;
    sm90::mbarrier_wait(&landed[slot], (box / Slots) & 1);
    if (box + Slots < boxes) send(box + Slots, slot);
  }
  if (ring[5] == 0x5a && ring[77] == 0xa5) sink[blockIdx.x] = 1;
#else
  (void)map, (void)n, (void)k, (void)sink;
  hipfuse::platform::trap("read_with_boxes needs sm_90 tensor copies");
#endif
}

template <int BoxRows, int Slots>
constexpr int box_ring_bytes = BoxRows * 128 * Slots + 1024;  // + 1 KiB: the ring's 1024-byte alignment

struct read_kernel {
  std::string name;
  std::function<hipfuse::status(const gemm_operands&, const CUtensorMap*, cudaStream_t)> launch;
  int box_rows;  // 0: plain loads; -1: loads and C's writes (not a read of B alone); else the tensor map's box rows
};

template <int Unroll>
read_kernel loads(int blocks, int threads, unsigned* sink) {
  const std::string name = "loads " + std::to_string(blocks) + "x" + std::to_string(threads) + " u" + std::to_string(Unroll);
  return {name,
          [=](const gemm_operands& o, const CUtensorMap*, cudaStream_t st) {
            const long n_vec = static_cast<long>(o.args.n) * o.args.k / 16;
            read_with_loads<Unroll><<<blocks, threads, 0, st>>>(reinterpret_cast<const uint4*>(o.b.get()), n_vec, sink);
            return cuda_status(cudaGetLastError(), "read_with_loads");
          },
          0};
}

// read_and_write on G blocks of T threads, the writers C's share of G in the bytes (one at least).
template <int Unroll>
read_kernel reads_and_writes(int blocks, int threads, unsigned* sink) {
  const std::string name = "read+write " + std::to_string(blocks) + "x" + std::to_string(threads) + " u" + std::to_string(Unroll);
  return {name,
          [=](const gemm_operands& o, const CUtensorMap*, cudaStream_t st) {
            const long b_vec = static_cast<long>(o.args.n) * o.args.k / 16, a_vec = static_cast<long>(o.args.m) * o.args.k / 16;
            const long c_vec = static_cast<long>(o.args.m) * o.args.n * 2 / 16;
            const double c_share = double(c_vec) / double(b_vec + a_vec + c_vec);
            int writers = static_cast<int>(c_share * blocks + 0.5);
            writers = writers < 1 ? 1 : writers > blocks - 1 ? blocks - 1 : writers;
            read_and_write<Unroll><<<blocks, threads, 0, st>>>(reinterpret_cast<const uint4*>(o.b.get()), b_vec,
                                                               reinterpret_cast<const uint4*>(o.a.get()), a_vec,
                                                               reinterpret_cast<uint4*>(o.c.get()), c_vec, writers, sink);
            return cuda_status(cudaGetLastError(), "read_and_write");
          },
          -1};
}

template <int BoxRows, int Slots>
read_kernel boxes(int sms, unsigned* sink) {
  HIPFUSE_BENCH_CHECK(cudaFuncSetAttribute(read_with_boxes<BoxRows, Slots>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           box_ring_bytes<BoxRows, Slots>));
  return {"boxes " + std::to_string(BoxRows) + "x128",
          [=](const gemm_operands& o, const CUtensorMap* map, cudaStream_t st) {
            const int tiles = (o.args.n + BoxRows - 1) / BoxRows;
            read_with_boxes<BoxRows, Slots>
                <<<tiles < sms ? tiles : sms, 32, box_ring_bytes<BoxRows, Slots>, st>>>(*map, o.args.n, o.args.k, sink);
            return cuda_status(cudaGetLastError(), "read_with_boxes");
          },
          BoxRows};
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse_options(argc, argv);
  report rep(opt, "floor_gemm");
  const int sms = rep.device().sm_count;
  buffer<unsigned> sink(std::size_t{1} << 16);
  std::vector<read_kernel> reads = {loads<8>(8 * sms, 256, sink.get()), loads<4>(2 * sms, 1024, sink.get()),
                                    reads_and_writes<8>(8 * sms, 256, sink.get()), reads_and_writes<4>(2 * sms, 1024, sink.get())};
  if (rep.device().major >= 9) {
    reads.push_back(boxes<64, 16>(sms, sink.get()));
    reads.push_back(boxes<32, 24>(sms, sink.get()));
    reads.push_back(boxes<128, 10>(sms, sink.get()));
  }
  const std::vector<gemm_shape> shapes = env_gemm_shapes("FLOOR_SHAPES", gemm_shapes(false));
  const std::vector<int> ms = env_int_list("FLOOR_MS", {1, 16, 64, 128});
  for (const gemm_shape& s : shapes)
    for (const int m : ms) {
      const double bytes = gemm_bytes(m, s.n, s.k);
      const int sets = rotating_sets(static_cast<std::size_t>(bytes), rep.device());
      std::vector<std::unique_ptr<gemm_operands>> ops;
      for (int i = 0; i < sets; ++i) ops.push_back(std::make_unique<gemm_operands>(m, s.n, s.k));
      std::vector<std::string> names = {"gemm"};
      std::vector<bool> writes_c = {true};  // per timed kernel: does it also write C's bytes
      std::vector<std::function<hipfuse::status(int, cudaStream_t)>> launches = {
          [&ops](int i, cudaStream_t st) { return hipfuse::block_scale_gemm(ops[i]->args, st); }};
      // One tensor map per box height and set, made before the launches are captured.
      std::vector<std::vector<CUtensorMap>> maps(reads.size());
      for (std::size_t r = 0; r < reads.size(); ++r) {
        if (reads[r].box_rows > 0) {
          if (s.k % 128 != 0) continue;
          maps[r].resize(sets);
          for (int i = 0; i < sets; ++i)
            require_ok(sm90::make_tma_2d(maps[r][i], ops[i]->b.get(), 1, s.n, s.k, s.k, reads[r].box_rows, 128),
                       "tensor map of B");
        }
        names.push_back(reads[r].name);
        writes_c.push_back(reads[r].box_rows < 0);
        launches.push_back([&ops, &maps, &reads, r](int i, cudaStream_t st) {
          return reads[r].launch(*ops[i], maps[r].empty() ? nullptr : &maps[r][i], st);
        });
      }
      const std::vector<timing> times = time_interleaved(launches, sets, opt);
      // The fastest of the reads of B alone, and of the reads with C's writes (0: none timed).
      std::size_t fastest = 0, fastest_rw = 0;
      for (std::size_t i = 1; i < times.size(); ++i) {
        std::size_t& best = writes_c[i] ? fastest_rw : fastest;
        if (times[i].error.empty() && (best == 0 || times[i].median_us < times[best].median_us)) best = i;
      }
      const double gemm = times[0].median_us, floor = times[fastest].median_us;
      std::printf("%5dx%-5d M=%-4d gemm %7.2f us | fastest read %7.2f (%s, %.0f GB/s) | gemm - read %5.2f us, gemm / read %.3f |",
                  s.n, s.k, m, gemm, floor, names[fastest].c_str(), double(s.n) * s.k / (floor * 1e3), gemm - floor,
                  gemm / floor);
      if (fastest_rw != 0)
        std::printf(" read A, B + write C %7.2f, gemm / that %.3f |", times[fastest_rw].median_us, gemm / times[fastest_rw].median_us);
      for (std::size_t i = 1; i < times.size(); ++i) std::printf(" %s %.2f", names[i].c_str(), times[i].median_us);
      std::printf("\n");
      std::fflush(stdout);
      for (std::size_t i = 0; i < times.size(); ++i) {
        result r;
        r.op = "gemm_floor";
        r.impl = i == 0 ? "hipfuse" : writes_c[i] ? "read+write" : "read";
        r.variant = names[i];
        r.shape = "N=" + std::to_string(s.n) + " K=" + std::to_string(s.k) + " M=" + std::to_string(m);
        r.x_name = "M";
        r.x = m;
        r.bytes = i == 0 ? bytes : writes_c[i] ? double(s.n) * s.k + double(m) * s.k + 2.0 * m * s.n : double(s.n) * s.k;
        r.flops = i == 0 ? 2.0 * m * s.n * s.k : 0.0;
        r.t = times[i];
        rep.add(r);
      }
    }
  return rep.write();
}
