"""Helpers for tests that talk to real external programs.

Everything here runs real software on loopback only; scripts/install-test-deps.sh
installs the non-Python parts and the ``test`` extra of pyproject.toml the Python ones.

Modules:
    seaweed  -- a real S3-compatible server (SeaweedFS ``weed server``) with auth on;
                the session fixture ``seaweedfs`` in tests/conftest.py uses it.
    clients  -- real podcast clients and parsers: gPodder ``gpo``, podcast-partytime
                (node), podcastparser, feedparser; a Playwright-driven Chromium and axe-core.
    http     -- a tiny threaded static file server (HEAD, Range/206, conditional GET).
    media    -- test media made with ffmpeg / espeak-ng: audio in many formats, images.

See docs/testing.md.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository root (the directory holding pyproject.toml)."""

NODE_DIR = REPO_ROOT / "tests" / "node"
"""Committed node project (package.json + lock) for partytime and axe-core."""
