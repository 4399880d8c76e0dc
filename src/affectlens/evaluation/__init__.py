"""Evaluation: datasets, metrics and the runner behind `affectlens eval`."""
