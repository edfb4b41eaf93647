#!/usr/bin/env bash
# The AMD static resource report: compiles tests/codegen/*_kernels.hip for gfx942 and gfx950 (no AMD
# GPU needed), runs hipfuse_isa_report over the assembly (VGPR, AGPR, SGPR, LDS, scratch, waves per
# SIMD per kernel), writes results/amd_report.md and refreshes docs/perf.md.
#   scripts/amd_report.sh            (HIPFUSE_AMD_BUILD: build folder, default build-amd-report;
#                                     HIPFUSE_AMD_JOBS: build jobs, default nproc)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${HIPFUSE_AMD_BUILD:-build-amd-report}
jobs=${HIPFUSE_AMD_JOBS:-$(nproc)}
read -r -a args <<<"$(scripts/setup.sh 2>/dev/null)"
mkdir -p results
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${args[@]}" >/dev/null

# Keep going past a kernel file that does not compile: the report covers every one that does,
# and names the ones that did not.
failed=$(ninja -C "$build" -k 0 -j"$jobs" hipfuse_amd_asm 2>&1 | grep -Eo "AMD ISA [a-z0-9_]+ \(gfx9[0-9]+\)|FAILED: .*\.s" || true)
ninja -C "$build" -j"$jobs" hipfuse_isa_report >/dev/null 2>&1 ||
  c++ -std=c++17 -O1 -Itests/codegen tests/codegen/isa_report.cpp -o "$build/hipfuse_isa_report_standalone"
exe="$build/tests/hipfuse_isa_report"
[ -x "$exe" ] || exe="$build/hipfuse_isa_report_standalone"

mapfile -t asm < <(ls "$build"/tests/*_kernels.gfx9*.s 2>/dev/null)
[ ${#asm[@]} -gt 0 ] || { echo "amd_report.sh: no AMD assembly was produced (is clang++-22 set up?)" >&2; exit 1; }
# Whole kernel names, shortened here: no return type or parameter list (they repeat the template
# arguments), policy<arch> when the backends are automatic, no namespaces; rows grouped by arch.
shorten='
import re, sys
rows, out = [], []
for line in sys.stdin.read().splitlines():
    m = re.match(r"\| (gfx\d+) \| `(.*)` \|(.*)$", line)
    if not m:
        out.append(line)
        continue
    arch, name, rest = m.groups()
    name = re.sub(r"^void ", "", name)
    depth = 0
    for i, c in enumerate(name):
        depth += (c == "<") - (c == ">")
        if c == "(" and depth == 0:
            name = name[:i]
            break
    name = re.sub(r"policy<(gfx\d+), automatic, automatic, float8_e4m3fn(uz)?>", r"policy<\1>", name)
    name = re.sub(r"policy<(gfx\d+), (\w+), (\w+), float8_e4m3fn(uz)?>", r"policy<\1, \2, \3>", name)
    name = re.sub(r"\b(hipfuse_codegen|gemm|scale_layout)::", "", name)
    rows.append((arch, f"| {arch} | `{name}` |{rest}"))
rows.sort(key=lambda r: r[0])
print("\n".join(out[:2] + [r[1] for r in rows] + out[2:]))
'
rc=0
table=$(HIPFUSE_ISA_REPORT_WHOLE_NAMES=1 "$exe" "${asm[@]}") || rc=$?
table=$(echo "$table" | python3 -c "$shorten")
{
  echo "$(date -u +%Y-%m-%d), commit \`$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)\`," \
    "$("${args[0]#-DHIPFUSE_CLANG=}" --version 2>/dev/null | head -n 1); files: $(printf '%s ' "${asm[@]##*/}")"
  echo
  echo "$table"
  failures=$(echo "$failed" | grep FAILED || true)
  [ -z "$failures" ] || { echo; echo "Did not compile: $(echo "$failures" | sed 's/FAILED: //' | tr '\n' ' ')"; }
} >results/amd_report.md
cat results/amd_report.md
python3 bench/report.py --results results --docs docs/perf.md --amd results/amd_report.md \
  --sanitize results/sanitize.md --no-plots >/dev/null 2>&1 || true
exit $rc
