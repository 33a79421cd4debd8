"""A subset of the demo's generated sound, rendered for real (fluidsynth) in seconds.

The whole demo (277 clips) takes minutes to render, so the suite runs `moodtune ingest --demo` with
MOODTUNE_INGEST_DEMO_SOUND=off (tests/conftest.py) unless a test points it at a subset from here.
"""

from __future__ import annotations

from pathlib import Path

from services.ingest.demo.sound.render import intended_emotions, render_song, sound_emotions

#: The first 24 songs (every emotion), every peaceful song (so that a calm sentence's five picks all
#: have sound, as the browser test needs), and the five songs without lyrics.
SUBSET = tuple(sorted(set(range(1, 25)) | {i for i, e in intended_emotions().items() if e == "peace"}
                      | {273, 274, 275, 276, 277}))


def render_subset(out: Path, ids=SUBSET) -> Path:
    emotions = sound_emotions()
    for song_id in ids:
        render_song(song_id, emotions[song_id], out)
    return Path(out)


def sound_env(out: Path) -> dict[str, str]:
    """The environment that makes `moodtune ingest --demo` read the subset rendered into `out`."""
    return {"MOODTUNE_INGEST_DEMO_SOUND": "cached", "MOODTUNE_INGEST_DEMO_SOUND_DIR": str(out)}
