"""A tiny randomly initialised model, exported through the real export path.

Tests use it where the figures don't matter, so they run in seconds and don't
depend on the shipped model.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

from services.classifier.artifact import ModelCard
from services.common.labels import EMOTIONS

SENTENCES = [
    "오늘 발표 망쳐서 너무 속상해",
    "내일 면접이라 너무 떨려",
    "아 진짜 짜증나 왜 나한테만 그래",
    "주말에 공원 산책하니까 마음이 편안하다",
    "합격했어!!! 대박 너무 기뻐 ㅋㅋㅋ",
    "점심 뭐 먹을지 고민 중",
    "비가 와서 그런지 괜히 우울하네 ㅠㅠ",
    "시험 끝나서 홀가분해",
    "Hello world 123 노래 추천해줘",
]


def build_tokenizer(path: Path) -> Path:
    """A small SentencePiece-style unigram tokenizer with <s> text </s>, like XLM-R's."""
    tokenizer = Tokenizer(models.Unigram())
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=300, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], unk_token="<unk>"
    )
    tokenizer.train_from_iterator(SENTENCES * 4, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tokenizer.save(str(path))
    return path


def build_tiny_model(vocab_size: int, seed: int = 0):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=130,
        num_labels=len(EMOTIONS),
        id2label=dict(enumerate(EMOTIONS)),
        label2id={name: i for i, name in enumerate(EMOTIONS)},
        pad_token_id=1,
    )
    return BertForSequenceClassification(config).eval()


def build_tiny_artifact(out_dir: Path, *, quantize: bool = False, max_length: int = 64) -> Path:
    from training.export import write_artifact

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer_path = build_tokenizer(out_dir.parent / f"{out_dir.name}-tokenizer.json")
    vocab_size = Tokenizer.from_file(str(tokenizer_path)).get_vocab_size()
    card = ModelCard(
        name="tiny-random",
        version="tiny-0",
        labels=EMOTIONS,
        max_length=max_length,
        input_prefix="query: ",
        backbone="random BertModel (2 layers, hidden 32)",
        trained_on=(),
        evaluation={"conversation-test": {"examples": 9, "macro_f1": 0.1, "accuracy": 0.2, "ece": 0.3,
                                          "f1_per_class": {e: 0.1 for e in EMOTIONS}}},
    )
    return write_artifact(build_tiny_model(vocab_size), tokenizer_path, out_dir, card, quantize=quantize)


def build_tiny_backbone(out_dir: Path, seed: int = 0) -> Path:
    """A tiny random BertModel directory with its tokenizer.json, in the layout training takes."""
    import torch
    from transformers import BertConfig, BertModel

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer_path = build_tokenizer(out_dir / "tokenizer.json")
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=Tokenizer.from_file(str(tokenizer_path)).get_vocab_size(),
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=130, pad_token_id=1,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(str(out_dir))
    return out_dir
