"""Recommender answers as JSON, the one shape the gateway, the CLI and scripts share."""

from __future__ import annotations

from moodtune.v1 import recommender_pb2
from services.common.labels import EMOTIONS, from_proto_enum

MODE_NAMES = {recommender_pb2.MODE_MATCH: "match", recommender_pb2.MODE_REGULATE: "regulate"}


def emotions_json(scores) -> dict:
    return {
        "label": EMOTIONS[from_proto_enum(scores.label)],
        "confidence": round(scores.confidence, 6),
        "probabilities": {e: round(p, 6) for e, p in zip(EMOTIONS, scores.probabilities)},
    }


def song_json(song: recommender_pb2.Song) -> dict:
    return {
        "song_id": song.song_id, "title": song.title, "artists": list(song.artists), "album": song.album,
        "year": song.year or None, "genres": [{"code": g.code, "name": g.name} for g in song.genres],
        "emotions": emotions_json(song.emotions), "highlight": song.highlight, "source_url": song.source_url,
        # sound (issue 14)
        "signals": list(song.signals), "instrumental": song.instrumental, "preview": song.preview,
        "audio_model_version": song.audio_model_version,
    }


def _pick_json(r) -> dict:
    return {"song": song_json(r.song), "similarity": round(r.similarity, 4), "reason": r.reason,
            "matched": EMOTIONS[from_proto_enum(r.matched)],
            "aim": emotions_json(r.aim) if r.HasField("aim") else None}


def similar_json(response: recommender_pb2.SimilarSongsResponse) -> dict:
    return {"song": song_json(response.song), "songs": [_pick_json(r) for r in response.songs],
            "audio_model_version": response.audio_model_version, "catalog_version": response.catalog_version,
            "space": response.space}


def response_json(response: recommender_pb2.RecommendResponse) -> dict:
    return {
        "emotion": emotions_json(response.emotion),
        "songs": [_pick_json(r) for r in response.songs],
        "mode": MODE_NAMES.get(response.mode, "match"),
        "model_version": response.model_version,
        "catalog_version": response.catalog_version,
        "cached": response.cached,
    }
