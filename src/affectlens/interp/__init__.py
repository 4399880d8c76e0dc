"""Emotion inside a local language model: layer-wise probes (:mod:`affectlens.interp.probe`) and
steering along emotion directions (:mod:`affectlens.interp.steer`), for a transformers model folder
or a GGUF file transformers can read (``affectlens probe``, ``affectlens steer``).

Needs ``pip install 'affectlens[interp]'`` (torch, transformers, accelerate and gguf for GGUF files).
"""
