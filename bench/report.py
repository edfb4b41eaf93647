#!/usr/bin/env python3
"""Turns benchmark JSON files (schema hipfuse-bench/1, from the C++ benchmarks and peers.py) into a
markdown summary, PNG plots (when matplotlib is present) and docs/perf.md.

Every memory-bound figure is shown against the device-to-device copy bandwidth measured in the same
process that produced it; GEMM figures against the datasheet dense FP8 rate of the device.

Usage: report.py [--results DIR] [--docs docs/perf.md] [--amd results/amd_report.md] [--sanitize results/sanitize.md]
Needs only the standard library; plots need matplotlib.
"""
import argparse
import glob
import json
import os
import sys
from collections import OrderedDict

SCHEMA = "hipfuse-bench/1"
# Dense FP8 tensor-core rates from the datasheets (TFLOPS): the ceiling for the GEMM plots.
FP8_PEAK_TFLOPS = {"H100": 1979.0, "H200": 1979.0, "H800": 1979.0, "H20": 296.0}
IMPL_ORDER = ["hipfuse", "hipfuse mma.sync", "hipfuse in place", "hipfuse PDL", "copy floor", "hipfuse unfused", "hipfuse unchained", "hipfuse col-major-4 scales", "torch", "torch.compile", "torch._scaled_mm", "cudaMemcpyAsync", "copy_kernel"]
OP_TITLES = OrderedDict([
    ("copy", "Device-to-device copy (the memory ceiling)"),
    ("qk_rmsnorm_mla", "Fused QK RMSNorm, DeepSeek MLA: q [T,1536] + k [T,512] of a [T,2112] buffer, bf16"),
    ("qk_rmsnorm_qwen3", "Fused QK RMSNorm, Qwen3 per head: q [T,32,128] + k [T,8,128], bf16"),
    ("rmsnorm", "RMSNorm [T,7168] bf16"),
    ("group_quant", "Per-1x128 quantization bf16 -> e4m3fn, fp32 scales, [T,7168]"),
    ("rmsnorm_quant", "RMSNorm then per-1x128 quantization, [T,7168]"),
    ("mla_rmsnorm_quant", "DeepSeek MLA: RMSNorm+quant of q [T,1536], RMSNorm of k_nope [T,512], one [T,2112] buffer"),
    ("gemm_blockscale", "Block-scale FP8 GEMM (1x128 x 128x128 scales), bf16 out: TFLOPS"),
    ("fp8_linear", "FP8 linear layer: per-1x128 quantization of bf16 x, then the block-scale GEMM, bf16 out: TFLOPS"),
])


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def load(results_dir):
    docs = []
    for path in sorted(glob.glob(os.path.join(results_dir, "*.json"))):
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            log(f"report: skipping {path}: {e}")
            continue
        if doc.get("schema") != SCHEMA:
            log(f"report: skipping {path}: schema {doc.get('schema')!r} is not {SCHEMA}")
            continue
        doc["_file"] = os.path.basename(path)
        docs.append(doc)
    return docs


def rows_of(docs):
    """Flattens every result, attaching the copy ceiling of the run it came from."""
    rows = []
    for doc in docs:
        for r in doc.get("results", []):
            r = dict(r)
            r["copy_gbs"] = doc.get("copy_gbs") or 0.0
            r["source"] = doc.get("source", "?")
            r["device"] = doc.get("device", {}).get("name", "")
            rows.append(r)
    return rows


def fp8_peak(device_name):
    for key, value in FP8_PEAK_TFLOPS.items():
        if key in device_name:
            return value
    return None


def roofline_us(r):
    """The least time a GEMM can take: its FLOPs at the FP8 peak or its bytes at the copy bandwidth."""
    peak = fp8_peak(r.get("device", ""))
    if not peak or not r.get("copy_gbs") or not r.get("flops"):
        return None
    return max(r["flops"] / (peak * 1e6), r["bytes"] / (r["copy_gbs"] * 1e3))


def roofline_curve(variant, rows, peak):
    """(M, TFLOPS) points of the roofline of an N x K GEMM, dense in M between the sizes measured."""
    copy = max((r.get("copy_gbs") or 0.0 for r in rows), default=0.0)
    xs = sorted({r["x"] for r in rows})
    try:
        n, k = (int(v) for v in variant.split("x"))
    except ValueError:
        return []
    if not copy or not xs:
        return []
    kb, nb = k // 128, (n + 127) // 128
    pts, m = [], float(xs[0])
    while m <= xs[-1] * 1.0001:
        flops = 2.0 * m * n * k
        nbytes = m * k + n * k + 2.0 * m * n + 4.0 * m * kb + 4.0 * nb * kb  # as the benchmarks count them
        pts.append((m, min(peak, flops / nbytes * copy / 1e3)))
        m *= 2 ** 0.25
    return pts


def is_peer(impl):
    """Another library's implementation; not ours, and not a floor (a plain copy of the same bytes)."""
    return not impl.startswith("hipfuse") and not impl.startswith("copy floor")


def impl_key(impl):
    return (IMPL_ORDER.index(impl) if impl in IMPL_ORDER else len(IMPL_ORDER), impl)


def is_gemm(rows):
    return any(r.get("flops") for r in rows)


def cell(r, gemm):
    if r.get("time_us") is None:
        return "n/a"
    us = r["time_us"]
    text = f"{us:.2f} µs" if us < 100 else f"{us:.0f} µs"
    if gemm:
        text += f" · {r['tflops']:.1f} TFLOPS" if r["tflops"] < 10 else f" · {r['tflops']:.0f} TFLOPS"
        floor = roofline_us(r)
        if floor:
            text += f" · {100.0 * floor / us:.0f}% of roofline"
    elif r.get("gbs"):
        pct = 100.0 * r["gbs"] / r["copy_gbs"] if r.get("copy_gbs") else 0.0
        text += f" · {r['gbs']:.0f} GB/s · {pct:.0f}%"
    if r.get("note", "").startswith("WRONG") or "differs" in r.get("note", ""):
        text += " ⚠"
    return text


def op_table(op, rows):
    """Markdown table: one row per shape, one column per implementation, and our speed-up."""
    gemm = is_gemm(rows)
    impls = sorted({r["impl"] for r in rows}, key=impl_key)
    shapes = OrderedDict()
    variants = list(OrderedDict.fromkeys(r.get("variant", "") for r in rows))  # in the order they were run
    for r in sorted(rows, key=lambda r: (variants.index(r.get("variant", "")), r.get("x", 0))):
        shapes.setdefault((r.get("variant", ""), r.get("x", 0)), {})[r["impl"]] = r
    ours = "hipfuse" in impls
    head = ["shape"] + impls + (["speed-up vs best peer"] if ours and len(impls) > 1 else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for by_impl in shapes.values():
        cells = [next(iter(by_impl.values()))["shape"]] + [cell(by_impl[i], gemm) if i in by_impl else "" for i in impls]
        if ours and len(impls) > 1:
            mine = by_impl.get("hipfuse", {}).get("time_us")
            peers = [r["time_us"] for i, r in by_impl.items() if is_peer(i) and r.get("time_us")]
            cells.append(f"{min(peers) / mine:.2f}x" if mine and peers else "")
        lines.append("| " + " | ".join(cells) + " |")
    notes = sorted({f"{r['impl']} {r['shape']}: {r['note']}" for r in rows if r.get("note")})
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    return "\n".join(lines)


def plot_op(plt, op, rows, out_dir, device_name):
    """Our GB/s (or TFLOPS) against the peers and the ceiling across T (or M). Returns the file names."""
    gemm = is_gemm(rows)
    groups = OrderedDict()
    for r in rows:
        if r.get("time_us"):  # skipped entries have no point to draw
            groups.setdefault(r.get("variant", "") if gemm else "", []).append(r)
    if not groups:
        return []
    n = len(groups)
    cols = min(3, n)
    nrows = (n + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(max(7.0, 5.2 * cols), 3.8 * nrows + 0.6), squeeze=False)
    peak = fp8_peak(device_name) if gemm else None
    for ax, (variant, grows) in zip([a for row in axes for a in row], groups.items()):
        for impl in sorted({r["impl"] for r in grows}, key=impl_key):
            pts = sorted((r["x"], r["tflops"] if gemm else r["gbs"]) for r in grows
                         if r["impl"] == impl and r.get("time_us"))
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                        linewidth=2.2 if impl.startswith("hipfuse") else 1.4, label=impl)
        if gemm and peak:
            # Roofline: min(FP8 peak, arithmetic intensity x copy bandwidth) at each M measured.
            roof = roofline_curve(variant, grows, peak)
            if roof:
                ax.plot([p[0] for p in roof], [p[1] for p in roof], color="gray", linestyle="--", linewidth=1,
                        label=f"roofline (FP8 peak {peak:.0f}, copy BW)")
        if not gemm:
            ceilings = sorted({r["copy_gbs"] for r in grows if r.get("copy_gbs")})
            if ceilings:
                ax.axhline(ceilings[-1], color="gray", linestyle="--", linewidth=1,
                           label=f"copy {ceilings[-1]:.0f} GB/s")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(grows[0].get("x_name", "x"))
        ax.set_ylabel("TFLOPS" if gemm else "GB/s (bytes read + written)")
        ax.set_ylim(bottom=0)
        ax.set_title(f"N x K = {variant}" if gemm else op, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    for ax in [a for row in axes for a in row][n:]:
        ax.axis("off")
    fig.suptitle(f"{OP_TITLES.get(op, op)}\n{device_name}", fontsize=10)
    fig.tight_layout()
    name = f"{op}.png"
    fig.savefig(os.path.join(out_dir, name), dpi=110)
    plt.close(fig)
    return [name]


def headline(rows, ops):
    """One line per op: ours against the best peer at the largest size, and the geometric-mean speed-up."""
    lines = ["| op | largest size | hipfuse | best peer | speed-up there | geo-mean speed-up (all sizes) |",
             "|---|---|---|---|---|---|"]
    for op in ops:
        orows = [r for r in rows if r["op"] == op and r.get("time_us")]
        gemm = is_gemm(orows)
        by_key = OrderedDict()
        for r in orows:
            by_key.setdefault((r.get("variant", ""), r.get("x", 0)), []).append(r)
        ratios, last = [], None
        for key, group_rows in by_key.items():
            ours = [r for r in group_rows if r["impl"] == "hipfuse"]
            peers = [r for r in group_rows if is_peer(r["impl"])]
            if ours and peers:
                best = min(peers, key=lambda r: r["time_us"])
                ratios.append(best["time_us"] / ours[0]["time_us"])
                if last is None or key[1] >= last[0][1]:
                    last = (key, ours[0], best)
        if not ratios:
            continue
        (_, _), ours, best = last
        geo = 1.0
        for x in ratios:
            geo *= x
        geo **= 1.0 / len(ratios)
        lines.append(f"| {op} | {ours['shape']} | {cell(ours, gemm)} | {best['impl']}: {cell(best, gemm)} | "
                     f"{best['time_us'] / ours['time_us']:.2f}x | {geo:.2f}x over {len(ratios)} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def run_facts(docs):
    lines = []
    for doc in docs:
        dev = doc.get("device", {})
        launch = f"{doc['empty_launch_us']:.2f} µs" if doc.get("empty_launch_us") else "not measured"
        if doc.get("empty_chained_launch_us"):
            launch += f" ({doc['empty_chained_launch_us']:.2f} µs chained by PDL)"
        lines.append(f"| {doc['_file']} | {doc.get('source', '?')} | {dev.get('name', '?')} | {doc.get('date', '?')} | "
                     f"`{str(doc.get('commit', '?'))[:12]}` | {doc.get('copy_gbs', 0):.0f} GB/s | {launch} |")
    head = ["| file | source | device | date | commit | copy ceiling (same run) | empty kernel (same run) |",
            "|---|---|---|---|---|---|---|"]
    return "\n".join(head + lines)


def build_summary(docs, rows, plots):
    parts = ["## Runs", "", run_facts(docs), ""]
    states = sorted({d.get("device", {}).get("state", "") for d in docs} - {""})
    if states:
        parts += ["GPU state at start (nvidia-smi): " + "; ".join(f"`{s}`" for s in states), ""]
    notes = sorted({n for d in docs for n in d.get("notes", [])})
    if notes:
        parts += ["Notes: " + "; ".join(notes), ""]
    parts += ["Method: " + (docs[0].get("method", "") if docs else ""), "",
              "Cells: median GPU time per call · achieved GB/s (bytes read + written once) · percent of the "
              "device-to-device copy bandwidth of the same run; GEMM cells give TFLOPS and the percent of the "
              "roofline (the larger of FLOPs at the datasheet FP8 rate and bytes at the measured copy bandwidth). "
              "Speed-up = best peer time / hipfuse time.", ""]
    ops = [op for op in OP_TITLES if any(r["op"] == op for r in rows)]
    ops += sorted({r["op"] for r in rows} - set(ops))
    top = headline(rows, ops)
    if top:
        parts[0:0] = ["## Headline", "", top, ""]
    for op in ops:
        orows = [r for r in rows if r["op"] == op]
        parts += [f"## {OP_TITLES.get(op, op)}", "", op_table(op, orows), ""]
        for p in plots.get(op, []):
            parts += [f"![{op}]({{plot_dir}}/{p})", ""]
    return "\n".join(parts)


def read_optional(path):
    if path and os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", default="results", help="folder of *.json; summary.md and PNGs are written there")
    ap.add_argument("--docs", default="", help="also write this docs page (e.g. docs/perf.md)")
    ap.add_argument("--amd", default="", help="markdown of the AMD static report to include")
    ap.add_argument("--sanitize", default="", help="markdown of the sanitizer run to include")
    ap.add_argument("--no-plots", action="store_true")
    args = ap.parse_args()

    docs = load(args.results)
    rows = rows_of(docs)
    device_name = next((d.get("device", {}).get("name") for d in docs if d.get("device")), "unknown device")

    plots = {}
    if rows and not args.no_plots:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            plt = None
            log("report: matplotlib not found: writing the tables without plots")
        if plt is not None:
            for op in sorted({r["op"] for r in rows}):
                plots[op] = plot_op(plt, op, [r for r in rows if r["op"] == op], args.results, device_name)
                log(f"report: wrote {', '.join(os.path.join(args.results, p) for p in plots[op])}")

    for op in {r["op"] for r in rows}:  # plots of an earlier run of the same results (e.g. with --no-plots)
        if not plots.get(op) and os.path.exists(os.path.join(args.results, f"{op}.png")):
            plots[op] = [f"{op}.png"]
    summary = build_summary(docs, rows, plots) if rows else "No benchmark results yet."
    with open(os.path.join(args.results, "summary.md"), "w") as f:
        f.write("# Benchmark summary\n\n" + summary.replace("{plot_dir}", ".") + "\n")
    log(f"report: wrote {os.path.join(args.results, 'summary.md')}")

    if args.docs:
        rel = os.path.relpath(os.path.abspath(args.results), os.path.dirname(os.path.abspath(args.docs)))
        latest = max((d.get("date", "") for d in docs), default="")
        commits = sorted({str(d.get("commit", "?"))[:12] for d in docs})
        page = ["# Performance", "",
                "Generated by `bench/report.py` from the JSON in `results/`; rerun `bench/run_all.sh` on a GPU "
                "machine to refresh it (see [bench.md](bench.md) for the method and the schema).", ""]
        if docs:
            page += [f"Latest run: **{device_name}**, {latest}, commit {', '.join('`%s`' % c for c in commits)}.", ""]
        page += [summary.replace("{plot_dir}", rel), ""]
        amd = read_optional(args.amd)
        page += ["## AMD static resource report (gfx942, gfx950)", "",
                 "From the AMD assembly of `tests/codegen/*_kernels.hip` (`scripts/amd_report.sh`): registers, LDS, "
                 "scratch and the waves per SIMD they allow, per kernel. No AMD GPU ran these kernels.", "",
                 amd if amd else "Not generated yet: run `scripts/amd_report.sh`.", ""]
        gemm_doc = read_optional(os.path.join(os.path.dirname(os.path.abspath(args.docs)), "gemm.md"))
        start = gemm_doc.find("| kernel | arch | VGPR") if gemm_doc else -1
        if start >= 0:
            end = gemm_doc.find("\n## ", start)
            page += ["## Block-scale GEMM: static census of the AMD main loop, and a projection", "",
                     "Per 128-K block and wave, read from the gfx942/gfx950 assembly by `tests/codegen/test_gemm_isa.cpp` "
                     "(copied from [gemm.md](gemm.md), which explains it). The projection is arithmetic on "
                     "datasheet figures, **not a measurement**.", "",
                     gemm_doc[start:end if end >= 0 else len(gemm_doc)].strip(), ""]
        san = read_optional(args.sanitize)
        page += ["## Sanitizers (compute-sanitizer on the GPU tests)", "",
                 san if san else "Not run yet: run `scripts/sanitize.sh` on the GPU machine.", ""]
        with open(args.docs, "w") as f:
            f.write("\n".join(page))
        log(f"report: wrote {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
