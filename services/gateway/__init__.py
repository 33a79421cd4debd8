"""The HTTP/JSON gateway and the web page, in front of the Recommender (FastAPI)."""
