"""What every moodtune service shares: labels, settings, logging, gRPC plumbing, metrics."""
