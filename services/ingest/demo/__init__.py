"""The demo catalog: fictional songs with lyrics written for moodtune, and an offline mirror
of Melon-style pages built from them (mirror.py)."""

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
SONG_META = DEMO_DIR / "song_meta.json"
GENRES = DEMO_DIR / "genre_gn_all.json"
LYRICS = DEMO_DIR / "lyrics.json"
INTENDED = DEMO_DIR / "intended_emotion.tsv"
# The emotion the demo's songs without lyrics (instrumental, spoken, lyrics never written) were
# composed with: the input of their generated clips, and what sound-only search is scored against.
INSTRUMENTAL = DEMO_DIR / "instrumental_emotion.tsv"
FAULTS = DEMO_DIR / "mirror_faults.json"
PLAYLISTS = DEMO_DIR / "playlists.json"  # fictional, Arena train.json form (make_playlists.py)
