"""Ingest: a Scrapy crawler from a song list to labelled songs in Qdrant.

    song list (Kakao Arena song_meta.json, or Melon song ids)
      -> album page -> the song's detail page -> lyrics        (spider.py, parsing.py, selectors.py)
      -> clean -> label (classifier, LYRICS) -> store (Qdrant)   (pipelines.py)
      -> bump the catalog version in Redis                       (run.py)
"""
