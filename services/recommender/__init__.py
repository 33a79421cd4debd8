"""The Recommender service: classify the sentence, search Qdrant, re-rank, cache in Redis."""
