"""Parsing Melon-style pages and cleaning lyrics, including hostile and broken pages."""

from __future__ import annotations

import json

import pytest

from services.common.catalog import Genre
from services.ingest.demo.mirror import Mirror, melon_id
from services.ingest.ledger import FAILED, SKIPPED, STORED, Ledger, format_report
from services.ingest.parsing import (
    MalformedPage, find_on_album, parse_album_page, parse_song_page, release_year, title_key,
)
from services.ingest.pipelines import clean_lines
from services.ingest.songlist import SkipRules, SongListError, load_song_ids, load_song_list

SONG_PAGE = """<html><body><div class="entry"><div class="info">
<div class="song_name"><strong class="none">곡명</strong>
   밤 산책 &amp; 너 </div>
<div class="artist"><a class="artist_name"><span>달빛우체국</span></a><a><span>Paper Jet</span></a></div></div>
<div class="meta"><dl class="list"><dt>앨범</dt><dd><a>새벽 두 시</a></dd><dt>발매일</dt><dd>2019.03.05</dd>
<dt>장르</dt><dd>발라드, 인디음악</dd></dl></div></div>
<div class="lyric" id="d_video_summary"><!-- height:auto; 로 변경시, 확장됨 -->작사 : 달빛<br>
Rock &amp; Roll 같은 밤<br/><br>
<script>alert('x')</script>가로등 아래 &quot;우리&quot;<br><b>굵은</b> 글씨도 글자일 뿐<BR>Cafe\u0301 앞에서</div>
</body></html>"""


def test_song_page_fields_and_raw_lines():
    page = parse_song_page(SONG_PAGE)
    assert page.title == "밤 산책 & 너"
    assert page.artists == ["달빛우체국", "Paper Jet"]
    assert (page.album, page.released, page.genre_names) == ("새벽 두 시", "2019.03.05", ["발라드", "인디음악"])
    assert page.lyric_lines[0] == "작사 : 달빛"


def test_cleaning_decodes_entities_drops_credits_empties_scripts_and_markup():
    lines = clean_lines(parse_song_page(SONG_PAGE).lyric_lines)
    assert lines == ["Rock & Roll 같은 밤", '가로등 아래 "우리"', "굵은 글씨도 글자일 뿐", "Café 앞에서"]
    assert not any("<" in line or "alert" in line for line in lines)
    assert lines[-1] == "Caf\u00e9 앞에서"  # NFC: one code point, not e + combining accent


def test_no_lyrics_and_malformed_pages():
    none = SONG_PAGE.replace('<div class="lyric" id="d_video_summary">', '<div class="lyric_none"><p>가사 준비중</p></div><div>')
    assert parse_song_page(none).lyric_lines is None
    with pytest.raises(MalformedPage, match="song title"):
        parse_song_page("<html><body><div class='entry'>점검 중")
    with pytest.raises(MalformedPage, match="lyric_none"):
        parse_song_page(SONG_PAGE.replace('id="d_video_summary"', 'id="other"'))


def test_hostile_pages_do_not_crash_or_leak_markup():
    nested = "<div>" * 200 + "깊다" + "</div>" * 200
    page = SONG_PAGE.replace("Rock &amp; Roll 같은 밤", nested + "<iframe src=x>광고</iframe><style>p{}</style>")
    lines = clean_lines(parse_song_page(page).lyric_lines)
    assert "깊다" in lines and not any("광고" in l or "{" in l for l in lines)
    # Past libxml2's depth limit the parser gives up on the content: no crash, and no markup kept.
    abyss = SONG_PAGE.replace("Rock &amp; Roll 같은 밤", "<div>" * 5000 + "깊다" + "</div>" * 5000)
    assert not any("<" in l for l in clean_lines(parse_song_page(abyss).lyric_lines or []))
    huge = SONG_PAGE.replace("Rock &amp; Roll 같은 밤", "가" * 2_000_000)
    assert len(parse_song_page(huge).lyric_lines[1]) == 2_000_000
    mojibake = SONG_PAGE.encode("utf-8").decode("latin-1")  # a page read with the wrong encoding
    with pytest.raises(MalformedPage):
        parse_song_page(mojibake.replace("song_name", "x"))


def test_album_page_ids_and_title_matching():
    mirror = Mirror.load()
    album_id = mirror.song_meta[0]["album_id"]
    listed = parse_album_page(mirror.album_page(album_id))
    first = mirror.song_meta[0]
    assert (melon_id(first["id"]), first["song_name"]) in listed
    assert find_on_album(first["song_name"], listed) == melon_id(first["id"])
    assert find_on_album("없는 노래", listed) is None
    # ids from playSong links when the attribute is missing; titles compared loosely
    html = "<table><tr data-song-no='x'><td><div class='ellipsis'><a href=\"javascript:melon.play.playSong('1',42);\">Hello,  World!</a></div></td></tr></table>"
    assert parse_album_page(html) == [(42, "Hello, World!")]
    assert find_on_album("hello world", [(42, "Hello, World!")]) == 42
    assert find_on_album("Hello World (Feat. 누군가)", [(42, "Hello, World!")]) == 42
    assert title_key("Ｈｅｌｌｏ") == "hello"


def test_release_year_prefers_the_song_list_date():
    assert release_year("2019.03.05", "20170627") == 2017
    assert release_year("2019.03.05", "00000000") == 2019
    assert release_year("", "") is None


def test_song_lists_and_skip_rules(tmp_path):
    meta = tmp_path / "song_meta.json"
    meta.write_text(json.dumps([
        {"id": 7, "album_id": 70, "artist_id_basket": [1], "artist_name_basket": ["가수"], "song_name": "노래 (Inst.)",
         "album_name": "앨범", "song_gn_gnr_basket": ["GN0100"], "song_gn_dtl_gnr_basket": ["GN0101"], "issue_date": "20200101"},
        {"id": 8, "album_id": 70, "artist_name_basket": ["가수"], "song_name": "클래식", "song_gn_gnr_basket": ["GN1600"]},
        {"id": 9, "album_id": 70, "artist_name_basket": ["가수"], "song_name": "프롤로그 (대사)"},
        {"id": 10, "album_id": 70, "artist_name_basket": ["가수"], "song_name": "Institution"},
    ], ensure_ascii=False))
    genres = tmp_path / "genres.json"
    genres.write_text(json.dumps({"GN0100": "발라드", "GN0101": "세부장르전체"}, ensure_ascii=False))
    songs = load_song_list(meta, genres)
    assert songs[0].genres == (Genre("GN0100", "발라드"), Genre("GN0101", "세부장르전체"))
    rules = SkipRules({"GN1600"}, [r"\binst\b", r"\binst\.", r"\(대사\)"])
    assert [rules.reason(s) for s in songs] == [
        "instrumental or spoken title", "instrumental genre", "instrumental or spoken title", None]

    ids = tmp_path / "ids.txt"
    ids.write_text("# melon ids\n300\n\n301  # trailing comment\n")
    assert [e.melon_song_id for e in load_song_ids(ids)] == [300, 301]
    ids.write_text("300\nabc\n")
    with pytest.raises(SongListError, match="ids.txt:2"):
        load_song_ids(ids)
    meta.write_text('[{"id": 1}]')
    with pytest.raises(SongListError, match="song #0"):
        load_song_list(meta)


def test_ledger_accounts_for_every_song_and_resumes(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.seen = 4
    ledger.record([1, 2], STORED)
    ledger.record([3], SKIPPED, "no lyrics")
    report = ledger.report()
    assert report["unaccounted"] == 1 and "NOT FINISHED 1" in format_report(report)
    ledger.close()
    (tmp_path / "outcomes.jsonl").open("a").write('{"song_id": 4, "outcome": "sto')  # killed mid-write
    resumed = Ledger(tmp_path)
    assert resumed.done_before(1) and resumed.done_before(3) and not resumed.done_before(4)
    resumed.seen = 4
    resumed.record([4], FAILED, "song page HTTP 404")
    assert resumed.report() == {"seen": 4, "already_done": 3, "labelled": 0, "stored": 0, "skipped": {},
                                "failed": {"song page HTTP 404": 1}, "unaccounted": 0,
                                "signals": {"with lyrics": 0, "with sound": 0, "with both": 0, "neither": 0},
                                "sound_failed": {}}
