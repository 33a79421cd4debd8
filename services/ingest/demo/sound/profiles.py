"""How each emotion sounds: the composer's musical cues, from music-emotion research.

Juslin & Laukka (2003, Psychological Bulletin 129:770) and Gabrielsson & Lindström (2010, in
Handbook of Music and Emotion) summarise the cues listeners use:
  joy      fast, major, high register, fairly loud, staccato-ish, bright timbre, consonant, regular rhythm
  peace    slow, major, middle register, soft, legato, soft timbre, consonant, few events
  sadness  slow, minor, low register, soft, legato, dull timbre, narrow melodic range, descending lines
  anger    fast, minor or atonal, loud, accented/staccato, sharp timbre, dissonant, dense rhythm
  tension  (fear) irregular rhythm and tempo, minor/diminished, dissonant (tritones, minor seconds),
           tremolo and pizzicato, wide register (low drones, high figures), sudden loudness changes
  neutral  moderate tempo and loudness, mild major/mixolydian, plain timbre, repetitive, even dynamics
Every range is wide and overlaps its neighbours', so no single cue (tempo alone, register alone)
separates the emotions: a model has to combine several, as listeners do.
"""

from __future__ import annotations

from dataclasses import dataclass

# Scale steps in semitones.
MAJOR = (0, 2, 4, 5, 7, 9, 11)
LYDIAN = (0, 2, 4, 6, 7, 9, 11)
MIXOLYDIAN = (0, 2, 4, 5, 7, 9, 10)
MINOR = (0, 2, 3, 5, 7, 8, 10)
HARMONIC_MINOR = (0, 2, 3, 5, 7, 8, 11)
DORIAN = (0, 2, 3, 5, 7, 9, 10)
PHRYGIAN = (0, 1, 3, 5, 7, 8, 10)
LOCRIAN = (0, 1, 3, 5, 6, 8, 10)

# General MIDI programs (0-based).
PIANO, BRIGHT_PIANO, EPIANO, HARPSICHORD, CELESTA, GLOCKENSPIEL, VIBES, MARIMBA = 0, 1, 4, 6, 8, 9, 11, 12
ORGAN, ACCORDION = 16, 21
NYLON, STEEL, JAZZ_GUITAR, CLEAN_GUITAR, MUTED_GUITAR, OVERDRIVE, DISTORTION = 24, 25, 26, 27, 28, 29, 30
ACOUSTIC_BASS, FINGER_BASS, PICK_BASS, FRETLESS, SLAP_BASS, SYNTH_BASS = 32, 33, 34, 35, 36, 38
VIOLIN, VIOLA, CELLO, CONTRABASS, TREMOLO_STRINGS, PIZZICATO, HARP, TIMPANI = 40, 41, 42, 43, 44, 45, 46, 47
STRINGS, SLOW_STRINGS, SYNTH_STRINGS, CHOIR = 48, 49, 50, 52
TRUMPET, TROMBONE, TUBA, MUTED_TRUMPET, HORN, BRASS = 56, 57, 58, 59, 60, 61
SOPRANO_SAX, ALTO_SAX, TENOR_SAX, OBOE, ENGLISH_HORN, BASSOON, CLARINET = 64, 65, 66, 68, 69, 70, 71
PICCOLO, FLUTE, RECORDER, PAN_FLUTE, WHISTLE, OCARINA = 72, 73, 74, 75, 78, 79
SQUARE_LEAD, SAW_LEAD, WARM_PAD, HALO_PAD, SWEEP_PAD = 80, 81, 89, 94, 95


@dataclass(frozen=True)
class Profile:
    tempo: tuple[float, float]  # BPM
    modes: tuple[tuple[int, ...], ...]
    root: tuple[int, int]  # MIDI note of the tonic, the melody's register sits around it
    velocity: tuple[int, int]  # loudness
    legato: tuple[float, float]  # sounding fraction of each note's slot (articulation)
    melody: tuple[int, ...]  # GM programs
    harmony: tuple[int, ...]
    bass: tuple[int, ...]
    accompaniment: tuple[str, ...]  # patterns in composer.ACCOMPANIMENTS
    drums: tuple[str, ...]  # patterns in composer.DRUMS ("none" = no kit)
    progressions: tuple[tuple[int, ...], ...]  # scale degrees (0 = tonic) of the bars' chords
    notes_per_beat: tuple[int, ...]  # melodic density
    dissonance: float  # chance of an added clashing tone (minor second, tritone) per chord
    contour: float  # melodic drift per note in scale steps (<0 descends)
    leap: int  # widest melodic interval in scale steps
    timing_jitter_s: float  # human timing spread
    dynamics_swing: float  # velocity change across phrases (sudden changes for tension)
    swing_tempo: float  # tempo wobble (rubato, irregularity)


PROFILES: dict[str, Profile] = {
    "joy": Profile(
        tempo=(112, 150), modes=(MAJOR, MAJOR, LYDIAN, MIXOLYDIAN), root=(62, 74), velocity=(82, 108),
        legato=(0.45, 0.75), melody=(BRIGHT_PIANO, MARIMBA, FLUTE, TRUMPET, ALTO_SAX, STEEL, GLOCKENSPIEL, VIBES, PICCOLO),
        harmony=(PIANO, STEEL, CLEAN_GUITAR, BRASS, STRINGS, ORGAN, ACCORDION), bass=(FINGER_BASS, PICK_BASS, SLAP_BASS, ACOUSTIC_BASS),
        accompaniment=("strum", "offbeat", "arpeggio_up", "block_eighths"), drums=("pop", "four_on_floor", "shuffle"),
        progressions=((0, 4, 5, 3), (0, 3, 4, 0), (0, 5, 3, 4), (0, 3, 0, 4), (3, 4, 0, 0)),
        notes_per_beat=(2, 2, 1, 4), dissonance=0.0, contour=0.15, leap=4, timing_jitter_s=0.008,
        dynamics_swing=0.08, swing_tempo=0.01,
    ),
    "peace": Profile(
        tempo=(56, 84), modes=(MAJOR, MAJOR, LYDIAN, MIXOLYDIAN), root=(57, 69), velocity=(42, 66),
        legato=(0.9, 1.15), melody=(FLUTE, NYLON, EPIANO, CELESTA, HARP, PAN_FLUTE, CLARINET, VIBES, PIANO),
        harmony=(SLOW_STRINGS, WARM_PAD, EPIANO, NYLON, HALO_PAD, PIANO, CHOIR), bass=(ACOUSTIC_BASS, FRETLESS, CELLO),
        accompaniment=("arpeggio_up", "pad", "broken", "arpeggio_wave"), drums=("none", "none", "none", "brush"),
        progressions=((0, 3, 0, 4), (0, 5, 3, 4), (0, 3, 5, 4), (0, 1, 3, 0), (0, 4, 3, 0)),
        notes_per_beat=(1, 1, 2), dissonance=0.0, contour=0.0, leap=3, timing_jitter_s=0.015,
        dynamics_swing=0.1, swing_tempo=0.03,
    ),
    "sadness": Profile(
        tempo=(50, 78), modes=(MINOR, MINOR, HARMONIC_MINOR, DORIAN), root=(48, 62), velocity=(38, 64),
        legato=(0.95, 1.2), melody=(CELLO, VIOLIN, OBOE, ENGLISH_HORN, PIANO, NYLON, CLARINET, FRETLESS),
        harmony=(SLOW_STRINGS, PIANO, STRINGS, CHOIR, ORGAN, EPIANO, WARM_PAD), bass=(CONTRABASS, ACOUSTIC_BASS, CELLO, FRETLESS),
        accompaniment=("pad", "broken", "arpeggio_down", "block_half"), drums=("none", "none", "none", "brush"),
        progressions=((0, 5, 3, 4), (0, 3, 6, 4), (0, 6, 5, 4), (0, 3, 0, 4), (5, 3, 0, 4)),
        notes_per_beat=(1, 1, 2), dissonance=0.03, contour=-0.25, leap=2, timing_jitter_s=0.02,
        dynamics_swing=0.12, swing_tempo=0.05,
    ),
    "anger": Profile(
        tempo=(132, 176), modes=(PHRYGIAN, MINOR, HARMONIC_MINOR, LOCRIAN), root=(45, 60), velocity=(100, 127),
        legato=(0.35, 0.6), melody=(DISTORTION, OVERDRIVE, SAW_LEAD, BRASS, TRUMPET, SQUARE_LEAD, TROMBONE),
        harmony=(DISTORTION, OVERDRIVE, BRASS, SYNTH_STRINGS, SAW_LEAD, ORGAN), bass=(PICK_BASS, SYNTH_BASS, SLAP_BASS, DISTORTION),
        accompaniment=("power_chug", "block_eighths", "stab"), drums=("rock", "double_kick", "rock"),
        progressions=((0, 0, 1, 0), (0, 5, 6, 0), (0, 1, 0, 6), (0, 0, 5, 4), (0, 3, 1, 0)),
        notes_per_beat=(2, 4, 4), dissonance=0.45, contour=0.0, leap=5, timing_jitter_s=0.006,
        dynamics_swing=0.05, swing_tempo=0.01,
    ),
    "tension": Profile(
        tempo=(84, 144), modes=(LOCRIAN, HARMONIC_MINOR, PHRYGIAN, MINOR), root=(50, 70), velocity=(44, 100),
        legato=(0.3, 1.0), melody=(VIOLIN, PIZZICATO, CELESTA, FLUTE, PIANO, HARPSICHORD, CLARINET, OBOE),
        harmony=(TREMOLO_STRINGS, STRINGS, PIANO, SWEEP_PAD, CHOIR, SYNTH_STRINGS), bass=(CONTRABASS, TIMPANI, SYNTH_BASS, CELLO),
        accompaniment=("ostinato", "tremolo", "pulse", "cluster"), drums=("none", "heartbeat", "toms", "none"),
        progressions=((0, 1, 0, 1), (0, 6, 0, 1), (0, 0, 4, 1), (0, 3, 1, 6), (0, 1, 6, 0)),
        notes_per_beat=(1, 2, 3, 4), dissonance=0.6, contour=0.1, leap=6, timing_jitter_s=0.03,
        dynamics_swing=0.35, swing_tempo=0.1,
    ),
    "neutral": Profile(
        tempo=(88, 112), modes=(MAJOR, MIXOLYDIAN, DORIAN, MAJOR), root=(55, 67), velocity=(62, 84),
        legato=(0.6, 0.9), melody=(PIANO, EPIANO, CLEAN_GUITAR, VIBES, JAZZ_GUITAR, MUTED_GUITAR, ORGAN),
        harmony=(PIANO, EPIANO, CLEAN_GUITAR, ORGAN, JAZZ_GUITAR), bass=(FINGER_BASS, ACOUSTIC_BASS, FRETLESS),
        accompaniment=("block_quarters", "offbeat", "broken"), drums=("pop", "brush", "none", "shuffle"),
        progressions=((0, 3, 0, 3), (0, 1, 0, 1), (0, 4, 0, 4), (0, 0, 3, 3), (0, 5, 1, 4)),
        notes_per_beat=(1, 2), dissonance=0.02, contour=0.0, leap=2, timing_jitter_s=0.012,
        dynamics_swing=0.03, swing_tempo=0.01,
    ),
}
