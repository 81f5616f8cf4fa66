"""The [tags] table of config.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiofeed.errors import ValidationError
from audiofeed.show import config as config_mod

BASE = """
[podcast]
title = "T"
description = "D"
author = "A"
language = "en"
categories = ["Education"]
image = "cover.png"
website = "https://example.org/"
owner = { name = "O", email = "o@example.org" }

[publish]
base_url = "http://127.0.0.1:8000/"
"""


def load(tmp_path: Path, tags: str):
    (tmp_path / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    path = tmp_path / "config.toml"
    path.write_text(BASE + tags, encoding="utf-8")
    return config_mod.load(path)


def test_defaults(tmp_path):
    settings = load(tmp_path, "").tags
    assert settings == config_mod.TagSettings("2.4", False, None)
    assert settings.id3_major == 4


def test_values(tmp_path):
    settings = load(
        tmp_path, '[tags]\nid3_version = "2.3"\nstrip_existing = true\ncover_max_px = 1400\n'
    ).tags
    assert (settings.id3_major, settings.strip_existing, settings.cover_max_px) == (3, True, 1400)
    assert load(tmp_path, "[tags]\nid3_version = 2.3\n").tags.id3_major == 3


def test_every_problem_reported(tmp_path):
    with pytest.raises(ValidationError) as err:
        load(
            tmp_path,
            '[tags]\nid3_version = "2.2"\nstrip_existing = "yes"\ncover_max_px = 10\nsize = 1\n',
        )
    lines = [line.split(": ", 1)[1] for line in err.value.lines()]
    assert lines == [
        "tags.size: unknown key (allowed: cover_max_px, id3_version, strip_existing)",
        'tags.id3_version: must be "2.4" (default) or "2.3"',
        "tags.strip_existing: must be true or false",
        "tags.cover_max_px: must be between 64 and 10000 pixels",
    ]
