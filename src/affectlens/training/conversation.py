"""Fine-tune the conversation model: per-turn emotions read with the preceding turns.

The encoder starts from the embedded model's fine-tuned checkpoint (GoEmotions + EmoBank),
reads :func:`affectlens.conversation.context.context_input` — the turn, then up to three
preceding turns — mean-pools every token, and a linear head gives the seven MELD classes
(Ekman's six and neutral). The word-embedding table stays frozen, so the exported model
shares the embedded model's quantised table and tokenizer.

Training data: MELD train, plus DailyDialog train with ``dailydialog=True``. DailyDialog is
CC BY-NC-SA, so a model trained on it is only ever built locally, never shipped. After
every epoch the model is scored on the dev splits only (MELD weighted-F1, and DailyDialog
micro-F1 over the six emotions when it is used); the best epoch is kept.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from affectlens.conversation.context import CONTEXT_TURNS, context_input
from affectlens.conversation.schema import MELD_LABELS
from affectlens.evaluation.conversations import turn_metrics
from affectlens.evaluation.datasets.dialogues import Dialogue, read_dailydialog, read_meld

__all__ = ["ConversationConfig", "dialogue_inputs", "train_conversation"]


@dataclass(frozen=True)
class ConversationConfig:
    data_dir: Path
    base_model: Path  # config.json and tokenizer.json of all-MiniLM-L6-v2
    init: Path | None  # checkpoint to start from (the embedded model's); None: the base model
    out_dir: Path
    dailydialog: bool = False
    epochs: int = 4
    lr: float = 3e-5
    head_lr: float = 1e-3
    batch_size: int = 32
    context_turns: int = CONTEXT_TURNS
    warmup: float = 0.06
    weight_decay: float = 0.01
    dropout: float = 0.1
    seed: int = 13
    limit: int | None = None  # only the first N training dialogues of each corpus (smoke tests)
    device: str = "auto"
    save_dtype: str = "float32"
    shard_mb: int = 0  # split the saved weights into files of at most this size (0: one file)


def dialogue_inputs(dialogues: list[Dialogue], count_tokens: Any, turns: int = CONTEXT_TURNS) -> tuple[list[str], list[int]]:
    """Model inputs and gold class indices of every turn of ``dialogues``."""
    index = {label: k for k, label in enumerate(MELD_LABELS)}
    inputs, gold = [], []
    for d in dialogues:
        for i in range(len(d.texts)):
            inputs.append(context_input(d.texts, i, count_tokens=count_tokens, turns=turns))
            gold.append(index[d.labels[i]])
    return inputs, gold


def dev_scores(logits: np.ndarray, gold: list[int], corpus: str) -> dict[str, float]:
    """MELD: weighted-F1 over 7 classes; DailyDialog: micro-F1 over the six emotions."""
    key = "weighted_f1" if corpus == "meld" else "micro_f1"
    return {key: turn_metrics(gold, logits.argmax(1))[key]}


def train_conversation(cfg: ConversationConfig, *, log: Any = print) -> dict[str, Any]:
    import torch
    from tokenizers import Tokenizer
    from torch import nn
    from transformers import AutoConfig, AutoModel

    from affectlens.training.finetune import _Batcher, load_checkpoint, save_checkpoint

    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if cfg.device == "auto" else cfg.device)
    amp = device.type == "cuda"

    tokenizer = Tokenizer.from_file(str(cfg.base_model / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()

    def count_tokens(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    meld = cfg.data_dir / "meld"
    corpora = {"meld": (read_meld(meld, "train")[: cfg.limit], read_meld(meld, "dev"))}
    if cfg.dailydialog:
        dd = cfg.data_dir / "dailydialog"
        corpora["dailydialog"] = (read_dailydialog(dd, "train")[: cfg.limit], read_dailydialog(dd, "validation"))
    train_x: list[str] = []
    train_y: list[int] = []
    dev = {}
    for name, (train, dev_dialogues) in corpora.items():
        x, y = dialogue_inputs(train, count_tokens, cfg.context_turns)
        train_x += x
        train_y += y
        dev[name] = dialogue_inputs(dev_dialogues, count_tokens, cfg.context_turns)
    log(f"training turns: {len(train_x):,} ({', '.join(corpora)}); device {device}")

    class ConversationModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            if cfg.init is None:
                self.encoder = AutoModel.from_pretrained(str(cfg.base_model), dtype=torch.float32, attn_implementation="sdpa")
            else:  # the weights come from the checkpoint below
                config = AutoConfig.from_pretrained(str(cfg.base_model), attn_implementation="sdpa")
                self.encoder = AutoModel.from_config(config)
            self.dropout = nn.Dropout(cfg.dropout)
            self.head = nn.Linear(self.encoder.config.hidden_size, len(MELD_LABELS))

        def pooled(self, ids: Any, mask: Any) -> Any:
            states = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(states.dtype)
            return (states * m).sum(1) / m.sum(1).clamp(min=1.0)

        def forward(self, ids: Any, mask: Any) -> Any:
            return self.head(self.dropout(self.pooled(ids, mask)))

    model = ConversationModel()
    if cfg.init is not None:
        state = {k[len("encoder.") :]: v for k, v in load_checkpoint(cfg.init).items() if k.startswith("encoder.")}
        missing, _ = model.encoder.load_state_dict(state, strict=False)
        if [k for k in missing if not k.startswith("pooler.")]:
            raise RuntimeError(f"{cfg.init} does not fit the encoder: missing {missing}")
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    model.to(device)
    batcher = _Batcher(cfg.base_model / "tokenizer.json", 128)

    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": encoder_params, "lr": cfg.lr}, {"params": model.head.parameters(), "lr": cfg.head_lr}],
        weight_decay=cfg.weight_decay,
    )
    steps = cfg.epochs * ((len(train_x) + cfg.batch_size - 1) // cfg.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=[cfg.lr, cfg.head_lr], total_steps=steps, pct_start=cfg.warmup, anneal_strategy="linear"
    )
    loss_fn = nn.CrossEntropyLoss()

    def predict(texts: list[str]) -> np.ndarray:
        model.eval()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = []
        with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            for start in range(0, len(order), 256):
                ids, mask = batcher([texts[i] for i in order[start : start + 256]], device)
                out.append(model(ids, mask).float().cpu().numpy())
        return np.concatenate(out)[np.argsort(order)]

    history, best, best_state = [], None, None
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        started = time.time()
        order = np.random.permutation(len(train_x))
        total = 0.0
        for start in range(0, len(order), cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            ids, mask = batcher([train_x[i] for i in idx], device)
            target = torch.tensor([train_y[i] for i in idx], device=device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                loss = loss_fn(model(ids, mask).float(), target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += float(loss) * len(idx)
        scores: dict[str, float] = {"epoch": epoch, "train_loss": total / len(train_x)}
        for name, (x, y) in dev.items():
            scores.update({f"{name}_{k}": v for k, v in dev_scores(predict(x), y, name).items()})
        scores["selection"] = float(np.mean([v for k, v in scores.items() if k.endswith(("weighted_f1", "micro_f1"))]))
        scores["seconds"] = round(time.time() - started, 1)
        history.append(scores)
        log(json.dumps(scores))
        if best is None or scores["selection"] > best["selection"]:
            best = scores
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    assert best_state is not None
    result = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        "best": best,
        "history": history,
    }
    save_checkpoint(cfg.out_dir, best_state, base_model=cfg.base_model, dtype=cfg.save_dtype, shard_mb=cfg.shard_mb)
    (cfg.out_dir / "train_log.json").write_text(json.dumps(result, indent=2))
    return result
