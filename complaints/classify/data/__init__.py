"""Training data and its generator (not imported at runtime)."""
