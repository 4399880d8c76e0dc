"""Reasoning about predictions: calibration, evidence, verification."""
