"""A tiny DAPT stage: the MLM loss on the stage's own text goes down, and the output is a backbone."""

from __future__ import annotations

import json

from tokenizers import Tokenizer

from tests.support.tiny_model import SENTENCES, build_tiny_backbone
from training.dapt import Stage, WholeWordMasker, run
from training.model import EmotionClassifier


def test_whole_word_masking_masks_every_piece_of_a_chosen_word(tmp_path):
    tokenizer = Tokenizer.from_file(str(build_tiny_backbone(tmp_path / "bb") / "tokenizer.json"))
    masker = WholeWordMasker(tokenizer, rate=0.5, max_length=64, seed=1)
    batch = masker(SENTENCES)
    for row, text in enumerate(SENTENCES):
        encoding = tokenizer.encode(text)
        labelled = (batch["labels"][row, : len(encoding.ids)] != -100).tolist()
        assert any(labelled)
        # pieces of one word (a "▁" piece and its continuations) are labelled together
        word_flags = []
        for token, flag in zip(encoding.tokens, labelled):
            if token.startswith("▁") or not word_flags:
                word_flags.append([])
            word_flags[-1].append(flag)
        assert all(len(set(flags)) == 1 for flags in word_flags[1:-1])


def test_a_tiny_stage_lowers_the_loss_and_yields_a_backbone(tmp_path):
    backbone = build_tiny_backbone(tmp_path / "bb")
    # The tiny backbone has no MLM head; transformers adds one (untrained) for DAPT.
    history = run(backbone, tmp_path / "dapt", [Stage("tiny", SENTENCES * 3, steps=60)], lr=5e-3, batch_size=8,
                  checkpoint_every=20)
    print("DAPT tiny stage:", history)
    assert history[0]["mlm_loss_after"] < history[0]["mlm_loss_before"]
    info = json.loads((tmp_path / "dapt" / "backbone.json").read_text())
    assert info["dapt"][0]["stage"] == "tiny"
    model = EmotionClassifier.from_backbone(tmp_path / "dapt")
    assert model.backbone.config.hidden_size == 32
    assert not (tmp_path / "dapt" / "checkpoint.pt").exists()
