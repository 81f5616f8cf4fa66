#!/usr/bin/env bash
# Run the test suite on a fresh machine or a warm one: the one command for developers and CI.
#
#   bash scripts/test.sh [pytest args...]      e.g.  bash scripts/test.sh -k gpo -x
#
# 1. scripts/install-test-deps.sh: Debian packages, gPodder's gpo, node packages
#    (each checked first; ~0.1 s when all are there).
# 2. pip install -e '.[test]': the project and its Python test dependencies; skipped when
#    scripts/python-deps-ok.py finds this checkout installed with everything pyproject.toml
#    asks for (pip takes ~15 s even when nothing changes). AUDIOFEED_PIP_INSTALL=1 forces it.
# 3. pytest on two workers (pytest-xdist), whose exit code is this script's (non-zero on any
#    failure, 5 = no tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python}"
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

bash scripts/install-test-deps.sh
if [ "${AUDIOFEED_PIP_INSTALL:-}" != 1 ] && "$PYTHON" scripts/python-deps-ok.py; then
    echo "[test.sh] python: ok (this checkout and the test extra are installed)" >&2
else
    echo "[test.sh] pip install -e '.[test]'" >&2
    # (the grep drops a machine-specific pip.conf warning about a missing local index)
    "$PYTHON" -m pip install -q -e '.[test]' \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
fi
# two pytest workers (pytest-xdist), one per core: each has its own SeaweedFS, rclone and
# Dask fixtures; AUDIOFEED_TEST_WORKERS=0 runs in one process
exec "$PYTHON" -m pytest -n "${AUDIOFEED_TEST_WORKERS:-2}" "$@"
