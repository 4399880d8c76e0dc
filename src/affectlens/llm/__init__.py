"""LLM-backed analysis: any OpenAI-compatible endpoint, perceive → reason → verify."""
