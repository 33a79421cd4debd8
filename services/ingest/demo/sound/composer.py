"""A deterministic composer: (song id, emotion) -> a ~30 s multi-instrument General MIDI score.

The song id seeds every choice (key, mode, tempo, metre, instruments, progression, patterns,
motif), so the same song always sounds the same; the emotion picks the ranges those choices are
drawn from (profiles.py). Players are human-like: onsets drift and jitter by a few milliseconds,
velocities follow phrase arcs, accents and random spread, and a motif comes back varied, as in
real music.
"""

from __future__ import annotations

import math

import numpy as np
import pretty_midi

from services.ingest.demo.sound.profiles import (BRIGHT_PIANO, CELLO, CHOIR, CONTRABASS, HALO_PAD, PIANO, PROFILES,
                                                 SLOW_STRINGS, STRINGS, TIMPANI, TREMOLO_STRINGS, WARM_PAD, Profile)

COMPOSER_VERSION = "2"  # bump when the music changes: renders are cached by it
# A share of every emotion's songs is played on the piano alone (no drums, no pad), so that a model
# must hear the emotion in tempo, mode, register, loudness and articulation rather than in the band.
SOLO_PIANO_SHARE = 0.35
_PIANO_PATTERNS = {"pad": "broken", "tremolo": "arpeggio_up", "power_chug": "block_eighths", "cluster": "block_half"}
DRUM_NOTES = {"kick": 36, "stick": 37, "snare": 38, "hat": 42, "open_hat": 46, "ride": 51, "crash": 49,
              "tom_low": 41, "tom_mid": 45, "tom_high": 48}


class Score:
    """Notes placed in beats, turned into seconds with the clip's tempo drift and human timing."""

    def __init__(self, rng: np.random.Generator, profile: Profile, tempo: float):
        self.rng, self.profile = rng, profile
        self.beat_s = 60.0 / tempo
        self.drift_phase = rng.uniform(0, 2 * math.pi)
        self.midi = pretty_midi.PrettyMIDI(initial_tempo=tempo)

    def seconds(self, beat: float) -> float:
        # Rubato: the tempo breathes slowly around its mean (irregular for tension).
        wobble = self.profile.swing_tempo * math.sin(2 * math.pi * beat / 16 + self.drift_phase)
        return beat * self.beat_s * (1 + wobble)

    def instrument(self, program: int, drum: bool = False) -> pretty_midi.Instrument:
        inst = pretty_midi.Instrument(program=0 if drum else int(program), is_drum=drum)
        self.midi.instruments.append(inst)
        return inst

    def note(self, inst, pitch: int, beat: float, beats: float, velocity: float, jitter: float = 1.0) -> None:
        spread = self.profile.timing_jitter_s * jitter
        start = max(0.0, self.seconds(beat) + self.rng.normal(0, spread))
        end = max(start + 0.03, self.seconds(beat + beats) + self.rng.normal(0, spread))
        vel = int(np.clip(velocity + self.rng.normal(0, 4), 1, 127))
        inst.notes.append(pretty_midi.Note(velocity=vel, pitch=int(np.clip(pitch, 21, 108)), start=start, end=end))


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _scale_pitch(root: int, mode: tuple[int, ...], step: int) -> int:
    octave, degree = divmod(step, len(mode))
    return root + 12 * octave + mode[degree]


def _chord(root: int, mode, degree: int, seventh: bool) -> list[int]:
    steps = [degree, degree + 2, degree + 4] + ([degree + 6] if seventh else [])
    return [_scale_pitch(root, mode, s) for s in steps]


def _dynamics(rng, profile: Profile, bars: int) -> np.ndarray:
    """A velocity factor per bar: four-bar arcs, with sudden jumps where the profile asks for them."""
    arc = 1 + profile.dynamics_swing * 0.5 * np.sin(np.pi * (np.arange(bars) % 4) / 4)
    jumps = rng.uniform(-profile.dynamics_swing, profile.dynamics_swing, bars) * (rng.random(bars) < 0.3)
    return np.clip(arc + jumps, 0.5, 1.4)


def _motif(rng, profile: Profile, slots: int) -> list[tuple[int, int, int]]:
    """One phrase of (slot, length in slots, scale step relative to the chord root) notes."""
    notes, step, slot = [], int(rng.integers(0, 3)) * 2, 0
    while slot < slots:
        length = int(rng.choice([1, 1, 1, 2, 2, 3, 4]))
        if rng.random() > 0.18 or slot == 0:  # rests keep it from being a drone of notes
            notes.append((slot, min(length, slots - slot), step))
        move = int(rng.integers(-profile.leap, profile.leap + 1))
        if abs(move) > 2 and rng.random() < 0.5:
            move = int(np.sign(move))  # mostly steps, sometimes leaps
        step = int(np.clip(step + move + (profile.contour * 4 if rng.random() < 0.25 else 0), -4, 11))
        slot += length
    return notes


def _vary(rng, motif, amount: float):
    return [(s, l, step + (int(rng.integers(-2, 3)) if rng.random() < amount else 0)) for s, l, step in motif]


def _accompany(score: Score, inst, pattern: str, chord: list[int], bar_beat: float, meter: int, vel: float,
               legato: float) -> None:
    rng = score.rng
    if pattern in ("pad", "tremolo", "cluster"):
        notes = chord if pattern != "cluster" else [chord[0], chord[0] + 1, chord[0] + 6, chord[1]]
        for pitch in notes:
            score.note(inst, pitch, bar_beat, meter * 1.02, vel * 0.8, jitter=0.5)
        return
    if pattern.startswith("arpeggio") or pattern == "broken":
        order = {"arpeggio_up": chord + [chord[0] + 12], "arpeggio_down": ([chord[0] + 12] + chord[::-1]),
                 "arpeggio_wave": chord + [chord[0] + 12] + chord[:0:-1],
                 "broken": [chord[0], chord[2], chord[1], chord[2]]}[pattern]
        for i in range(meter * 2):
            score.note(inst, order[i % len(order)], bar_beat + i / 2, 0.5 * max(legato, 1.2), vel * (1.0 if i % 2 == 0 else 0.85))
        return
    if pattern == "power_chug":
        for i in range(meter * 2):
            for pitch in (chord[0] - 12, chord[0] - 5, chord[0]):
                score.note(inst, pitch, bar_beat + i / 2, 0.35, vel * (1.1 if i % 2 == 0 else 0.9), jitter=0.4)
        return
    if pattern in ("ostinato", "pulse"):
        figure = [chord[0], chord[0] + 1, chord[0], chord[0] + 6] if pattern == "ostinato" else [chord[0]]
        per_beat = 4 if pattern == "ostinato" else 2
        for i in range(meter * per_beat):
            score.note(inst, figure[i % len(figure)], bar_beat + i / per_beat, 0.8 / per_beat, vel * (0.8 + 0.3 * (i % per_beat == 0)))
        return
    hits = {"block_quarters": [(b, 0.9) for b in range(meter)],
            "block_half": [(b, 1.9) for b in range(0, meter, 2)],
            "block_eighths": [(i / 2, 0.45) for i in range(meter * 2)],
            "offbeat": [(b + 0.5, 0.4) for b in range(meter)],
            "strum": [(0, 0.9), (1, 0.45), (1.5, 0.45), (2.5, 0.45), (3, 0.9)][: meter + 1],
            "stab": [(0, 0.3), (0.75, 0.3), (1.5, 0.3), (2.5, 0.3), (3.25, 0.3)]}[pattern]
    for beat, length in hits:
        if beat >= meter:
            continue
        for k, pitch in enumerate(chord):
            strum = 0.012 * k / score.beat_s if pattern == "strum" else 0.0
            score.note(inst, pitch, bar_beat + beat + strum, length * legato * 1.3, vel * (1.0 if beat == 0 else 0.85))


def _drums(score: Score, kit, style: str, bar: int, bar_beat: float, meter: int, vel: float) -> None:
    rng = score.rng
    hits: list[tuple[str, float, float]] = []  # (drum, beat, velocity factor)
    if style in ("pop", "rock", "four_on_floor", "double_kick"):
        hats = "ride" if style == "rock" and bar % 8 >= 4 else "hat"
        hits += [(hats, i / 2, 0.6 + 0.2 * (i % 2 == 0)) for i in range(meter * 2)]
        hits += [("snare", b, 1.0) for b in range(1, meter, 2)]
        kicks = {"pop": [0, 2.5] if meter == 4 else [0], "rock": [0, 1.5, 2, 3.5][:meter],
                 "four_on_floor": list(range(meter)), "double_kick": [i / 4 for i in range(meter * 4)]}[style]
        hits += [("kick", b, 0.95) for b in kicks if b < meter]
        if style == "four_on_floor":
            hits += [("open_hat", b + 0.5, 0.7) for b in range(meter)]
        if bar % 4 == 0:
            hits.append(("crash", 0, 0.9))
        if bar % 4 == 3 and rng.random() < 0.6:  # a fill into the next phrase
            hits += [(t, meter - 1 + i / 4, 0.8 + 0.05 * i) for i, t in enumerate(("tom_high", "tom_mid", "tom_low", "snare"))]
    elif style == "shuffle":
        hits += [("hat", b + f, 0.7 if f == 0 else 0.5) for b in range(meter) for f in (0, 2 / 3)]
        hits += [("kick", 0, 0.9), ("snare", 1, 0.9)] + ([("kick", 2, 0.8), ("snare", 3, 0.9)] if meter == 4 else [])
    elif style == "brush":
        hits += [("stick", b, 0.5) for b in range(1, meter, 2)] + [("ride", b, 0.45) for b in range(meter)]
    elif style == "heartbeat":
        hits += [("kick", 0, 0.9), ("kick", 0.35, 0.7)] + ([("kick", 2, 0.8), ("kick", 2.35, 0.6)] if meter == 4 else [])
    elif style == "toms":
        for _ in range(int(rng.integers(2, 6))):
            hits.append((_pick(rng, ("tom_low", "tom_mid", "tom_low", "kick")), float(rng.integers(0, meter * 4)) / 4, rng.uniform(0.6, 1.1)))
    for drum, beat, factor in hits:
        score.note(kit, DRUM_NOTES[drum], bar_beat + beat, 0.25, vel * factor, jitter=0.6)


def compose(song_id: int, emotion: str, seconds: float = 30.0) -> pretty_midi.PrettyMIDI:
    """The score of one demo song's clip: melody, accompaniment, bass, often drums and a pad."""
    profile = PROFILES[emotion]
    rng = np.random.default_rng([20260613, int(song_id)])
    tempo = float(rng.uniform(*profile.tempo))
    meter = 3 if emotion in ("peace", "sadness", "neutral") and rng.random() < 0.3 else 4
    mode = _pick(rng, profile.modes)
    root = int(rng.integers(profile.root[0], profile.root[1] + 1))
    score = Score(rng, profile, tempo)
    solo = rng.random() < SOLO_PIANO_SHARE
    if solo:  # both hands of one piano: melody, accompaniment and bass on the same instrument
        piano = _pick(rng, (PIANO, PIANO, BRIGHT_PIANO))
        melody, harmony, bass = (score.instrument(piano) for _ in range(3))
    else:
        melody = score.instrument(_pick(rng, profile.melody))
        harmony = score.instrument(_pick(rng, [p for p in profile.harmony if p != melody.program] or profile.harmony))
        bass = score.instrument(_pick(rng, profile.bass))
    pattern = _pick(rng, profile.accompaniment)
    if harmony.program == TREMOLO_STRINGS:
        pattern = "tremolo"
    if solo:
        pattern = _PIANO_PATTERNS.get(pattern, pattern)
    drum_style = "none" if solo else _pick(rng, profile.drums)
    kit = score.instrument(0, drum=True) if drum_style != "none" else None
    pad = None
    if not solo and rng.random() < 0.45 and pattern not in ("pad", "tremolo"):
        pad = score.instrument(_pick(rng, (SLOW_STRINGS, WARM_PAD, CHOIR, STRINGS, HALO_PAD)))
    progressions = [_pick(rng, profile.progressions), _pick(rng, profile.progressions)]
    base_velocity = float(rng.uniform(*profile.velocity))
    legato = float(rng.uniform(*profile.legato))
    per_beat = int(_pick(rng, profile.notes_per_beat))
    bars = int(math.ceil(seconds / score.seconds(meter))) + 2
    dynamics = _dynamics(rng, profile, bars)
    phrase_slots = 2 * meter * per_beat
    motif = _motif(rng, profile, phrase_slots)
    seventh = emotion in ("peace", "neutral") and rng.random() < 0.5

    for bar in range(bars):
        section = (bar // 8) % 2  # A and B sections alternate progressions
        degree = progressions[section][bar % len(progressions[section])]
        chord = _chord(root - 12, mode, degree, seventh)
        if rng.random() < profile.dissonance:  # a clashing tone: minor second or tritone
            chord = chord + [chord[0] + int(_pick(rng, (1, 6, 13)))]
        vel = base_velocity * dynamics[bar]
        beat0 = bar * meter
        _accompany(score, harmony, pattern, chord, beat0, meter, vel * 0.75, legato)
        if pad is not None:
            for pitch in chord[:3]:
                score.note(pad, pitch + 12, beat0, meter * 1.05, vel * 0.45, jitter=0.3)
        # Bass: the chord's root, moving more in busier music.
        low = chord[0] - 12 if bass.program not in (CELLO, CONTRABASS, TIMPANI) else chord[0] - 12
        bass_beats = [0] if profile.tempo[1] < 90 else ([0, 2] if meter == 4 else [0])
        if emotion == "anger":
            bass_beats = [i / 2 for i in range(meter * 2)]
        elif emotion == "neutral" or (emotion == "joy" and rng.random() < 0.5):
            bass_beats = list(range(meter))
        for i, b in enumerate(bass_beats):
            pitch = low if i % 2 == 0 or emotion == "anger" else low + 7
            length = (meter / len(bass_beats)) * (0.9 if emotion != "anger" else 0.5)
            score.note(bass, pitch, beat0 + b, length, vel * 0.85)
        if kit is not None:
            _drums(score, kit, drum_style, bar, beat0, meter, vel * 0.9)
        # Melody: the motif (two bars long), varied each time it comes back, over the current chord.
        if bar % 2 == 0:
            phrase = _vary(rng, motif, 0.15 + 0.1 * (bar // 4))
        for slot, length, step in phrase:
            if (slot // (meter * per_beat)) != bar % 2:
                continue
            beat = beat0 + (slot % (meter * per_beat)) / per_beat
            pitch = _scale_pitch(root, mode, degree + step)
            accent = 1.12 if slot % per_beat == 0 else 0.95
            score.note(melody, pitch, beat, length / per_beat * legato, vel * accent)
        if emotion == "tension" and rng.random() < 0.25:  # a sudden stab far above or below
            score.note(melody, root + int(_pick(rng, (18, 25, -18))), beat0 + float(rng.integers(0, meter * 2)) / 2, 0.4, min(127, vel * 1.4))

    for inst in score.midi.instruments:
        inst.notes = [n for n in inst.notes if n.start < seconds]
    return score.midi
