"""Classifier throughput and latency, side by side on one model and one machine.

    python -m bench.classifier [--model DIR] [--checkpoint RUN_DIR] [--sentences N]

1. raw ONNX Runtime, batches of 64, in-process: the ceiling.
2. the EmotionClassifier service over gRPC on loopback, one sentence per call,
   at concurrency 1, 8 and 32 (dynamic batching merges concurrent calls).
3. the original project's way of serving: a transformers text-classification
   pipeline in torch, fp32, one sentence at a time, on the same encoder: the fine-tuned
   weights when `make model` kept its run in .moodtune/build/full, else the same
   architecture (multilingual-e5-small, the shipped vocabulary) with random weights:
   weights do not change its speed, so a fresh clone reproduces the ratio (as bench/ingest does).

Prints sentences/s and p50/p99 latency for each, and the ratios against the goals
(service at 32 >= 80% of raw, >= 5x the torch pipeline); writes bench/results/classifier.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import grpc

from bench.common import Measurement, measurement, print_table, save
from moodtune.v1 import classifier_pb2, classifier_pb2_grpc
from services.classifier.model import EmotionModel
from services.common.settings import DEFAULT_MODEL_DIR
from tests.support.processes import classifier_service
from training.corpora import load_project
from training.splits import split

ROOT = Path(__file__).resolve().parents[1]


def sentences(n: int) -> list[str]:
    """Held-out conversational sentences (dev + test), repeated to n."""
    parts = split(load_project("conversation"))
    pool = [e.text for e in parts["dev"] + parts["test"]]
    return [pool[i % len(pool)] for i in range(n)]


def raw_batched(model_dir: Path, texts: list[str], batch: int = 64) -> Measurement:
    model = EmotionModel(model_dir)
    model.predict(texts[:batch])  # warm-up
    latencies, started = [], time.perf_counter()
    for i in range(0, len(texts), batch):
        t = time.perf_counter()
        model.predict(texts[i : i + batch])
        latencies.append(time.perf_counter() - t)
    return measurement(f"raw onnxruntime, batches of {batch}", len(texts), time.perf_counter() - started, latencies)


async def _service_load(address: str, texts: list[str], concurrency: int) -> Measurement:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = classifier_pb2_grpc.EmotionClassifierStub(channel)
        await stub.Classify(classifier_pb2.ClassifyRequest(texts=texts[:8]))  # warm-up
        queue = list(reversed(texts))
        latencies: list[float] = []

        async def worker():
            while queue:
                text = queue.pop()
                t = time.perf_counter()
                await stub.Classify(classifier_pb2.ClassifyRequest(texts=[text]), timeout=60)
                latencies.append(time.perf_counter() - t)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return measurement(f"service over gRPC, concurrency {concurrency}", len(texts),
                           time.perf_counter() - started, latencies)


def e5_small_architecture():
    """multilingual-e5-small's encoder (what training/backbone converts) over the shipped vocabulary."""
    import json

    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    vocab = len(json.loads((DEFAULT_MODEL_DIR / "tokenizer.json").read_text("utf-8"))["model"]["vocab"])
    config = BertConfig(vocab_size=vocab, hidden_size=384, num_hidden_layers=12, num_attention_heads=12,
                        intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2, num_labels=6)
    return BertForSequenceClassification(config).eval()


def torch_pipeline(checkpoint: Path, texts: list[str]) -> Measurement:
    """One sentence at a time through transformers' pipeline, fp32, as the original project served."""
    import torch
    from transformers import BertForSequenceClassification, PreTrainedTokenizerFast, pipeline

    torch.set_num_threads(os.cpu_count() or 1)
    if (checkpoint / "backbone").exists():
        model = BertForSequenceClassification.from_pretrained(str(checkpoint / "backbone"), num_labels=6).eval()
        tokenizer_file, weights = checkpoint / "tokenizer.json", "fine-tuned"
    else:
        model, tokenizer_file, weights = e5_small_architecture(), DEFAULT_MODEL_DIR / "tokenizer.json", "random"
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(tokenizer_file),
                                        pad_token="<pad>", unk_token="<unk>", cls_token="<s>", sep_token="</s>")
    classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device=-1, top_k=None)
    classify("query: 안녕")  # warm-up
    latencies, started = [], time.perf_counter()
    for text in texts:
        t = time.perf_counter()
        classify("query: " + text)
        latencies.append(time.perf_counter() - t)
    return measurement(f"torch pipeline fp32, one at a time ({weights} w.)", len(texts),
                       time.perf_counter() - started, latencies)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--checkpoint", type=Path, default=ROOT / ".moodtune" / "build" / "full")
    parser.add_argument("--sentences", type=int, default=1024)
    parser.add_argument("--torch-sentences", type=int, default=200)
    parser.add_argument("--service-threads", type=int, default=0, help="the service's ONNX Runtime threads")
    args = parser.parse_args(argv)

    texts = sentences(args.sentences)
    rows = [raw_batched(args.model, texts)]
    with tempfile.TemporaryDirectory() as tmp, classifier_service(args.model, Path(tmp),
                                                                   MOODTUNE_CLASSIFIER_INTRA_OP_THREADS=args.service_threads) as service:
        for concurrency in (1, 8, 32):
            rows.append(asyncio.run(_service_load(service.address, texts, concurrency)))
    rows.append(torch_pipeline(args.checkpoint, texts[: args.torch_sentences]))
    print_table(rows)

    raw, at32 = rows[0], rows[3]
    ratios = {"service@32 / raw batched": at32.rate / raw.rate}
    if len(rows) > 4:
        ratios["service@32 / torch pipeline"] = at32.rate / rows[4].rate
        ratios["raw batched / torch pipeline"] = raw.rate / rows[4].rate
    for name, value in ratios.items():
        print(f"{name:44} {value:8.2f}x")
    path = save("classifier", {"model": str(args.model.relative_to(ROOT) if args.model.is_relative_to(ROOT) else args.model),
                               "rows": [r.__dict__ | {"rate": r.rate} for r in rows], "ratios": ratios})
    print(f"saved {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
