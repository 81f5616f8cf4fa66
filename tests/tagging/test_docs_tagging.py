"""docs/tagging.md shows the same field table as audiofeed/media/formats.py."""

from __future__ import annotations

from pathlib import Path

from audiofeed.media.formats import FIELDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "tagging.md"


def cell(key: str | None) -> str:
    return "—" if key is None else f"`{key}`"


def test_field_table_matches_the_code():
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
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
