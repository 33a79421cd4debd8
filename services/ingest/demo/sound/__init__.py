"""The demo catalog's sound: generated instrumental clips, one per song, from its id and intended
emotion (composer.py, profiles.py), rendered through a General MIDI soundfont (render.py).
The demo's music is generated, like its lyrics are fictional."""
