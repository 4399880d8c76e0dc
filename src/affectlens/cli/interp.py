"""``affectlens probe`` and ``affectlens steer``: emotion inside a local model (affectlens.interp)."""

from __future__ import annotations

import json

import typer

from affectlens.cli.console import err, out


def probe_command(
    model: str = typer.Argument(..., help="A transformers model folder, or a .gguf file transformers can read."),
    output: str = typer.Option(..., "--output", "-o", help="Folder for probe.json, probe.png and directions.npz."),
    data_dir: str = typer.Option(None, "--data-dir", help="Folder with the datasets [default: $AFFECTLENS_DATA_DIR]."),
    labelled: str = typer.Option(
        None, "--labelled", help="Your own labelled texts instead of GoEmotions dev: CSV/JSONL/Parquet with text and label."
    ),
    limit: int = typer.Option(1000, "--limit", min=50, help="GoEmotions dev texts to read (a stratified sample)."),
    folds: int = typer.Option(5, "--folds", min=2, max=20, help="Cross-validation folds."),
    threads: int = typer.Option(None, "--threads", min=1, help="torch threads [default: every core]."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Fit a linear emotion probe on every layer (cross-validated, with a shuffled-label chance
    line) and derive difference-of-means emotion directions."""
    from affectlens.interp.probe import run_probe

    result = run_probe(
        model, output, data_dir=data_dir, labelled=labelled, limit=limit, folds=folds, threads=threads,
        log=None if as_json else lambda message: err.print(message, highlight=False),
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    from rich.table import Table

    table = Table("layer", "macro-F1", "accuracy", "chance macro-F1", "chance accuracy", header_style="bold")
    for row in result["layers"]:
        p, c = row["probe"], row["chance"]
        table.add_row(str(row["layer"]), f"{p['macro_f1']:.3f} ± {p['macro_f1_sd']:.3f}", f"{p['accuracy']:.3f}",
                      f"{c['macro_f1']:.3f}", f"{c['accuracy']:.3f}")  # fmt: skip
    out.print(table)
    out.print(f"best layer {result['best_layer']}; wrote {output}/probe.json, probe.png, directions.npz", highlight=False)


def steer_command(
    model: str = typer.Argument(..., help="The model the directions were derived from."),
    directions: str = typer.Option(..., "--directions", help="The folder `affectlens probe` wrote."),
    emotion: str = typer.Option(..., "--emotion", "-e", help="anger, disgust, fear, joy, sadness, surprise or neutral."),
    layer: int = typer.Option(..., "--layer", "-l", min=1, help="The layer whose output is steered (probe.json's best_layer)."),
    strengths: str = typer.Option("-1,-0.5,0,0.5,1", "--strengths", help="Comma-separated, × the layer's mean token norm."),
    output: str = typer.Option(..., "--output", "-o", help="Folder for steer-EMOTION.json and .png."),
    max_new_tokens: int = typer.Option(24, "--max-new-tokens", min=4, max=256),
    threads: int = typer.Option(None, "--threads", min=1, help="torch threads [default: every core]."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Add an emotion direction at a layer while the model writes, over a range of strengths, and
    measure what it wrote with affectlens (mean score and valence with 95% intervals)."""
    from affectlens.errors import InputError
    from affectlens.interp.steer import run_steer

    try:
        values = [float(s) for s in strengths.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"--strengths {strengths!r} is not a list of numbers", hint="e.g. --strengths -1,0,1") from None
    result = run_steer(
        model, directions, output, emotion=emotion, layer=layer, strengths=values, max_new_tokens=max_new_tokens,
        threads=threads,
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for point in result["curve"]:
        lo, hi = point["emotion_ci95"]
        out.print(
            f"strength {point['strength']:+.2f}: {emotion} {point['emotion_score']:.3f} [{lo:.3f}, {hi:.3f}], "
            f"valence {point['valence']:+.3f}, dominant in {point['dominant_share']:.0%}",
            highlight=False,
        )
    out.print(f"wrote {output}/steer-{emotion}.json and .png", highlight=False)
