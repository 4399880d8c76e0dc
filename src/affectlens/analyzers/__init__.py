"""Analyzers (backends): one base class, found by name in a lazy registry."""
