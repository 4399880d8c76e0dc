"""Evaluation datasets, found by name (see `affectlens eval --list`)."""
