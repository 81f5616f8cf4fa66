"""Bad-input corpus, audio side: real recordings of every format (made once by ffmpeg),
truncated, bit-flipped, zeroed, spliced. Every case publishes or fails with clean
``error:`` lines naming the recording, exit 1, the published folder and the source intact.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import tomlkit
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from tests.support.corpus import (
    EPISODE,
    check_outcome,
    examples,
    invoke,
    make_mini_show,
    scratch_copy,
    snapshot,
)
from tests.support.media import AUDIO_FORMATS, make_audio

FORMATS = sorted(AUDIO_FORMATS)  # mp3, m4a, m4a-alac, ogg, opus, flac, wav


class Fixtures(dict):
    """format -> bytes of a real recording (a short repr: hypothesis prints its arguments)."""

    def __repr__(self) -> str:
        return f"<recordings: {', '.join(f'{k} {len(v)} B' for k, v in self.items())}>"


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> Fixtures:
    """One real 1.5 s recording per format."""
    folder = tmp_path_factory.mktemp("corpus-audio")
    return Fixtures(
        (fmt, make_audio(folder / f"{fmt}{AUDIO_FORMATS[fmt][2]}", 1.5, fmt).read_bytes())
        for fmt in FORMATS
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini show without chapters (they would not fit the 1.5 s recordings)."""
    show = make_mini_show(tmp_path_factory.mktemp("corpus-audio-show"))
    _, head, body = (show / EPISODE).read_text().split("+++\n", 2)
    meta = tomllib.loads(head)
    meta.pop("chapters", None)
    (show / EPISODE).write_text(f"+++\n{tomlkit.dumps(meta)}+++\n{body}")
    return show


def flip(data: bytes, positions: list[float], bits: list[int]) -> bytes:
    out = bytearray(data)
    for where, bit in zip(positions, bits, strict=False):
        out[int(where * (len(out) - 1))] ^= 1 << bit
    return bytes(out)


MUTATION = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(
        st.just("flip"),
        st.lists(st.floats(0, 1), min_size=1, max_size=12),
        st.lists(st.integers(0, 7), min_size=12, max_size=12),
    ),
    st.tuples(st.just("flip-header"), st.integers(0, 255), st.integers(0, 7)),
    st.tuples(st.just("zero"), st.floats(0, 1), st.integers(1, 4096)),
    st.tuples(st.just("splice"), st.floats(0, 1), st.floats(0, 1)),
    st.tuples(st.just("garbage"), st.binary(min_size=0, max_size=512)),
    st.tuples(st.just("as is")),
)


def apply(data: bytes, m: tuple) -> bytes:
    kind = m[0]
    if kind == "truncate":
        return data[: int(len(data) * m[1])]
    if kind == "flip":
        return flip(data, m[1], m[2])
    if kind == "flip-header":
        out = bytearray(data)
        out[m[1] % len(out)] ^= 1 << m[2]
        return bytes(out)
    if kind == "zero":
        at = int(len(data) * m[1])
        return data[:at] + b"\0" * m[2] + data[at + m[2] :]
    if kind == "splice":  # a stretch of the file repeated (a botched concatenation)
        a, b = sorted((int(len(data) * m[1]), int(len(data) * m[2])))
        return data[:b] + data[a:b] + data[b:]
    if kind == "garbage":  # something else saved under the recording's name
        return m[1]
    return data


@settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=examples(120),
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(fmt=st.sampled_from(FORMATS), mutation=MUTATION)
@example(fmt="wav", mutation=("flip-header", 4, 4))  # the tagged copy did not read back
def test_audio_corpus(base: Path, fixtures: Fixtures, fmt: str, mutation: tuple) -> None:
    data = apply(fixtures[fmt], mutation)
    ext = AUDIO_FORMATS[fmt][2]
    with scratch_copy(base) as show:
        rel = f"recordings/broken-{fmt}{ext}"
        (show / rel).write_bytes(data)
        ep = show / EPISODE
        ep.write_text(re.sub(r'^audio = ".*"$', f'audio = "{rel}"', ep.read_text(), flags=re.M))
        before = snapshot(show / "public")
        out = invoke(show, "publish")
        # FLAC, Vorbis, Opus, WAV tag fine but the feed rules refuse them as enclosures:
        # that error names the feed item (ENC-03), not the file
        outcome = check_outcome(out, show, before, {Path(rel).name, "ENC-03"})
        event(f"{fmt}: {outcome}")
        assert (show / rel).read_bytes() == data, "the source recording was modified"
