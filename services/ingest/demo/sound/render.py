"""Render the demo songs' clips (fluidsynth + the FluidR3 General MIDI soundfont) and their mels.

    python -m services.ingest.demo.sound.render [--out .moodtune/demo-sound] [--ids 1,2,3]

Writes, per song, `audio/{id}.flac` (30 s, 16 kHz mono) and `mels/{id // 1000}/{id}.npy` (float16
(48, 1876) dB, Kakao Arena's layout, so training reads the demo exactly like a real download).
Everything is cached by composer version: a second run renders nothing. No audio is committed.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from services.common.audio import decode_audio, waveform_to_mel
from services.common.audio.mel import SAMPLE_RATE
from services.ingest.demo import INSTRUMENTAL, INTENDED
from services.ingest.demo.sound.composer import COMPOSER_VERSION, compose

CLIP_SECONDS = 30.0
SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/default-GM.sf2"))
DEFAULT_OUT = Path(".moodtune/demo-sound")
GAIN = 0.6  # fluidsynth master gain: loud passages approach full scale without clipping


class RenderError(RuntimeError):
    pass


def intended_emotions(path: Path = INTENDED) -> dict[int, str]:
    with open(path, encoding="utf-8") as handle:
        return {int(row["song_id"]): row["emotion"] for row in csv.DictReader(handle, delimiter="\t")}


def sound_emotions() -> dict[int, str]:
    """Every demo song that has a clip: the 272 with lyrics and the ones on their sound alone."""
    return {**intended_emotions(), **intended_emotions(INSTRUMENTAL)}


def soundfont() -> Path:
    for path in SOUNDFONTS:
        if path.is_file():
            return path
    raise RenderError("no General MIDI soundfont: install Debian fluid-soundfont-gm (scripts/setup.sh dev)")


def cache_dir(out: Path = DEFAULT_OUT) -> Path:
    return Path(out) / f"v{COMPOSER_VERSION}"


def mel_path(root: Path, song_id: int) -> Path:
    return Path(root) / str(song_id // 1000) / f"{song_id}.npy"


def render_clip(song_id: int, emotion: str, target: Path) -> Path:
    """One song's 30 s clip as 16 kHz mono FLAC."""
    if shutil.which("fluidsynth") is None:
        raise RenderError("fluidsynth is not installed (Debian fluidsynth; scripts/setup.sh dev)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        midi, wav = Path(scratch) / "clip.mid", Path(scratch) / "clip.wav"
        compose(song_id, emotion, CLIP_SECONDS).write(str(midi))
        run = subprocess.run(["fluidsynth", "-ni", "-q", "-g", str(GAIN), "-r", str(SAMPLE_RATE), "-F", str(wav),
                              "-T", "wav", "-O", "s16", str(soundfont()), str(midi)], capture_output=True, text=True)
        if run.returncode != 0 or not wav.is_file():
            raise RenderError(f"fluidsynth failed for song {song_id}: {run.stderr[-500:]}")
        # Mono, exactly 30 s (trimmed or padded with silence), FLAC: sox does all three.
        tmp = target.with_suffix(".tmp.flac")
        subprocess.run(["sox", str(wav), "-c", "1", "-r", str(SAMPLE_RATE), str(tmp), "trim", "0", str(CLIP_SECONDS),
                        "pad", "0", str(CLIP_SECONDS)], check=True, capture_output=True)
        subprocess.run(["sox", str(tmp), str(target), "trim", "0", str(CLIP_SECONDS)], check=True, capture_output=True)
        tmp.unlink()
    return target


def render_song(song_id: int, emotion: str, out: Path = DEFAULT_OUT) -> tuple[Path, Path]:
    """(audio path, mel path) of one song, rendering only what the cache lacks."""
    base = cache_dir(out)
    audio, mel = base / "audio" / f"{song_id}.flac", mel_path(base / "mels", song_id)
    if not audio.is_file():
        render_clip(song_id, emotion, audio)
    if not mel.is_file():
        mel.parent.mkdir(parents=True, exist_ok=True)
        frames = waveform_to_mel(decode_audio(audio.read_bytes(), "flac"))
        np.save(mel, frames.astype(np.float16))
    return audio, mel


def render_all(out: Path = DEFAULT_OUT, ids: list[int] | None = None, progress: bool = True) -> Path:
    """Renders every (or the given) demo song; returns the Kakao-layout mel directory."""
    emotions = intended_emotions()
    wanted = sorted(emotions) if ids is None else ids
    for done, song_id in enumerate(wanted, start=1):
        render_song(song_id, emotions[song_id], out)
        if progress and (done % 25 == 0 or done == len(wanted)):
            print(f"demo sound: {done}/{len(wanted)} songs", file=sys.stderr, flush=True)
    return cache_dir(out) / "mels"


def demo_sound_source(mode: str, out: Path = DEFAULT_OUT, progress: bool = True):
    """The sound `moodtune ingest --demo` reads: "render" renders the clips the cache lacks (minutes,
    once), "cached" uses what is rendered, "off" none. The gateway may play these clips (preview)."""
    from services.ingest.sound import MelDirectory

    if mode == "off":
        return None
    if mode == "render" and (shutil.which("fluidsynth") is None or not any(p.is_file() for p in SOUNDFONTS)):
        print("demo sound: fluidsynth or its General MIDI soundfont is not installed (scripts/setup.sh dev); "
              "using the clips already rendered, if any", file=sys.stderr, flush=True)
        mode = "cached"
    if mode == "render":
        emotions = sound_emotions()
        missing = [i for i in sorted(emotions) if not (cache_dir(out) / "audio" / f"{i}.flac").is_file()]
        if missing and progress:
            print(f"demo sound: rendering {len(missing)} clips into {cache_dir(out)} (once; cached)",
                  file=sys.stderr, flush=True)
        for done, song_id in enumerate(missing, start=1):
            render_song(song_id, emotions[song_id], out)
            if progress and (done % 25 == 0 or done == len(missing)):
                print(f"demo sound: {done}/{len(missing)} clips", file=sys.stderr, flush=True)
    mels = cache_dir(out) / "mels"
    return MelDirectory(mels, preview=True) if mels.is_dir() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--ids", help="comma-separated song ids (default: all 272)")
    args = parser.parse_args(argv)
    ids = [int(x) for x in args.ids.split(",")] if args.ids else None
    try:
        print(render_all(args.out, ids))
    except RenderError as exc:
        print(f"render: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
