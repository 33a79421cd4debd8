"""The classifier: any Hugging Face encoder, mean-pooled, with a linear head over the six emotions.

Mean pooling over the real tokens is how e5 was trained to embed sentences, so
even a frozen backbone gives a useful feature; it works for any encoder
(BERT, RoBERTa, ELECTRA) given as a local checkpoint directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import torch
from torch import nn
from transformers import AutoConfig, AutoModel

from services.common.labels import EMOTIONS

HEAD_FILE = "head.pt"
META_FILE = "classifier.json"


class EmotionClassifier(nn.Module):
    def __init__(self, backbone: nn.Module, dropout: float = 0.1):
        super().__init__()
        self.backbone = backbone
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(backbone.config.hidden_size, len(EMOTIONS))
        # The export step reads the label order from here.
        self.config = SimpleNamespace(id2label=dict(enumerate(EMOTIONS)))

    @classmethod
    def from_backbone(cls, path: Path, dropout: float = 0.1) -> "EmotionClassifier":
        backbone = AutoModel.from_pretrained(str(path), add_pooling_layer=False) if _is_bert_like(path) \
            else AutoModel.from_pretrained(str(path))
        return cls(backbone, dropout)

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> SimpleNamespace:
        logits = self.head(self.dropout(self.pooled(input_ids, attention_mask)))
        return SimpleNamespace(logits=logits)

    def save(self, directory: Path, **meta) -> None:
        directory = Path(directory)
        self.backbone.save_pretrained(str(directory / "backbone"))
        torch.save(self.head.state_dict(), directory / HEAD_FILE)
        (directory / META_FILE).write_text(json.dumps({"labels": list(EMOTIONS), **meta}, indent=2))

    @classmethod
    def load(cls, directory: Path) -> "EmotionClassifier":
        directory = Path(directory)
        model = cls.from_backbone(directory / "backbone")
        model.head.load_state_dict(torch.load(directory / HEAD_FILE, map_location="cpu"))
        return model.eval()


def _is_bert_like(path: Path) -> bool:
    """BERT and RoBERTa models take add_pooling_layer; we pool ourselves, so skip theirs."""
    return AutoConfig.from_pretrained(str(path)).model_type in {"bert", "roberta", "xlm-roberta"}
