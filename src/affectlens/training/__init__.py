"""The recipe that trains the embedded model (needs the `train` extra)."""
