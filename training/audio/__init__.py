"""The audio model: a compact CNN over (48, T) dB mels -> 6 emotions (distilled from the lyrics) and a
512-d sound embedding (contrastive). data.py -> model.py -> train.py -> export.py -> evaluate.py;
build.py runs the whole story (`make audio-model`)."""
