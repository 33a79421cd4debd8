"""The demo catalog's generated sound: deterministic, following each emotion's cues, renderable."""

from __future__ import annotations

import numpy as np

from services.ingest.demo.sound.composer import compose
from services.ingest.demo.sound.render import intended_emotions, render_song
from services.common.labels import EMOTIONS


def notes(midi):
    return [(i.program, i.is_drum, n.pitch, round(n.start, 4), n.velocity) for i in midi.instruments for n in i.notes]


def test_the_same_song_always_sounds_the_same_and_songs_differ():
    assert notes(compose(7, "joy")) == notes(compose(7, "joy"))
    assert notes(compose(7, "joy")) != notes(compose(8, "joy"))


def test_every_demo_song_has_an_emotion_the_composer_knows():
    emotions = intended_emotions()
    assert len(emotions) == 272 and set(emotions.values()) == set(EMOTIONS)


def _cues(emotion: str, ids=range(1, 25)) -> dict[str, float]:
    tempos, velocities, pitches, programs = [], [], [], set()
    for song_id in ids:
        midi = compose(song_id, emotion)
        tempos.append(midi.get_tempo_changes()[1][0])
        melodic = [n for i in midi.instruments if not i.is_drum for n in i.notes]
        velocities.append(np.mean([n.velocity for n in melodic]))
        pitches.append(np.mean([n.pitch for n in melodic]))
        programs |= {i.program for i in midi.instruments if not i.is_drum}
    return {"tempo": float(np.mean(tempos)), "velocity": float(np.mean(velocities)),
            "pitch": float(np.mean(pitches)), "programs": len(programs)}


def test_cues_follow_music_emotion_research():
    cues = {e: _cues(e) for e in ("joy", "sadness", "anger", "peace")}
    assert cues["joy"]["tempo"] > cues["sadness"]["tempo"] + 30 and cues["anger"]["tempo"] > cues["peace"]["tempo"] + 40
    assert cues["anger"]["velocity"] > cues["peace"]["velocity"] + 25  # loud vs soft
    assert cues["joy"]["pitch"] > cues["sadness"]["pitch"] + 5  # high vs low register
    assert all(c["programs"] >= 6 for c in cues.values())  # several instruments per emotion


def test_a_clip_is_thirty_seconds_in_the_datasets_layout(tmp_path):
    from services.common.audio import decode_audio

    audio, mel = render_song(3, "peace", tmp_path)
    samples = decode_audio(audio.read_bytes(), "flac")
    assert len(samples) == 30 * 16000 and np.abs(samples).max() > 0.01
    frames = np.load(mel)
    assert frames.dtype == np.float16 and frames.shape == (48, 1876)
    assert mel.relative_to(tmp_path).parts[-2:] == ("0", "3.npy")
    assert render_song(3, "peace", tmp_path) == (audio, mel)  # cached: nothing rendered again


def test_every_emotion_has_solo_piano_songs_and_band_songs():
    """The same emotion on the piano alone and with a band: the band's timbre gives nothing away."""
    for emotion in EMOTIONS:
        solo = [all(i.program in (0, 1) and not i.is_drum for i in compose(song_id, emotion).instruments)
                for song_id in range(1, 31)]
        assert 4 <= sum(solo) <= 20, (emotion, sum(solo))
