#!/usr/bin/env bash
# Install checker and everything it needs into the current Python environment.
#
# torch is installed first and on its own, so that the package's "torch>=2.1" floor is
# already satisfied when pip resolves checker's dependencies; otherwise pip would pull the
# registry's newest CUDA build (several GB) on a machine that needs none.
#
#   CHECKER_TORCH_SPEC   what to install for torch (default: torch==2.13.0)
#   CHECKER_TORCH_INDEX  an extra index for torch, e.g. https://download.pytorch.org/whl/cpu
#                        for a CPU-only build on a machine whose default index has only CUDA builds
#   CHECKER_EXTRAS       extras of checker to install (default: test)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
TORCH_SPEC="${CHECKER_TORCH_SPEC:-torch==2.13.0}"
EXTRAS="${CHECKER_EXTRAS:-test}"
stamp=".setup-stamp"
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16) ${EXTRAS}"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$PY" -c "import checker, torch" 2>/dev/null; then
    exit 0   # already set up for this pyproject.toml
fi
if ! "$PY" -c "import torch" 2>/dev/null; then
    echo "setup: installing ${TORCH_SPEC} (CPU build where the machine provides one)" >&2
    if [[ -n "${CHECKER_TORCH_INDEX:-}" ]]; then
        "$PY" -m pip install -q --extra-index-url "$CHECKER_TORCH_INDEX" "$TORCH_SPEC"
    else
        "$PY" -m pip install -q "$TORCH_SPEC"
    fi
fi
echo "setup: installing checker[${EXTRAS}] and its dependencies" >&2
"$PY" -m pip install -q -e ".[${EXTRAS}]"
echo "$want" > "$stamp"
