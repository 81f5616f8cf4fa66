"""The rich progress display of ``audiofeed publish`` (mastering rows + overall, uploads)."""

from __future__ import annotations

import io

from audiofeed.cli.progress import RichProgress


def test_mastering_and_upload_progress_render_and_log_lines_go_above() -> None:
    out = io.StringIO()
    view = RichProgress(out)
    view.master_start([("a.wav", 1000), ("b.flac", 3000), ("c.wav", 10)])
    view.master_done("b.flac", 3000, {"action": "mastered", "output": {"integrated": -16.1}})
    view.print_line("mastered b.flac")
    view.master_done("a.wav", 1000, {"action": "pass"})
    view.master_done("c.wav", 10, {"action": "mastered", "output": {"integrated": -16.0}}, "w-1")
    view.master_finish()
    view.start(3, 2_000_000)
    view.advance(1_000_000)
    view.file_done("audio/a.mp3", 1_000_000)
    view.finish()
    text = out.getvalue()
    assert "mastering 3/3 recordings" in text and "c.wav → -16.0 LUFS on w-1" in text
    assert "b.flac → -16.1 LUFS" in text and "a.wav (on target: as it is)" in text
    assert "mastered b.flac" in text
    assert "uploading 1/3 files" in text
