#!/usr/bin/env bash
# The GPU check (docs/gpu.md): run the `gpu`-marked tests and the GPU benchmarks on a CUDA
# machine, and write their figures into the GPU section of docs/benchmarks.md.
#
#   scripts/gpu_check.sh                 # on a CUDA machine: tests + benchmarks + docs section
#   scripts/gpu_check.sh --full          # benchmarks at the larger sizes
#   scripts/gpu_check.sh --dry-run       # anywhere (CI): the gpu tests must all skip for lack
#                                        # of a device and for no other reason; the section is
#                                        # rendered into --out, docs/ is not touched
#   scripts/gpu_check.sh --out DIR       # where the logs, junit XML and section go
#                                        # (default: a fresh temporary directory)
#
# Exit status: 0 all gpu tests passed (dry run: all skipped for lack of CUDA) and the section
# was written; 1 a gpu test failed or skipped for another reason, or a benchmark failed;
# 2 bad usage, or no CUDA device without --dry-run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
PY="${PYTHON:-python3}"
dry=0
full=0
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=1 ;;
    --full) full=1 ;;
    --out) shift; out="${1:-}"; [ -n "$out" ] || { echo "gpu_check: error: --out needs a directory" >&2; exit 2; } ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "gpu_check: error: unknown argument '$1' (use --dry-run, --full, --out DIR)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$out" ] || out="$(mktemp -d -t gpu-check-XXXXXX)"
mkdir -p "$out"

cuda="$("$PY" -c 'import torch; print("yes" if torch.cuda.is_available() else "no")')"
if [ "$cuda" != "yes" ] && [ "$dry" -eq 0 ]; then
  echo "gpu_check: error: no CUDA device on this machine; use --dry-run to check the script without one" >&2
  exit 2
fi
export CHECKER_DETERMINISTIC=1 OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" CHECKER_PROGRESS=0

# 1. The gpu-marked tests, wherever they are (files that use the marker).
# GPU_CHECK_FILES (space-separated paths) replaces the discovery; the script's own test uses it.
if [ -n "${GPU_CHECK_FILES:-}" ]; then
  read -r -a files <<< "$GPU_CHECK_FILES"
else
  mapfile -t files < <(grep -rlE "pytest\.mark\.gpu|^gpu = pytest\.mark\.gpu" tests --include='test_*.py' | sort)
fi
echo "gpu_check: ${#files[@]} test files with gpu tests; CUDA: $cuda; output: $out" >&2
set +e
"$PY" -m pytest -m gpu -q -rs -p no:cacheprovider --junitxml "$out/gpu-tests.xml" "${files[@]}" \
  > "$out/gpu-tests.log" 2>&1
rc_tests=$?
set -e
# pytest exit 5 = nothing selected; that is a failure of this check too (no gpu tests found)
tests_line="$("$PY" - "$out/gpu-tests.xml" "$dry" "$cuda" <<'EOF'
import sys
import xml.etree.ElementTree as ET

path, dry, cuda = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "yes"
root = ET.parse(path).getroot()
cases = list(root.iter("testcase"))
passed = failed = 0
skipped = {}
for c in cases:
    if c.find("failure") is not None or c.find("error") is not None:
        failed += 1
    elif (s := c.find("skipped")) is not None:
        skipped.setdefault(s.get("message", ""), []).append(f"{c.get('classname')}::{c.get('name')}")
    else:
        passed += 1
n_skipped = sum(len(v) for v in skipped.values())
print(f"{len(cases)} gpu tests: {passed} passed, {failed} failed, {n_skipped} skipped")
ok = bool(cases) and failed == 0
if dry and not cuda:
    # without a device every gpu test must skip, and only for lack of CUDA
    other = {k: v for k, v in skipped.items() if "no CUDA device" not in k}
    ok = ok and passed == 0 and not other
    if passed:
        print(f"  {passed} gpu test(s) passed without a CUDA device: they do not test the GPU", file=sys.stderr)
    for k, v in other.items():
        print(f"  skipped for another reason ({k}): {', '.join(v)}", file=sys.stderr)
else:
    ok = ok and n_skipped == 0
    for k, v in skipped.items():
        print(f"  skipped on a CUDA machine ({k}): {', '.join(v)}", file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
)" && tests_ok=1 || tests_ok=0
echo "gpu_check: $tests_line (pytest exit $rc_tests)" >&2

# 2. The GPU benchmarks (each bench_<area>.py measures CUDA rows when a device is present).
bench_ok=1
if [ "$cuda" = "yes" ]; then
  flag=""; [ "$full" -eq 1 ] && flag="--full"
  set +e
  "$PY" -m benchmarks $flag --out "$out/benchmarks-all.md" > "$out/benchmarks.log" 2>&1 || bench_ok=0
  set -e
  json="$out/benchmarks-all.json"
  target="docs/benchmarks.md"
else
  echo "gpu_check: dry run: would run '$PY -m benchmarks --out $out/benchmarks-all.md' and splice its CUDA rows" >&2
  json="docs/benchmarks.json"   # CPU figures only: the rendered section says there are no GPU rows
  target="$out/benchmarks.md"
  cp docs/benchmarks.md "$target"
fi

# 3. The GPU section of the benchmarks page, between markers (replaced, or appended once).
"$PY" - "$json" "$target" "$tests_line" "$dry" <<'EOF'
import datetime
import json
import sys
from pathlib import Path

src, target, tests_line, dry = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
BEGIN, END = "<!-- gpu-check:begin -->", "<!-- gpu-check:end -->"
data = json.loads(Path(src).read_text()) if Path(src).exists() else {"rows": [], "machine": {}}
rows = [r for r in data.get("rows", []) if "cpu" not in str(r.get("device", "")).lower()]


def fmt(s):
    s = float(s)
    return "n/a" if s != s else f"{s:.3g} s" if s >= 1 else f"{s * 1e3:.3g} ms"


lines = [BEGIN, "## GPU", "",
         f"Written by `scripts/gpu_check.sh` on {datetime.date.today().isoformat()} "
         f"(CUDA device: {data.get('machine', {}).get('cuda', 'none')}). {tests_line}.", ""]
if rows:
    lines += ["| area | benchmark | ratio | meaning | candidate time | baseline time | device |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['area']} | {r['name']} | **{float(r['ratio']):.3g}** | {r['ratio_meaning']} | "
              f"{fmt(r['candidate_s'])} | {fmt(r['baseline_s'])} | {r['device']} |" for r in rows]
else:
    lines += ["No GPU figures: " + ("this was a dry run on a machine without a CUDA device; "
              if dry else "no benchmark produced a CUDA row; ") +
              "none of the GPU path has been measured yet (docs/gpu.md)."]
lines.append(END)
section = "\n".join(lines)
text = target.read_text() if target.exists() else ""
if BEGIN in text and END in text:
    head, rest = text.split(BEGIN, 1)
    text = head + section + rest.split(END, 1)[1]
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
target.write_text(text)
print(f"gpu_check: wrote the GPU section ({len(rows)} rows) into {target}", file=sys.stderr)
EOF

if [ "$tests_ok" -eq 1 ] && [ "$bench_ok" -eq 1 ]; then
  echo "gpu_check: ok" >&2
  exit 0
fi
echo "gpu_check: FAILED (tests ok: $tests_ok, benchmarks ok: $bench_ok); logs in $out" >&2
exit 1
