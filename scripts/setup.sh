#!/usr/bin/env bash
# Install checker and everything it needs into the current Python environment.
#
# torch is installed first and on its own, so that the package's "torch>=2.1" floor is already
# satisfied when pip resolves checker's dependencies. Which torch build:
#
#   * no NVIDIA GPU on this machine (the usual case): PyTorch's own CPU wheel index is asked
#     first (a few hundred MB instead of several GB of CUDA libraries). Only when that index
#     cannot be reached (probed with a short timeout) does the script fall back to the pinned
#     version from the default package index, and it then says which build it installed.
#   * an NVIDIA GPU (nvidia-smi works or /proc/driver/nvidia exists): the pinned version from
#     the default index, which is the CUDA build.
#   * torch already importable: left alone (any torch >= 2.1), and the script says which build.
#
# Usage: bash scripts/setup.sh [--dry-run]
#   --dry-run   print the commands it would run (and why), install nothing
#
# Environment:
#   CHECKER_TORCH_SPEC       torch requirement (default: torch==2.13.0)
#   CHECKER_TORCH_CPU_INDEX  the CPU wheel index (default: https://download.pytorch.org/whl/cpu)
#   CHECKER_TORCH_INDEX      force this index for torch (skips detection and probing)
#   CHECKER_GPU              auto (default) | yes | no: override the GPU detection
#   CHECKER_EXTRAS           extras of checker to install (default: test)
#   CHECKER_PROBE_TIMEOUT    seconds for the CPU-index probe (default: 8)
#   CHECKER_DRY_PRETEND_NO_TORCH  with --dry-run: plan as if torch were not installed yet
#   CHECKER_COQ              auto (default) | no: install the Coq kernel (coq, Coq-Interval,
#                            Coquelicot, csdp) with apt-get when coqc is missing and this runs as
#                            root on a Debian-like system; without it the audit labels its
#                            verdicts solver-checked and says so once
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
TORCH_SPEC="${CHECKER_TORCH_SPEC:-torch==2.13.0}"
CPU_INDEX="${CHECKER_TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"
EXTRAS="${CHECKER_EXTRAS:-test}"
GPU_MODE="${CHECKER_GPU:-auto}"
PROBE_TIMEOUT="${CHECKER_PROBE_TIMEOUT:-8}"
DRY=0
for arg in "$@"; do
    case "$arg" in
        --dry-run) DRY=1 ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) echo "setup: unknown argument '$arg' (expected --dry-run or --help)" >&2; exit 2 ;;
    esac
done
case "$GPU_MODE" in auto|yes|no) ;; *) echo "setup: CHECKER_GPU='$GPU_MODE' must be auto, yes or no" >&2; exit 2 ;; esac

say() { echo "setup: $*" >&2; }
# pip's warning about running as root is noise here (the README suggests a virtual environment)
PIP_QUIET="--root-user-action=ignore"
run() {  # print in dry-run mode, execute otherwise
    if [[ $DRY == 1 ]]; then printf '%q ' "$@"; echo; else "$@"; fi
}

has_gpu() {
    case "$GPU_MODE" in yes) return 0 ;; no) return 1 ;; esac
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then return 0; fi
    [[ -e /proc/driver/nvidia/version ]]
}

index_reachable() {  # $1: index URL; true when its torch page answers within the timeout
    "$PY" - "$1" "$PROBE_TIMEOUT" <<'EOF' >/dev/null 2>&1
import sys, urllib.request
url, timeout = sys.argv[1].rstrip("/") + "/torch/", float(sys.argv[2])
if url.startswith("file://"):  # a local mirror (and the tests' stand-in for a reachable index)
    import os, urllib.parse
    sys.exit(0 if os.path.isdir(urllib.parse.urlparse(url).path) else 1)
try:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        sys.exit(0 if getattr(r, "status", 200) in (200, None) else 1)
except Exception:
    sys.exit(1)
EOF
}

stamp=".setup-stamp"
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16) ${EXTRAS}"
if [[ $DRY == 0 && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$PY" -W ignore -c "import checker, torch" 2>/dev/null; then
    exit 0   # already set up for this pyproject.toml and these extras
fi

# -- 1. torch --------------------------------------------------------------------------------
if "$PY" -W ignore -c "import torch" 2>/dev/null && [[ $DRY == 0 || -z "${CHECKER_DRY_PRETEND_NO_TORCH:-}" ]]; then
    say "torch $("$PY" -W ignore -c 'import torch; print(torch.__version__, "(CUDA" if torch.version.cuda else "(CPU", "build)")') is already installed; leaving it alone"
elif [[ -n "${CHECKER_TORCH_INDEX:-}" ]]; then
    say "installing ${TORCH_SPEC} from CHECKER_TORCH_INDEX=${CHECKER_TORCH_INDEX}"
    run "$PY" -m pip install -q $PIP_QUIET --index-url "$CHECKER_TORCH_INDEX" "$TORCH_SPEC"
elif has_gpu; then
    say "NVIDIA GPU found: installing ${TORCH_SPEC} from the default index (the CUDA build)"
    run "$PY" -m pip install -q $PIP_QUIET "$TORCH_SPEC"
elif index_reachable "$CPU_INDEX"; then
    say "no NVIDIA GPU: installing the CPU build of ${TORCH_SPEC} from ${CPU_INDEX}"
    run "$PY" -m pip install -q $PIP_QUIET --index-url "$CPU_INDEX" "$TORCH_SPEC"
else
    say "no NVIDIA GPU, and the CPU wheel index ${CPU_INDEX} did not answer within ${PROBE_TIMEOUT} s:"
    say "falling back to ${TORCH_SPEC} from the default index (this machine's package configuration decides the build)"
    run "$PY" -m pip install -q $PIP_QUIET "$TORCH_SPEC"
    if [[ $DRY == 0 ]]; then
        say "installed torch $("$PY" -W ignore -c 'import torch; print(torch.__version__, "- a CUDA build (large); set CHECKER_TORCH_INDEX to a CPU index to avoid it" if torch.version.cuda else "- a CPU build")')"
    fi
fi

# -- 2. the Coq kernel (system packages; best effort) -----------------------------------------
COQ_MODE="${CHECKER_COQ:-auto}"
case "$COQ_MODE" in auto|no) ;; *) echo "setup: CHECKER_COQ='$COQ_MODE' must be auto or no" >&2; exit 2 ;; esac
COQ_PKGS=(coq libcoq-interval libcoq-coquelicot coinor-csdp)
if [[ $COQ_MODE == no ]] || command -v coqc >/dev/null 2>&1; then
    :
elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing the Coq kernel from Debian: ${COQ_PKGS[*]} (about a minute)"
    if [[ $DRY == 1 ]]; then
        echo "apt-get update -q && apt-get install -y -q ${COQ_PKGS[*]}"
    elif ! timeout 900 bash -c "apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${COQ_PKGS[*]} >/dev/null 2>&1"; then
        say "could not install Coq: the audit will run without the kernel (verdicts labelled solver-checked)"
    fi
else
    say "coqc not found and apt-get is not usable here: install coq, libcoq-interval and libcoq-coquelicot"
    say "for kernel-checked verdicts; without them the audit labels its verdicts solver-checked"
fi

# -- 3. checker and its dependencies ---------------------------------------------------------
say "installing checker[${EXTRAS}] and its dependencies"
run "$PY" -m pip install -q $PIP_QUIET -e ".[${EXTRAS}]"
if [[ $DRY == 0 ]]; then echo "$want" > "$stamp"; fi
