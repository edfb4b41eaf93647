#!/usr/bin/env python3
"""PyTorch peers of the hipfuse benchmarks, timed the same way and written in the same JSON schema.

  F.rms_norm pairs (DeepSeek MLA q/k of one [T,2112] buffer; Qwen3 per-head q/k), eager and torch.compile;
  a reference per-1x128 quantization bf16 -> e4m3fn (fp32 scales), eager and torch.compile;
  F.rms_norm [T,7168] alone, and followed by that quantization, eager and torch.compile;
  DeepSeek MLA: q [T,1536] normalized then quantized, k_nope [T,512] normalized, eager and torch.compile;
  torch._scaled_mm blockwise (1x128 activations x 128x128 weights, cuBLASLt) on the DeepSeek shapes.

Timing: warm-up (which includes torch.compile), then a CUDA graph of many back-to-back calls that
rotate over input sets totalling at least twice the L2 size (each set with its own outputs: the
results of the last `sets` calls are kept), timed with events; the median over
repeats divided by the number of calls. Inputs are fresh random values. The device-to-device copy
bandwidth (read + write bytes) is measured in the same process.

Usage: peers.py --out results/peers.json [--commit SHA] [--date ISO] [--quick] [--only OPS]
"""
import argparse
import collections
import datetime
import math
import os
import statistics
import sys
import time

# Shapes shared with the C++ benchmarks (bench/shapes.hpp): keep the two in step.
TOKENS = [1, 16, 128, 1024, 4096, 16384, 65536]
TOKENS_QUICK = [1, 1024, 4096]
MLA_Q, MLA_K, MLA_ROW = 1536, 512, 2112          # DeepSeek fused_qkv_a_proj output: q | kv | k_pe
QWEN_HEADS_Q, QWEN_HEADS_KV, QWEN_HEAD_DIM = 32, 8, 128
HIDDEN = 7168                                     # DeepSeek-V3 hidden size: the quantized activations
GROUP = 128
EPS = 1e-6
GEMM_SHAPES = [(2112, 7168), (24576, 1536), (32768, 512), (7168, 16384), (4096, 7168), (7168, 2048)]  # N x K
GEMM_SHAPES_QUICK = [(2112, 7168), (7168, 2048)]
GEMM_M = [1, 16, 64, 128, 4096, 16384]
GEMM_M_QUICK = [16, 4096]
FP8_MAX = 448.0
MAX_SETS = 64


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="", help="JSON output path (stdout when empty)")
    p.add_argument("--commit", default="unknown")
    p.add_argument("--date", default="")
    p.add_argument("--quick", action="store_true", help="few sizes, few repeats: a smoke run")
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--only", default="", help="comma-separated op names to run (default: all)")
    p.add_argument("--no-compile", action="store_true", help="skip the torch.compile peers")
    p.add_argument("--budget-s", type=float, default=270.0,
                   help="after this many seconds the remaining torch.compile peers are skipped (noted)")
    return p.parse_args()


def rotating_sets(bytes_per_set, l2_bytes):
    if bytes_per_set <= 0:
        return 1
    return int(min(MAX_SETS, max(1, math.ceil(2.0 * l2_bytes / bytes_per_set))))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Runner:
    def __init__(self, torch, args):
        self.torch = torch
        self.args = args
        self.repeats = min(args.repeats, 5) if args.quick else max(3, args.repeats)
        props = torch.cuda.get_device_properties(0)
        self.l2 = int(getattr(props, "L2_cache_size", 50 << 20))
        self.device = {
            "name": props.name,
            "compute_capability": f"{props.major}.{props.minor}",
            "sm_count": props.multi_processor_count,
            "l2_bytes": self.l2,
            "memory_bytes": props.total_memory,
        }
        state = os.environ.get("HIPFUSE_BENCH_GPU_STATE")
        if state:
            self.device["state"] = state
        self.results = []
        self.started = time.monotonic()
        self.copy_gbs = 0.0
        self.notes = [f"torch {torch.__version__}"]
        try:
            import triton
            self.notes.append(f"triton {triton.__version__}")
        except ImportError:
            pass

    def time_launches(self, launch, sets, target_us=2000.0):
        """Median GPU microseconds per launch(i) call, i rotating over sets; see the module doc."""
        torch = self.torch
        for i in range(max(sets, 3)):
            launch(i % sets)
        torch.cuda.synchronize()
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        probe = max(sets, 8)
        start.record()
        for i in range(probe):
            launch(i % sets)
        stop.record()
        stop.synchronize()
        per_us = max(1e-3, 1000.0 * start.elapsed_time(stop) / probe)
        launches = int(min(2000, max(sets, math.ceil(target_us / per_us))))
        launches = (launches + sets - 1) // sets * sets

        # The outputs of the last `sets` calls stay referenced, so that, as in the C++ benches, every
        # set writes its own output buffers: a result dropped at once would give its memory to the next
        # call, whose output would then stay in L2 (up to 1 us, 16 %, faster on [T,2112] at T <= 1024).
        def run_all(count):
            window = collections.deque(maxlen=sets)
            for i in range(count):
                window.append(launch(i % sets))
            return window

        method = "cuda-graph"
        graph = None
        try:
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                kept = run_all(launches)
            replay = graph.replay
        except Exception as e:  # some peers cannot be captured; time plain back-to-back launches
            log(f"    graph capture failed ({type(e).__name__}: {e}); timing plain launches")
            method = "events"
            graph = None
            torch.cuda.synchronize()

            def replay():
                run_all(launches)

        samples = []
        for r in range(-1, self.repeats):
            start.record()
            replay()
            stop.record()
            stop.synchronize()
            if r >= 0:
                samples.append(1000.0 * start.elapsed_time(stop) / launches)
        del graph
        kept = None
        return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
                "method": method, "launches": launches, "samples": len(samples)}

    def add(self, op, impl, shape, x_name, x, t, bytes_=0.0, flops=0.0, checked=False, note="", variant=""):
        us = t["median"]
        r = {"op": op, "impl": impl, "variant": variant, "shape": shape, "x_name": x_name, "x": x,
             "time_us": us, "time_us_min": t["min"], "time_us_max": t["max"],
             "bytes": float(bytes_), "flops": float(flops),
             "gbs": bytes_ / (us * 1e3) if bytes_ else 0.0, "tflops": flops / (us * 1e6) if flops else 0.0,
             "timing": t["method"], "launches": t["launches"], "samples": t["samples"],
             "checked": checked, "note": note}
        self.results.append(r)
        extra = f"{r['gbs']:8.0f} GB/s ({100 * r['gbs'] / self.copy_gbs:3.0f}% of copy)" if bytes_ and not flops else ""
        if flops:
            extra = f"{r['tflops']:8.1f} TFLOPS"
        log(f"  {op:22s} {impl:16s} {shape:26s} {us:10.2f} us {extra} {note}")

    def skip(self, op, impl, shape, x_name, x, note, variant=""):
        self.results.append({"op": op, "impl": impl, "variant": variant, "shape": shape, "x_name": x_name, "x": x,
                             "time_us": None, "time_us_min": None, "time_us_max": None, "bytes": 0.0, "flops": 0.0,
                             "gbs": 0.0, "tflops": 0.0, "timing": "none", "launches": 0, "samples": 0,
                             "checked": False, "note": note})
        log(f"  {op:22s} {impl:16s} {shape:26s} skipped: {note}")

    def save(self, final=False):
        """Writes what has been measured so far: a run cut short still leaves its results."""
        import json
        doc = {
            "schema": "hipfuse-bench/1",
            "suite": "peers",
            "source": "torch",
            "commit": self.args.commit,
            "date": self.args.date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "device": self.device,
            "copy_gbs": self.copy_gbs,
            "method": "median over repeats of (GPU time of a CUDA graph of back-to-back calls) / calls; inputs "
                      "and outputs rotate over sets totalling >= 2x L2; fresh random inputs",
            "notes": self.notes + ([] if final else ["incomplete: the run stopped early"]),
            "results": self.results,
        }
        text = json.dumps(doc, indent=1)
        if self.args.out:
            with open(self.args.out, "w") as f:
                f.write(text + "\n")
            if final:
                log(f"[peers] wrote {self.args.out}")
        elif final:
            print(text)

    def over_budget(self):
        return time.monotonic() - self.started > self.args.budget_s

    def measure_copy(self):
        # The best of a 256 MiB and a 1 GiB copy, as the C++ harness measures it.
        torch = self.torch
        for nbytes in (256 << 20, 1 << 30):
            a = torch.empty(nbytes // 4, device="cuda", dtype=torch.float32).uniform_(-1, 1)
            b = torch.empty_like(a)
            t = self.time_launches(lambda i: b.copy_(a), 1, target_us=20000.0)
            self.copy_gbs = max(self.copy_gbs, 2.0 * nbytes / (t["median"] * 1e3))
            del a, b
        log(f"[peers] device-to-device copy: {self.copy_gbs:.0f} GB/s (read+write)")


# ---------------------------------------------------------------------------------------------------
# The peer functions. They are plain torch so that torch.compile sees the whole computation.

def make_ops(torch):
    F = torch.nn.functional

    def qk_rmsnorm_mla(buf, wq, wk):
        q = F.rms_norm(buf[:, :MLA_Q], (MLA_Q,), wq, EPS)
        k = F.rms_norm(buf[:, MLA_Q:MLA_Q + MLA_K], (MLA_K,), wk, EPS)
        return q, k

    def qk_rmsnorm_qwen3(qkv, wq, wk):
        t = qkv.shape[0]
        nq = QWEN_HEADS_Q * QWEN_HEAD_DIM
        nk = QWEN_HEADS_KV * QWEN_HEAD_DIM
        q = qkv[:, :nq].view(t, QWEN_HEADS_Q, QWEN_HEAD_DIM)
        k = qkv[:, nq:nq + nk].view(t, QWEN_HEADS_KV, QWEN_HEAD_DIM)
        return F.rms_norm(q, (QWEN_HEAD_DIM,), wq, EPS), F.rms_norm(k, (QWEN_HEAD_DIM,), wk, EPS)

    def rmsnorm(x, w):
        return (F.rms_norm(x, (x.shape[-1],), w, EPS),)

    def group_quant(x):
        # amax per 1x128 group in fp32; scale = max(amax, eps) / fp8_max; q = x / scale, saturated.
        t, k = x.shape
        g = x.view(t, k // GROUP, GROUP).float()
        amax = g.abs().amax(dim=-1, keepdim=True).clamp(min=1e-10)
        scale = amax / FP8_MAX
        q = (g / scale).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn).view(t, k)
        return q, scale.squeeze(-1)

    def rmsnorm_quant(x, w):
        return group_quant(F.rms_norm(x, (x.shape[-1],), w, EPS))

    def mla_rmsnorm_quant(buf, wq, wk):
        q, s = group_quant(F.rms_norm(buf[:, :MLA_Q], (MLA_Q,), wq, EPS))
        return q, s, F.rms_norm(buf[:, MLA_Q:MLA_Q + MLA_K], (MLA_K,), wk, EPS)

    return {"qk_rmsnorm_mla": qk_rmsnorm_mla, "qk_rmsnorm_qwen3": qk_rmsnorm_qwen3, "rmsnorm": rmsnorm,
            "group_quant": group_quant, "rmsnorm_quant": rmsnorm_quant, "mla_rmsnorm_quant": mla_rmsnorm_quant}


def norm_quant_specs(torch):
    """op -> (make_inputs(T), bytes(T), shape label(T))."""
    bf16 = torch.bfloat16

    def rnd(*shape, lo=-2.0, hi=2.0, dtype=bf16):
        return torch.empty(*shape, device="cuda", dtype=dtype).uniform_(lo, hi)

    qwen_cols = (QWEN_HEADS_Q + 2 * QWEN_HEADS_KV) * QWEN_HEAD_DIM
    qk_q, qk_k = QWEN_HEADS_Q * QWEN_HEAD_DIM, QWEN_HEADS_KV * QWEN_HEAD_DIM
    groups = HIDDEN // GROUP
    return {
        "qk_rmsnorm_mla": (lambda t: (rnd(t, MLA_ROW), rnd(MLA_Q, lo=0.5, hi=1.5), rnd(MLA_K, lo=0.5, hi=1.5)),
                           lambda t: 2 * t * (MLA_Q + MLA_K) * 2 + (MLA_Q + MLA_K) * 2,
                           lambda t: f"T={t} q{MLA_Q}+k{MLA_K}"),
        "qk_rmsnorm_qwen3": (lambda t: (rnd(t, qwen_cols), rnd(QWEN_HEAD_DIM, lo=0.5, hi=1.5),
                                        rnd(QWEN_HEAD_DIM, lo=0.5, hi=1.5)),
                             lambda t: 2 * t * (qk_q + qk_k) * 2 + 2 * QWEN_HEAD_DIM * 2,
                             lambda t: f"T={t} q32x128+k8x128"),
        "rmsnorm": (lambda t: (rnd(t, HIDDEN), rnd(HIDDEN, lo=0.5, hi=1.5)),
                    lambda t: 2 * t * HIDDEN * 2 + HIDDEN * 2,
                    lambda t: f"T={t} K={HIDDEN}"),
        "group_quant": (lambda t: (rnd(t, HIDDEN, lo=-8.0, hi=8.0),),
                        lambda t: t * HIDDEN * 2 + t * HIDDEN + t * groups * 4,
                        lambda t: f"T={t} K={HIDDEN}"),
        "rmsnorm_quant": (lambda t: (rnd(t, HIDDEN), rnd(HIDDEN, lo=0.5, hi=1.5)),
                          lambda t: t * HIDDEN * 2 + HIDDEN * 2 + t * HIDDEN + t * groups * 4,
                          lambda t: f"T={t} K={HIDDEN}"),
        "mla_rmsnorm_quant": (lambda t: (rnd(t, MLA_ROW), rnd(MLA_Q, lo=0.5, hi=1.5), rnd(MLA_K, lo=0.5, hi=1.5)),
                              lambda t: (2 * t * (MLA_Q + MLA_K) + 2 * (MLA_Q + MLA_K) + t * MLA_Q
                                         + 4 * t * (MLA_Q // GROUP) + 2 * t * MLA_K),
                              lambda t: f"T={t} q{MLA_Q}+k{MLA_K}"),
    }


def run_norm_quant(run, torch, wanted, tokens):
    ops = make_ops(torch)
    specs = norm_quant_specs(torch)
    for name, (make, nbytes, label) in specs.items():
        if wanted and name not in wanted:
            continue
        fn = ops[name]
        compiled = None if run.args.no_compile else torch.compile(fn, dynamic=False, fullgraph=True)
        log(f"[peers] {name}")
        for t in tokens:
            set_bytes = nbytes(t)
            sets = rotating_sets(set_bytes, run.l2)
            inputs = [make(t) for _ in range(sets)]
            checked = False
            note = ""
            if compiled is not None and not run.over_budget():
                # torch.compile must compute what eager computes (a wrong peer must not look fast).
                try:
                    a, b = fn(*inputs[0]), compiled(*inputs[0])
                    for x, y in zip(a, b):
                        if x.dtype == torch.float8_e4m3fn:
                            # Inductor may skip an intermediate bf16 rounding: allow one fp8 step.
                            x, y = x.float(), y.float()
                            step = 0.126 * torch.maximum(x.abs(), y.abs()) + 2.0 ** -9
                            mismatch = ((x - y).abs() > step).float().mean().item()
                            if mismatch > 1e-3:
                                raise RuntimeError(f"fp8 codes differ by more than one step in {mismatch:.2%}")
                        else:
                            torch.testing.assert_close(y, x, rtol=1.6e-2, atol=1e-2)
                    checked = True
                except Exception as e:
                    note = f"compiled differs from eager: {type(e).__name__}: {str(e).splitlines()[0][:160]}"
                    log(f"    {note}")
            run.add(name, "torch", label(t), "T", t, run.time_launches(lambda i: fn(*inputs[i]), sets),
                    bytes_=set_bytes, checked=False)
            if compiled is not None and run.over_budget():
                run.skip(name, "torch.compile", label(t), "T", t,
                         f"skipped: the peers' time budget ({run.args.budget_s:.0f} s) was spent")
            elif compiled is not None:
                try:
                    tm = run.time_launches(lambda i: compiled(*inputs[i]), sets)
                    run.add(name, "torch.compile", label(t), "T", t, tm, bytes_=set_bytes, checked=checked, note=note)
                except Exception as e:
                    run.skip(name, "torch.compile", label(t), "T", t, f"{type(e).__name__}: {str(e)[:200]}")
            inputs = None
            torch.cuda.empty_cache()
        run.save()


# ---------------------------------------------------------------------------------------------------
# Blockwise FP8 GEMM through torch._scaled_mm (cuBLASLt on Hopper).

def run_gemm(run, torch, ms):
    log("[peers] gemm_blockscale (torch._scaled_mm)")
    fp8 = torch.float8_e4m3fn
    checked_once = False
    # As bench_gemm does: products with M >= 1024 are timed in the card's sustained state (an H100
    # under FP8 GEMM load settles at its power cap, with a lower clock than in its first second):
    # load_s of the largest product before the first of them, a sixth of it with the product itself
    # before each later one. Smaller M run on the card as the cells before them left it (timed right
    # after the long load, the first decode cell caught the clock on its way back from the cap).
    load_s = 0.5 if run.args.quick else 3.0
    at_cap = False

    def first_load():
        a = torch.empty(4096, 16384, device="cuda").uniform_(-1, 1).to(fp8)
        w = torch.empty(7168, 16384, device="cuda").uniform_(-1, 1).to(fp8)
        sa = torch.ones(16384 // GROUP, 4096, device="cuda").t()
        ws = torch.ones(7168 // GROUP, 16384 // GROUP, device="cuda")
        start = time.perf_counter()
        try:
            while time.perf_counter() - start < load_s:
                for _ in range(50):
                    torch._scaled_mm(a, w.t(), scale_a=sa, scale_b=ws.t(), out_dtype=torch.bfloat16)
                torch.cuda.synchronize()
        except Exception as e:  # the per-shape attempts report what is refused
            log(f"    sustained load skipped: {type(e).__name__}: {str(e).splitlines()[0][:160]}")

    for n, k in (GEMM_SHAPES_QUICK if run.args.quick else GEMM_SHAPES):
        kb = k // GROUP
        for m in ms:
            shape = f"N={n} K={k} M={m}"
            nb = (n + GROUP - 1) // GROUP
            set_bytes = m * k + n * k + m * n * 2 + m * kb * 4 + nb * kb * 4
            sets = rotating_sets(set_bytes, run.l2)

            def make(mp, np_):
                a = torch.empty(mp, k, device="cuda").uniform_(-FP8_MAX / 2, FP8_MAX / 2).to(fp8)
                w = torch.empty(np_, k, device="cuda").uniform_(-FP8_MAX / 2, FP8_MAX / 2).to(fp8)
                # A scales [M, K/128] stored K-block-major (strides (1, M)): the layout cuBLASLt reads.
                sa = torch.empty(kb, mp, device="cuda").uniform_(1e-3, 2e-3).t()
                ws = torch.empty((np_ + GROUP - 1) // GROUP, kb, device="cuda").uniform_(1e-3, 2e-3)
                return a, sa, w, ws

            def scaled_mm(operands):
                a, sa, w, ws = operands
                return torch._scaled_mm(a, w.t(), scale_a=sa, scale_b=ws.t(), out_dtype=torch.bfloat16)

            # cuBLASLt may refuse M not a multiple of 4 or N not a multiple of 128: then pad (as vLLM
            # does for M), say so in the note, and still count only the useful M x N x K work.
            attempts = [(m, n, "")]
            mp, np_ = (m + 3) // 4 * 4, (n + GROUP - 1) // GROUP * GROUP
            if (mp, np_) != (m, n):
                attempts.append((mp, np_, f"padded to M={mp} N={np_} (cuBLASLt refused the exact shape)"))
            inputs, out, pad_note, errors = None, None, "", []
            for am, an, why in attempts:
                try:
                    inputs = [make(am, an) for _ in range(sets)]
                    out = scaled_mm(inputs[0])
                    torch.cuda.synchronize()
                    pad_note = why
                    break
                except Exception as e:
                    errors.append(f"{type(e).__name__}: {str(e).splitlines()[0][:160]}")
                    inputs, out = None, None
            if out is None:
                run.skip("gemm_blockscale", "torch._scaled_mm", shape, "M", m,
                         "torch._scaled_mm blockwise threw " + " / then ".join(errors), variant=f"{n}x{k}")
                continue
            if errors:
                log(f"    exact shape refused ({errors[0]}); {pad_note}")
            checked = False
            note = pad_note
            if not checked_once or m == 128:
                # Relative Frobenius error against a float64 product of the dequantized operands.
                a, sa, w, ws = inputs[0]
                ad = a.double() * sa.double().repeat_interleave(GROUP, dim=1)
                wd = w.double() * ws.double().repeat_interleave(GROUP, dim=0)[:w.shape[0]].repeat_interleave(GROUP, dim=1)
                ref = ad @ wd.t()
                err = ((out.double() - ref).norm() / ref.norm()).item()
                checked = err <= 1e-2 and math.isfinite(err)
                checked_once = True
                verdict = f"rel. error {err:.2e}" if checked else f"WRONG RESULT: rel. error {err:.2e} > 1e-2"
                if not checked:
                    log(f"    {verdict}")
                note = "; ".join(x for x in (verdict, pad_note) if x)
                del ad, wd, ref
            if m >= 1024 and not at_cap:
                first_load()
                at_cap = True
            elif m >= 1024:
                start = time.perf_counter()
                while time.perf_counter() - start < load_s / 6:
                    for _ in range(10):
                        scaled_mm(inputs[0])
                    torch.cuda.synchronize()
            t = run.time_launches(lambda i: scaled_mm(inputs[i]), sets)
            run.add("gemm_blockscale", "torch._scaled_mm", shape, "M", m, t, bytes_=set_bytes,
                    flops=2.0 * m * n * k, checked=checked, note=note, variant=f"{n}x{k}")
            inputs = out = None
            torch.cuda.empty_cache()


def main():
    args = parse_args()
    try:
        import torch
    except ImportError as e:
        log(f"peers.py needs PyTorch with CUDA (import torch failed: {e}); "
            "run it on the GPU machine, or skip the peers with HIPFUSE_BENCH_SKIP_PEERS=1")
        return 2
    if not torch.cuda.is_available():
        log("peers.py: torch.cuda.is_available() is False: no GPU to measure")
        return 2
    for name, value in (("cache_size_limit", 256), ("recompile_limit", 256), ("accumulated_cache_size_limit", 4096),
                        ("accumulated_recompile_limit", 4096)):
        if hasattr(torch._dynamo.config, name):
            setattr(torch._dynamo.config, name, value)
    torch.backends.cuda.matmul.allow_tf32 = False

    run = Runner(torch, args)
    run.measure_copy()
    wanted = set(filter(None, args.only.split(",")))
    if not wanted or "gemm_blockscale" in wanted:
        run_gemm(run, torch, GEMM_M_QUICK if args.quick else GEMM_M)
        run.save()
    run_norm_quant(run, torch, wanted, TOKENS_QUICK if args.quick else TOKENS)
    run.save(final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
