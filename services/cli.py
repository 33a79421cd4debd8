"""The `moodtune` command line.

    moodtune classify [TEXT ...] [--lyrics] [--server HOST:PORT] [--model DIR]
    moodtune classify --mel F.npy ... | --audio F ... [--embedding] [--server HOST:PORT] [--audio-model DIR]
    moodtune ingest --songs song_meta.json [--genres genre_gn_all.json] [--base-url URL] | --demo
    moodtune ingest --playlists train.json [val.json ...] [--like-weight]   (after the songs are in)
    moodtune playlists eval train.json [--dim N]
    moodtune recommend [TEXT | --speech FILE] [--mode regulate] [--target joy] [--limit N] [--json]
                       [--server HOST:PORT]
    moodtune transcribe FILE [--server HOST:PORT]
    moodtune serve classifier|recommender|speech|gateway
    moodtune catalog info [--at PATH|URL] | copy --from PATH|URL --to PATH|URL
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import grpc

from services.common.logs import configure_logging
from services.common.settings import (
    ClassifierSettings, GatewaySettings, IngestSettings, RecommenderSettings, SpeechSettings,
)


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(lines)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _audio_input(path: str, is_mel: bool):
    """A file as an AudioInput; ValueError saying what is wrong with it."""
    import numpy as np

    from services.classifier.audio_core import AudioInput

    try:
        if is_mel:
            return AudioInput(mel=np.load(path, allow_pickle=False))
        return AudioInput(audio=Path(path).read_bytes(), format=Path(path).suffix)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {'a mel from ' if is_mel else ''}{path}: {exc}") from exc


def cmd_classify_audio(args: argparse.Namespace, classifier) -> int:
    """One JSON line per file; a bad file is reported on stderr and makes the exit status 2."""
    from services.classifier.core import LimitError

    paths: Iterable[str] = args.texts or (line.strip() for line in sys.stdin if line.strip())
    status = 0
    for path in paths:
        try:
            (result,) = classifier.classify_audio([_audio_input(path, args.mel)])
        except (LimitError, ValueError) as exc:  # one file per call: its index says nothing
            print(f"moodtune: {path}: {str(exc).removeprefix('items[0]: ')}", file=sys.stderr)
            status = 2
            continue
        except grpc.RpcError as exc:
            print(f"moodtune: {path}: classifier at {args.server}: {exc.code().name}: {exc.details()}", file=sys.stderr)
            status = 2 if exc.code() == grpc.StatusCode.INVALID_ARGUMENT else 1
            continue
        line = {"file": path, "label": result.label, "probabilities": result.as_dict(), "frames": result.frames}
        if args.embedding:
            line["embedding"] = [round(v, 6) for v in result.embedding]
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return status


def cmd_classify(args: argparse.Namespace) -> int:
    from services.classifier.client import connect
    from services.classifier.core import LimitError, TextKind

    overrides = {"model_dir": args.model} if args.model else {}
    if args.audio_model:
        overrides["audio_model_dir"] = args.audio_model
    settings = ClassifierSettings(**overrides)
    kind = TextKind.LYRICS if args.lyrics else TextKind.UTTERANCE
    if args.texts:
        inputs: Iterable[str] = args.texts
    else:  # one text per line of standard input; blank lines carry nothing to classify
        inputs = (line.rstrip("\n") for line in sys.stdin if line.strip())
    try:
        classifier = connect(settings, address=args.server)
    except Exception as exc:  # a missing or broken artifact: say what, not a traceback
        print(f"moodtune: cannot load the classifier: {exc}", file=sys.stderr)
        return 1
    if args.mel or args.audio:
        try:
            return cmd_classify_audio(args, classifier)
        except Exception as exc:  # no audio model, a broken artifact: say what
            print(f"moodtune: {exc}", file=sys.stderr)
            return 1
        finally:
            classifier.close()
    try:
        for chunk in _chunks(inputs, settings.classifier_max_texts):
            for text, result in zip(chunk, classifier.classify(chunk, kind)):
                line = {"text": text, "label": result.label, "probabilities": result.as_dict()}
                if kind is TextKind.LYRICS:
                    line["highlight"] = result.highlight
                print(json.dumps(line, ensure_ascii=False), flush=True)
    except LimitError as exc:
        print(f"moodtune: {exc}", file=sys.stderr)
        return 2
    except grpc.RpcError as exc:
        print(f"moodtune: classifier at {args.server}: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 2 if exc.code() == grpc.StatusCode.INVALID_ARGUMENT else 1
    finally:
        classifier.close()
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from services.common.catalog import CatalogUnavailable
    from services.ingest.demo import GENRES, SONG_META
    from services.ingest.demo.mirror import serve_mirror
    from services.ingest.demo.sound.render import RenderError, demo_sound_source
    from services.ingest.run import run_ingest
    from services.ingest.songlist import SongListError, load_song_list, parse_shard, shard_of
    from services.ingest.sound import open_source

    try:
        shard = parse_shard(args.shard) if args.shard else None
    except ValueError as exc:
        print(f"moodtune: {exc}", file=sys.stderr)
        return 2
    overrides = {}
    if args.base_url:
        overrides["ingest_base_url"] = args.base_url
    if args.job_dir:
        overrides["ingest_job_dir"] = args.job_dir
    elif args.demo:
        overrides["ingest_job_dir"] = ".moodtune/ingest-job-demo"
    if shard and not args.job_dir:  # each shard resumes on its own
        overrides["ingest_job_dir"] = f"{overrides.get('ingest_job_dir', IngestSettings().ingest_job_dir)}-shard-{shard[0]}-of-{shard[1]}"
    settings = IngestSettings(**overrides)
    if args.playlists:
        from services.cli_playlists import ingest_playlists

        # Its state lives in <job dir>/playlists, beside (never over) a crawl's ledger.
        return ingest_playlists(settings, args.playlists, fresh=args.fresh, like_weight=args.like_weight)
    try:
        sound = open_source(args.mels, args.audio)
        if not args.demo:
            songs = shard_of(load_song_list(args.songs, args.genres), shard)
            return _ingest_exit(run_ingest(settings, songs, fresh=args.fresh, sound=sound))
        if sound is None:  # the demo's own generated clips, unless --mels/--audio says otherwise
            sound = demo_sound_source(settings.ingest_demo_sound, settings.ingest_demo_sound_dir)
        with serve_mirror() as url:
            # The mirror is ours, on loopback: no need to be polite to it.
            demo = settings.model_copy(update={"ingest_base_url": url, "ingest_download_delay_s": 0.0,
                                               "ingest_autothrottle": False, "ingest_concurrency_per_domain": 8})
            print(f"moodtune: crawling the demo mirror at {url}", file=sys.stderr)
            songs = shard_of(load_song_list(SONG_META, GENRES), shard)
            status = _ingest_exit(run_ingest(demo, songs, fresh=args.fresh, sound=sound))
        # The demo's fictional playlists: taste vectors and curated moods (services/ingest/demo/playlists.json).
        from services.cli_playlists import ingest_playlists
        from services.ingest.demo import PLAYLISTS

        return status or ingest_playlists(settings, [PLAYLISTS], fresh=args.fresh)
    except (SongListError, CatalogUnavailable, FileNotFoundError, RenderError, ValueError) as exc:
        print(f"moodtune: {exc}", file=sys.stderr)
        return 1


def _ingest_exit(result) -> int:
    return 0 if result.ok else 1


def _print_recommendation(text: str, answer: dict) -> None:
    from services.common.labels import KOREAN

    emotion = answer["emotion"]["probabilities"]
    ranked = sorted(emotion.items(), key=lambda kv: -kv[1])
    print(f"「{text}」 " + " · ".join(f"{KOREAN[e]} {p:.0%}" for e, p in ranked[:3]))
    for rank, pick in enumerate(answer["songs"], start=1):
        song = pick["song"]
        genre = next((g["name"] for g in song["genres"] if g["name"] and not g["name"].startswith("'")
                      and g["name"] != "세부장르전체"), "")
        print(f"{rank:2d}. {song['title']} — {', '.join(song['artists'])} ({song['year'] or '?'}, {genre}) "
              f"{pick['similarity']:.0%} · {pick['reason']}")
        print(f"    “{song['highlight'].splitlines()[0] if song['highlight'] else ''}”")


def cmd_recommend(args: argparse.Namespace) -> int:
    from moodtune.v1 import emotion_pb2, recommender_pb2, recommender_pb2_grpc
    from services.common.catalog import CatalogUnavailable
    from services.common.grpc_client import channel
    from services.recommender.client import response_json
    from services.recommender.engine import InvalidRequest
    from services.recommender.service import request_from_proto, result_to_proto

    if args.speech is not None:
        return _recommend_speech(args)
    inputs = [args.text] if args.text is not None else [line.strip() for line in sys.stdin if line.strip()]
    requests = [recommender_pb2.RecommendRequest(
        text=text, limit=args.limit, user_id=args.user or "",
        mode=recommender_pb2.MODE_REGULATE if args.mode == "regulate" else recommender_pb2.MODE_MATCH,
        target=emotion_pb2.EMOTION_JOY if args.target == "joy" else emotion_pb2.EMOTION_PEACE,
    ) for text in inputs]
    if args.server:
        settings = RecommenderSettings()
        stub = recommender_pb2_grpc.RecommenderStub(
            channel(args.server, settings.grpc_max_message_bytes, tls_ca=settings.grpc_tls_ca))
        answer = lambda request: stub.Recommend(request, timeout=10)
    else:
        from services.recommender.server import build_engine

        try:
            engine = build_engine(RecommenderSettings())
        except CatalogUnavailable as exc:
            print(f"moodtune: {exc}\n(with `make run` running, ask it: --server 127.0.0.1:50052)", file=sys.stderr)
            return 1
        answer = lambda request: result_to_proto(engine.recommend(request_from_proto(request)))
    status = 0
    for request in requests:
        try:
            result = response_json(answer(request))
        except InvalidRequest as exc:
            print(f"moodtune: {exc}", file=sys.stderr)
            status = 2
            continue
        except grpc.RpcError as exc:
            print(f"moodtune: recommender at {args.server}: {exc.code().name}: {exc.details()}", file=sys.stderr)
            status = 2 if exc.code() == grpc.StatusCode.INVALID_ARGUMENT else 1
            continue
        except Exception as exc:  # classifier or catalog down, in-process
            print(f"moodtune: {exc}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps({"text": request.text, **result}, ensure_ascii=False), flush=True)
        else:
            _print_recommendation(request.text, result)
    return status


def cmd_similar(args: argparse.Namespace) -> int:
    """Songs that sound like SONG_ID (Recommender.SimilarSongs), in-process or through --server."""
    from moodtune.v1 import recommender_pb2, recommender_pb2_grpc
    from services.common.catalog import CatalogUnavailable
    from services.common.grpc_client import channel
    from services.recommender.client import similar_json
    from services.recommender.engine import InvalidRequest, SongHasNoSound, SongNotFound
    from services.recommender.service import similar_args_from_proto, similar_to_proto

    request = recommender_pb2.SimilarSongsRequest(song_id=args.song_id, limit=args.limit,
                                                  same_emotion=args.same_emotion)
    try:
        if args.server:
            settings = RecommenderSettings()
            stub = recommender_pb2_grpc.RecommenderStub(
                channel(args.server, settings.grpc_max_message_bytes, tls_ca=settings.grpc_tls_ca))
            answer = similar_json(stub.SimilarSongs(request, timeout=10))
        else:
            from services.recommender.server import build_engine

            engine = build_engine(RecommenderSettings())
            answer = similar_json(similar_to_proto(engine.similar(*similar_args_from_proto(request))))
    except (InvalidRequest, SongNotFound, SongHasNoSound) as exc:
        print(f"moodtune: {exc}", file=sys.stderr)
        return 2
    except grpc.RpcError as exc:
        print(f"moodtune: recommender at {args.server}: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1 if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) else 2
    except CatalogUnavailable as exc:
        print(f"moodtune: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(answer, ensure_ascii=False))
        return 0
    song = answer["song"]
    heading = "와 같은 플레이리스트에 담기는 노래" if answer.get("space") == "taste" else "처럼 들리는 노래"
    print(f"「{song['title']} — {', '.join(song['artists'])}」{heading}")
    for rank, pick in enumerate(answer["songs"], start=1):
        other = pick["song"]
        mark = " (연주곡)" if other["instrumental"] else ""
        print(f"{rank:2d}. {other['title']}{mark} — {', '.join(other['artists'])} {pick['similarity']:.0%} · {pick['reason']}")
    return 0


def _read_audio(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        print(f"moodtune: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return None


def _speech_failure(exc: Exception) -> int:
    """Refusals (too large, unsupported, no speech) exit 2; a recogniser that cannot answer exits 1."""
    from services.common.speech import SpeechRefused

    print(f"moodtune: {exc}", file=sys.stderr)
    return 2 if isinstance(exc, SpeechRefused) else 1


def _transcribe(settings, audio: bytes):
    """The transcript, or the exit status after saying why there is none."""
    from services.common.speech import SpeechRefused, SpeechUnavailable
    from services.speech.client import connect

    speech = connect(settings)
    try:
        return speech.transcribe(audio)
    except (SpeechRefused, SpeechUnavailable) as exc:
        return _speech_failure(exc)
    finally:
        speech.close()


def cmd_transcribe(args: argparse.Namespace) -> int:
    audio = _read_audio(args.file)
    if audio is None:
        return 1
    transcript = _transcribe(SpeechSettings(**({"speech_addr": args.server} if args.server else {})), audio)
    if isinstance(transcript, int):
        return transcript
    print(json.dumps(transcript.as_json(), ensure_ascii=False), flush=True)
    return 0


def _recommend_speech(args: argparse.Namespace) -> int:
    """One recording: over gRPC (RecommendSpeech, one call) with --server, else transcribed and
    recommended in this process."""
    from moodtune.v1 import emotion_pb2, recommender_pb2, recommender_pb2_grpc, speech_pb2
    from services.common.grpc_client import channel
    from services.common.speech import Transcript, audio_message_bytes, refusal_from_metadata
    from services.recommender.client import response_json

    audio = _read_audio(args.speech)
    if audio is None:
        return 1
    options = recommender_pb2.RecommendRequest(
        limit=args.limit, user_id=args.user or "",
        mode=recommender_pb2.MODE_REGULATE if args.mode == "regulate" else recommender_pb2.MODE_MATCH,
        target=emotion_pb2.EMOTION_JOY if args.target == "joy" else emotion_pb2.EMOTION_PEACE)
    settings = RecommenderSettings()
    if args.server:
        stub = recommender_pb2_grpc.RecommenderStub(
            channel(args.server, audio_message_bytes(settings), tls_ca=settings.grpc_tls_ca))
        try:
            response = stub.RecommendSpeech(recommender_pb2.RecommendSpeechRequest(
                audio=speech_pb2.TranscribeRequest(audio=audio), options=options), timeout=60)
        except grpc.RpcError as exc:
            refusal = refusal_from_metadata(exc.trailing_metadata(), exc.details() or "")
            if refusal is not None:
                return _speech_failure(refusal)
            print(f"moodtune: recommender at {args.server}: {exc.code().name}: {exc.details()}", file=sys.stderr)
            return 2 if exc.code() == grpc.StatusCode.INVALID_ARGUMENT else 1
        transcript, result = Transcript.from_proto(response.transcript), response_json(response.recommendation)
    else:
        from services.common.catalog import CatalogUnavailable
        from services.recommender.server import build_engine
        from services.recommender.service import request_from_proto, result_to_proto

        transcript = _transcribe(settings, audio)
        if isinstance(transcript, int):
            return transcript
        try:
            engine = build_engine(settings)
            options.text = transcript.text
            result = response_json(result_to_proto(engine.recommend(request_from_proto(options))))
        except CatalogUnavailable as exc:
            print(f"moodtune: {exc}\n(with `make run` running, ask it: --server 127.0.0.1:50052)", file=sys.stderr)
            return 1
        except Exception as exc:  # classifier or catalog down, a bad option
            print(f"moodtune: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps({"text": transcript.text, "transcript": transcript.as_json(), **result},
                         ensure_ascii=False), flush=True)
    else:
        _print_recommendation(transcript.text, result)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if args.service == "classifier":
        from services.classifier.server import run

        settings = ClassifierSettings()
    elif args.service == "recommender":
        from services.recommender.server import run

        settings = RecommenderSettings()
    elif args.service == "speech":
        from services.speech.server import run

        settings = SpeechSettings()
    else:
        from services.gateway.server import run

        settings = GatewaySettings()
    configure_logging(settings.log_level, settings.log_format)
    run(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moodtune", description="Songs for how you feel.")
    commands = parser.add_subparsers(dest="command", required=True)

    classify = commands.add_parser(
        "classify", help="classify Korean text into six emotions, one JSON object per line"
    )
    classify.add_argument("texts", nargs="*", metavar="TEXT", help="texts; none = each line of stdin")
    classify.add_argument(
        "--lyrics", action="store_true", help="each input is a song's lyrics, lines separated by ' / '"
    )
    classify.add_argument("--server", metavar="HOST:PORT", help="call a running classifier service")
    classify.add_argument("--model", metavar="DIR", help="model artifact directory (in-process only)")
    sound = classify.add_mutually_exclusive_group()
    sound.add_argument("--mel", action="store_true",
                       help="the inputs are .npy files of (48, T) dB mel frames (Kakao Arena's layout)")
    sound.add_argument("--audio", action="store_true", help="the inputs are audio files (wav, flac, ogg, mp3, ...)")
    classify.add_argument("--embedding", action="store_true", help="--mel/--audio: add the 512-d sound embedding")
    classify.add_argument("--audio-model", metavar="DIR", help="audio model artifact directory (in-process only)")
    classify.set_defaults(func=cmd_classify)

    ingest = commands.add_parser("ingest", help="crawl a song list, label the lyrics, store them in Qdrant")
    source = ingest.add_mutually_exclusive_group(required=True)
    source.add_argument("--songs", type=Path, help="Kakao Arena song_meta.json, or a file of Melon song ids")
    source.add_argument("--demo", action="store_true", help="the demo catalog, from its offline mirror")
    source.add_argument("--playlists", type=Path, nargs="+", metavar="FILE",
                        help="Kakao Arena playlist files (train.json ...): taste vectors and curated moods")
    ingest.add_argument("--like-weight", action="store_true",
                        help="--playlists: weigh each playlist's songs by 1 + log1p(like_cnt) in the factorisation")
    ingest.add_argument("--genres", type=Path, help="Kakao Arena genre_gn_all.json (genre code -> name)")
    ingest.add_argument("--base-url", help="the site to crawl (default MOODTUNE_INGEST_BASE_URL)")
    ingest.add_argument("--job-dir", type=Path, help="resume state; run again with the same dir to resume")
    ingest.add_argument("--fresh", action="store_true", help="forget the job dir's progress and crawl everything")
    ingest.add_argument("--mels", type=Path, metavar="DIR",
                        help="the songs' sound as Kakao Arena mels: DIR/{id // 1000}/{id}.npy")
    ingest.add_argument("--audio", type=Path, metavar="DIR", help="the songs' sound as audio files DIR/{id}.{flac,mp3,...}")
    ingest.add_argument("--shard", metavar="I/N",
                        help="only the songs with id %% N == I (0 <= I < N); its own job dir, resumable")
    ingest.set_defaults(func=cmd_ingest)

    rec = commands.add_parser("recommend", help="songs for how you feel")
    rec.add_argument("text", nargs="?", metavar="TEXT", help="a sentence; none = one per line of stdin")
    rec.add_argument("--speech", type=Path, metavar="FILE",
                     help="a recording of the sentence (webm, ogg, m4a, wav, mp3, ...) instead of TEXT")
    rec.add_argument("--mode", choices=["match", "regulate"], default="match",
                     help="match: 지금 기분 그대로 (default); regulate: 기분 전환")
    rec.add_argument("--target", choices=["peace", "joy"], default="peace", help="regulate: where to lead")
    rec.add_argument("--limit", type=int, default=5, help="how many songs (1-50)")
    rec.add_argument("--user", help="a user id: personalised, remembers what it served")
    rec.add_argument("--json", action="store_true", help="one JSON object per input line")
    rec.add_argument("--server", metavar="HOST:PORT", help="ask a running recommender instead of in-process")
    rec.set_defaults(func=cmd_recommend)

    similar = commands.add_parser("similar", help="songs that sound like a song of the catalog")
    similar.add_argument("song_id", type=int, metavar="SONG_ID", help="the catalog's song id")
    similar.add_argument("--limit", type=int, default=5, help="how many songs (1-50)")
    similar.add_argument("--same-emotion", action="store_true", help="only songs with the song's top emotion")
    similar.add_argument("--json", action="store_true", help="the answer as one JSON object")
    similar.add_argument("--server", metavar="HOST:PORT", help="ask a running recommender instead of in-process")
    similar.set_defaults(func=cmd_similar)

    transcribe = commands.add_parser("transcribe", help="the Korean text of a recording, as JSON")
    transcribe.add_argument("file", type=Path, metavar="FILE", help="webm, ogg, m4a, wav, mp3, flac; at most 30 s")
    transcribe.add_argument("--server", metavar="HOST:PORT", help="call a running speech service")
    transcribe.set_defaults(func=cmd_transcribe)

    serve = commands.add_parser("serve", help="run a service until SIGTERM")
    serve.add_argument("service", choices=["classifier", "recommender", "speech", "gateway"])
    serve.set_defaults(func=cmd_serve)

    from services.cli_catalog import add_commands as add_catalog_commands

    add_catalog_commands(commands)
    from services.cli_playlists import add_commands as add_playlist_commands

    add_playlist_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "serve":
        configure_logging("WARNING", "text")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
