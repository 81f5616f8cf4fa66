"""Session metadata -> the recogniser's prompt and hotwords, so names come out right."""

from __future__ import annotations

from ..show.catalog import Episode

#: Whisper keeps the last ~220 tokens of a prompt: names go last so they survive the cut
MAX_PROMPT = 600


def prompt_for(episode: Episode) -> tuple[str, str]:
    """``(initial_prompt, hotwords)`` from the title, keywords, chairs and speakers.

    The prompt reads like the start of the session (Whisper continues the style and the
    spellings of its prompt); the hotwords are the names and keywords alone."""
    parts = [episode.title.rstrip(".") + "."]
    if episode.subtitle:
        parts.append(episode.subtitle.rstrip(".") + ".")
    if episode.keywords:
        parts.append("Topics: " + ", ".join(episode.keywords) + ".")
    if episode.chairs:
        parts.append("Chair: " + ", ".join(p.label() for p in episode.chairs) + ".")
    if episode.speakers:
        parts.append("Speakers: " + ", ".join(p.label() for p in episode.speakers) + ".")
    prompt = " ".join(parts)
    if len(prompt) > MAX_PROMPT:
        prompt = prompt[-MAX_PROMPT:].split(" ", 1)[-1]
    names = [p.name for p in episode.people]
    affiliations = [p.affiliation for p in episode.people if p.affiliation]
    hotwords = ", ".join(dict.fromkeys([*names, *affiliations, *episode.keywords]))
    return prompt, hotwords[:MAX_PROMPT]
