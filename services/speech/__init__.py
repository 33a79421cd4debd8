"""Korean speech to text: decode any common recording (PyAV), recognise it (Vosk), clean the text."""
