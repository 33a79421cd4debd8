"""Runs a model artifact with ONNX Runtime and HF tokenizers (never torch or transformers)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from services.classifier.artifact import MODEL_FILE, TOKENIZER_FILE, ArtifactError, ModelCard

log = logging.getLogger(__name__)


def choose_providers(preference: str = "auto") -> list[str]:
    """CUDA when asked for or available (onnxruntime-gpu with a GPU), always CPU as the fallback."""
    available = ort.get_available_providers()
    if preference == "cuda" and "CUDAExecutionProvider" not in available:
        raise RuntimeError(
            "MOODTUNE_CLASSIFIER_PROVIDER=cuda, but this onnxruntime has no CUDA provider "
            f"(available: {available}); install onnxruntime-gpu"
        )
    if preference in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class EmotionModel:
    """Text in, six probabilities out. Thread-safe: ONNX Runtime sessions may be run concurrently."""

    def __init__(
        self,
        directory: Path,
        *,
        provider: str = "auto",
        intra_op_threads: int = 0,
        inter_op_threads: int = 1,
        micro_batch: int = 4,
    ):
        directory = Path(directory)
        self.card = ModelCard.read(directory)
        self.micro_batch = micro_batch
        for needed in (MODEL_FILE, TOKENIZER_FILE):
            if not (directory / needed).is_file():
                raise ArtifactError(f"{directory / needed} is missing")
        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.card.max_length)
        # Tokens the tokenizer adds around every text (e.g. <s> and </s>) plus the prefix.
        self.overhead_tokens = len(self.tokenizer.encode(self.card.input_prefix).ids)

        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = inter_op_threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(directory / MODEL_FILE), sess_options=options, providers=choose_providers(provider)
        )
        self.provider = self.session.get_providers()[0]
        self.pad_id = self._pad_id()
        log.info(
            "model loaded",
            extra={
                "model": self.card.name,
                "version": self.card.version,
                "provider": self.provider,
                "max_length": self.card.max_length,
            },
        )

    def _pad_id(self) -> int:
        for token in ("<pad>", "[PAD]"):
            token_id = self.tokenizer.token_to_id(token)
            if token_id is not None:
                return token_id
        return 0

    def count_tokens(self, text: str) -> int:
        """Tokens of a text on its own, without the prefix and special tokens."""
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def _pad(self, encodings) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and attention mask, padded to the longest of these encodings."""
        longest = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), longest), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), longest), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return ids, mask

    def encode(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and attention mask, padded to the longest text of this batch."""
        return self._pad(self.tokenizer.encode_batch([self.card.input_prefix + t for t in texts]))

    def predict(self, texts: list[str]) -> np.ndarray:
        """[len(texts), 6] probabilities in canonical order.

        The texts are sorted by length and run in micro-batches of similar length: padding a short
        sentence to a long one's length is wasted work, and on a small CPU a few rows per call is as
        fast as it gets (on this 2-core machine: 64 sentences in arrival order 140/s; sorted,
        4 rows per call, 418/s; see README, "Benchmarks").
        """
        probabilities = np.zeros((len(texts), len(self.card.labels)), dtype=np.float32)
        if not texts:
            return probabilities
        encodings = self.tokenizer.encode_batch([self.card.input_prefix + t for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.micro_batch):
            rows = order[start : start + self.micro_batch]
            ids, mask = self._pad([encodings[i] for i in rows])
            (probabilities[rows],) = self.session.run(["probabilities"], {"input_ids": ids, "attention_mask": mask})
        return probabilities
