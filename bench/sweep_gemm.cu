// Tile sweep for the Hopper GEMM's picker (not part of bench/run_all.sh): each wgmma tile shape
// launched directly beside the launcher's pick (pick_wgmma_config), samples interleaved in one
// process, per (N×K, M). It is how the picker's rules were checked (docs/gemm-hopper.md).
//   SWEEP_SHAPES="18432x7168,12288x7168"  N×K list (default: the DeepSeek-V3 six and four more)
//   SWEEP_MS="1,16,64,96,128"              M list (default: 1, 16, 64, 96, 128, 160, 256)
// Output: one line per case with every shape's time and the fastest against the pick; --out writes
// the records (op "gemm_tiles", variant = the shape) in the bench JSON schema.
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <hipfuse/gemm/block_scale_gemm_launcher.hpp>
#include "gemm_operands.hpp"
#include "harness.hpp"
#include "shapes.hpp"

namespace {

using namespace hipfuse_bench;
namespace g = hipfuse::gemm;
using args_t = gemm_operands::args_type;
using launch_fn = std::function<hipfuse::status(const args_t&, cudaStream_t)>;
struct tile {
  const char* name;
  launch_fn launch;
};
template <class Shape>
tile direct(const char* name, int sms) {
  return {name, [sms](const args_t& a, cudaStream_t st) { return g::launch_block_scale_gemm_wgmma<Shape, args_t>(a, st, sms); }};
}

std::vector<gemm_shape> shape_list() {
  return env_gemm_shapes("SWEEP_SHAPES", {{2112, 7168}, {24576, 1536}, {32768, 512}, {7168, 16384}, {4096, 7168},
                                          {7168, 2048}, {16384, 512}, {12288, 7168}, {18432, 7168}, {7168, 4608}});
}

const char* config_name(g::wgmma_config c) {
  switch (c) {
    case g::wgmma_config::t192x128: return "192x128";
    case g::wgmma_config::t128x192: return "128x192";
    case g::wgmma_config::t128x128: return "128x128";
    case g::wgmma_config::t128x64: return "128x64";
    case g::wgmma_config::t64x64: return "64x64";
    case g::wgmma_config::t64x32: return "64x32";
    case g::wgmma_config::t64x32_k4: return "64x32_k4";
    case g::wgmma_config::t64x16_k4: return "64x16_k4";
    case g::wgmma_config::t64x64_c2: return "64x64_c2";
    case g::wgmma_config::t64x64_g4: return "64x64_g4";
    case g::wgmma_config::t64x128: return "64x128";
    case g::wgmma_config::t64x64_k1: return "64x64_k1";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse_options(argc, argv);
  report rep(opt, "sweep_gemm");
  const int sms = rep.device().sm_count;
  // The split tiles that take a cluster or a workspace are left out: the pick covers them where it
  // takes them.
  const std::vector<tile> tiles = {
      {"pick", [](const args_t& a, cudaStream_t st) { return hipfuse::block_scale_gemm(a, st); }},
      direct<g::wgmma_shape_192x128>("192x128", sms), direct<g::wgmma_shape_128x192>("128x192", sms),
      direct<g::wgmma_shape_128x128>("128x128", sms),
      direct<g::wgmma_shape_128x64>("128x64", sms),   direct<g::wgmma_shape_64x128>("64x128", sms),
      direct<g::wgmma_shape_64x64_k1>("64x64_k1", sms), direct<g::wgmma_shape_64x64>("64x64", sms),
      direct<g::wgmma_shape_64x32>("64x32", sms)};
  const std::vector<int> ms = env_int_list("SWEEP_MS", {1, 16, 64, 96, 128, 160, 256});
  double total_pick = 0, total_best = 0;
  for (const gemm_shape& s : shape_list())
    for (const int m : ms) {
      const double bytes = gemm_bytes(m, s.n, s.k);
      const int sets = rotating_sets(static_cast<std::size_t>(bytes), rep.device());
      std::vector<std::unique_ptr<gemm_operands>> ops;
      for (int i = 0; i < sets; ++i) ops.push_back(std::make_unique<gemm_operands>(m, s.n, s.k));
      std::vector<std::function<hipfuse::status(int, cudaStream_t)>> launches;
      for (const tile& t : tiles) launches.push_back([&ops, t](int i, cudaStream_t st) { return t.launch(ops[i]->args, st); });
      const std::vector<timing> times = time_interleaved(launches, sets, opt);
      const char* picked = config_name(g::pick_wgmma_config(m, s.n, sms, s.k, 0, true, rep.device().l2_bytes));
      std::size_t best = 0;
      for (std::size_t i = 1; i < times.size(); ++i)
        if (times[i].error.empty() && times[i].median_us < times[best].median_us) best = i;
      total_pick += times[0].median_us;
      total_best += times[best].median_us;
      std::printf("%5dx%-5d M=%-4d pick %-9s %8.2f us | fastest %-8s %8.2f (pick / fastest %.3f) |", s.n, s.k, m, picked,
                  times[0].median_us, tiles[best].name, times[best].median_us, times[0].median_us / times[best].median_us);
      for (std::size_t i = 1; i < times.size(); ++i) std::printf(" %s %.2f", tiles[i].name, times[i].median_us);
      std::printf("\n");
      std::fflush(stdout);
      for (std::size_t i = 0; i < times.size(); ++i) {
        result r;
        r.op = "gemm_tiles";
        r.impl = "hipfuse";
        r.variant = i == 0 ? std::string("pick ") + picked : tiles[i].name;
        r.shape = "N=" + std::to_string(s.n) + " K=" + std::to_string(s.k) + " M=" + std::to_string(m);
        r.x_name = "M";
        r.x = m;
        r.flops = 2.0 * m * s.n * s.k;
        r.t = times[i];
        rep.add(r);
      }
    }
  std::printf("total: picks %.1f us, fastest %.1f us (%.3f)\n", total_pick, total_best, total_pick / total_best);
  return rep.write();
}
