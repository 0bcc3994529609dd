#!/usr/bin/env bash
# The project's test command (README: `bash scripts/test.sh`). On a fresh machine it sets up
# everything the tests need, then runs pytest:
#   1. a virtual environment in .venv with requirements.txt (torch/torchvision pinned),
#   2. Debian's chromium for the end-to-end browser tests (apt; needs root or sudo),
#   3. pytest over tests/ — under CI (CI set) any skipped test fails the run, so a missing
#      data folder or browser can never turn CI green by skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium > /dev/null
fi

# No telemetry, no outbound requests from anything the tests start.
export STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
export GRADIO_ANALYTICS_ENABLED=False
export SR_DATA_DIR="${SR_DATA_DIR:-../shared/data}"

log=$(mktemp)
set +e
.venv/bin/python -m pytest "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -eq 0 ] && [ -n "${CI:-}" ] && tail -n 3 "$log" | grep -qE "[0-9]+ skipped"; then
  echo "CI: tests were skipped (see the 'SKIPPED' lines above); every test must run in CI" >&2
  rc=1
fi
rm -f "$log"
exit "$rc"
