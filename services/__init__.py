"""moodtune's services: classifier, ingest, recommender, gateway, and what they share (common)."""
