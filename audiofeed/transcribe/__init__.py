"""Transcripts recognised from the published recordings (``audiofeed transcribe``).

- :mod:`.engine`: faster-whisper, loaded on first use (the only importer of faster_whisper)
- :mod:`.prompt`: session metadata -> the recogniser's prompt and hotwords
- :mod:`.captions`: recognised segments -> WebVTT and SRT
- :mod:`.store`: the cache (audio + model + prompt) and the digests of generated files
- :mod:`.run`: the command: which episodes, which audio, what is kept
"""
