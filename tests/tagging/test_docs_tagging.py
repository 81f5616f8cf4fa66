"""docs/tagging.md and README.md show the same field table as audiofeed/media/formats.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiofeed.media.formats import FIELDS

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "tagging.md", ROOT / "README.md")


def cell(key: str | None) -> str:
    return "—" if key is None else f"`{key}`"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_field_table_matches_the_code(doc: Path):
    rows = {}
    for line in doc.read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in line.strip().strip("|").split("|")]
        if len(parts) == 5 and parts[0] in {f.name for f in FIELDS}:
            rows[parts[0]] = parts[2:]
    assert list(rows) == [f.name for f in FIELDS]
    for f in FIELDS:
        assert rows[f.name] == [cell(f.id3), cell(f.mp4), cell(f.vorbis)], f.name


def test_commands_have_help():
    from click.testing import CliRunner

    from audiofeed.cli import cli

    for command in ("inspect", "tag"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
