"""The corpus report of a media run: which emotions the faces and voices show, per group.

1. **Face emotions by group**: for each label, the share of files with an answer (a face, or
   speech) that show it, per group (``--by``, e.g. ``folder``: the subfolder a file sits in),
   with 95% bootstrap intervals. Files without a face or speech are left out of the shares and
   counted in (4).
2. **How the voices sounded** (runs with speech): per group, the speech heard, its pitch,
   rate and loudness, and the mean arousal with the part the voice added (the prosody rule of
   :mod:`affectlens.media.audio`), both with 95% bootstrap intervals over files.
3. **Examples**: for each label shown, the files that show it most.
4. **Faces found and data quality**: files read, faces and voice segments found, files without
   either, bad files and why, low-confidence answers.
5. **How it was made**: the exact command, the versions, and the manifest.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from affectlens.corpus.aggregate import _polars, aggregate, run_labels, scan_rows
from affectlens.corpus.report import (
    LOW_CONFIDENCE,
    PALETTE,
    _provenance,
    anchor,
    figure_html,
    html_table,
    incomplete_banner,
    plotly_modules,
    run_state,
    section,
    write_page,
)
from affectlens.errors import InputError
from affectlens.runs.manifest import RunFolder, RunManifest

__all__ = ["FACE_SECTIONS", "faces_report"]

FACE_SECTIONS = (
    "Face emotions by group",
    "How the voices sounded",
    "Examples",
    "Faces found and data quality",
    "How this report was made",
)


def faces_report(
    run: RunFolder,
    manifest: RunManifest,
    output: str | Path,
    *,
    by: Sequence[str] = (),
    labels: Sequence[str] | None = None,
    samples: int = 5,
) -> Path:
    pl = _polars()
    whole = aggregate(run.path, every=None, by=by, quiet=True)
    if not whole.height:
        raise InputError(
            f"no file in the run {str(run.path)!r} has a face or speech", hint="with face crops, analyse with --faces whole"
        )
    shares = whole.filter(pl.col("measure") == "share")
    shown = list(labels) if labels else run_labels(manifest)
    unknown = sorted(set(shown) - set(run_labels(manifest)))
    if unknown:
        raise InputError(f"the run's taxonomy has no label {', '.join(map(repr, unknown))}")
    voices = _voices(run.path, by)
    sections = [s for s in FACE_SECTIONS if voices or s != FACE_SECTIONS[1]]
    parts = [
        _header(manifest, run, by, sections),
        section(
            FACE_SECTIONS[0],
            figure_html(_bars(shares, shown, by), "face-shares") + _shares_table(shares, shown, by) + _conflicts(run.path, by),
        ),
        section(FACE_SECTIONS[1], voices) if voices else "",
        section(FACE_SECTIONS[2], _examples(run.path, shown, samples)),
        section(FACE_SECTIONS[3], _quality(run, manifest)),
        section(FACE_SECTIONS[4], _provenance(manifest)),
    ]
    return write_page(output, f"affectlens report · {run.path.name}", [p for p in parts if p])


def _header(manifest: RunManifest, run: RunFolder, by: Sequence[str], sections: Sequence[str]) -> str:
    p = manifest.progress
    toc = "".join(f'<li><a href="#{anchor(s)}">{html.escape(s)}</a></li>' for s in sections)
    groups = f", per {html.escape(', '.join(by))}" if by else ""
    return (
        f"<header><h1>{html.escape(run.path.name)}</h1>{incomplete_banner(manifest)}"
        f"<p>{p.analysed:,} files, {p.counts.get('faces', 0):,} faces, {p.counts.get('segments', 0):,} voice segments, read by "
        f"<code>{html.escape(manifest.backend_id or '')}</code> in "
        f"<code>{html.escape(manifest.settings['options']['taxonomy'])}</code>{groups}. "
        f"Run {html.escape(run_state(manifest))}.</p><nav><ol>{toc}</ol></nav></header>"
    )


def _bars(shares: Any, shown: Sequence[str], by: Sequence[str]) -> Any:
    """Grouped bars: one bar per group for each label, its interval as an error bar."""
    go, _ = plotly_modules()
    pl = _polars()
    fig = go.Figure()
    groups = shares.partition_by(list(by), maintain_order=True, as_dict=True) if by else {(): shares}
    for n, (key, rows) in enumerate(groups.items()):
        rows = rows.filter(pl.col("label").is_in(list(shown)))
        order = {label: i for i, label in enumerate(shown)}
        rows = rows.sort(pl.col("label").replace_strict(order, return_dtype=pl.Int64))
        name = " · ".join(f"{g}={v}" for g, v in zip(by, key)) or "all files"
        values, low, high = rows["value"].to_list(), rows["ci_low"].to_list(), rows["ci_high"].to_list()
        fig.add_trace(
            go.Bar(
                x=rows["label"].to_list(),
                y=values,
                name=f"{name} (n={rows['n'][0] if rows.height else 0})",
                marker_color=PALETTE[n % len(PALETTE)],
                error_y={"type": "data", "symmetric": False, "array": [h - v for h, v in zip(high, values)],
                         "arrayminus": [v - lo for v, lo in zip(values, low)]},
                hovertemplate="%{x}: %{y:.3f}<extra>" + html.escape(name) + "</extra>",
            )
        )  # fmt: skip
    fig.update_layout(
        title="Share of files with a face or speech that show each emotion, with 95% intervals",
        barmode="group",
        yaxis={"range": [0, 1], "title": "share"},
        template="plotly_white",
        height=460,
        margin={"l": 50, "r": 20, "t": 70, "b": 40},
    )
    return fig


def _shares_table(shares: Any, shown: Sequence[str], by: Sequence[str]) -> str:
    pl = _polars()
    rows = shares.filter(pl.col("label").is_in(list(shown))).sort([*by, "label"])
    body = [
        (*(r[g] for g in by), r["label"], f"{r['value']:.3f}", f"{r['ci_low']:.3f}–{r['ci_high']:.3f}", f"{r['n']:,}")
        for r in rows.iter_rows(named=True)
    ]
    return (
        "<details><summary>the shares as a table</summary>"
        + html_table(body, [*by, "label", "share", "95% interval", "n"])
        + "</details>"
    )


def _conflicts(run_dir: Path, by: Sequence[str]) -> str:
    """Per group, the voice segments of videos whose face and words disagree ("" without speech)."""
    pl = _polars()
    lf = scan_rows(run_dir)
    grouped = (lf.group_by(list(by)) if by else lf.group_by(pl.lit("all files").alias("group"))).agg(
        pl.col("segments").sum().alias("segments"), pl.col("conflicts").sum().alias("conflicts")
    )
    rows = grouped.sort(list(by) or "group").collect(engine="streaming")
    if not rows.height or not rows["segments"].sum():
        return ""
    body = [
        (
            *(r[g] for g in (by or ["group"])),
            f"{r['segments']:,}",
            f"{r['conflicts']:,}",
            f"{r['conflicts'] / max(r['segments'], 1):.1%}",
        )
        for r in rows.iter_rows(named=True)
    ]
    head = [*(by or [""]), "voice segments", "face and words disagree", "share"]
    return "<h3>Where the face and the words disagree</h3>" + html_table(body, head)


def _voices(run_dir: Path, by: Sequence[str]) -> str:
    """Per group, how the files with speech sounded, and the arousal the voice added ("" without speech)."""
    import numpy as np

    from affectlens.corpus.stats import EXACT_MAX_N, Moments, mean_ci, rng_for
    from affectlens.media.work import VOICE_COLUMNS

    pl = _polars()
    lf = scan_rows(run_dir)
    if "speech_s" not in lf.collect_schema().names():
        return ""
    heard = lf.filter(pl.col("speech_s").is_not_null()).select(*by, *VOICE_COLUMNS, "arousal").collect(engine="streaming")
    if not heard.height:
        return ""
    groups = heard.partition_by(list(by), maintain_order=True, as_dict=True) if by else {("all files",): heard}
    go, _ = plotly_modules()
    fig, body = go.Figure(), []
    bars: dict[str, tuple[list[str], list[float], list[float], list[float]]] = {
        "arousal": ([], [], [], []),
        "arousal_shift": ([], [], [], []),
    }
    for key, rows in sorted(groups.items(), key=lambda kv: tuple(str(k) for k in kv[0])):
        name = " · ".join(str(v) for v in key)
        cis = {}
        for column in bars:
            values = rows[column].drop_nulls().to_numpy().astype(np.float64)
            moments = Moments(len(values), float(values.sum()), float((values**2).sum()))
            low, high = mean_ci(values if len(values) <= EXACT_MAX_N else None, moments, rng_for(name, column))
            cis[column] = (moments.mean, low, high)
            x, y, lo, hi = bars[column]
            x.append(name), y.append(moments.mean), lo.append(moments.mean - low), hi.append(high - moments.mean)
        pitch = rows["pitch_hz"].drop_nulls()
        body.append((
            *key, f"{rows.height:,}", f"{rows['speech_s'].sum() / 60:.1f}",
            f"{pitch.median():.0f}" if pitch.len() else "—",
            f"{rows['rate_wps'].mean():.2f}", f"{rows['loudness_db'].mean():.1f}",
            *(f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]" for m, lo, hi in (cis["arousal"], cis["arousal_shift"])),
        ))  # fmt: skip
    for n, (column, title) in enumerate(
        (("arousal", "arousal (words and voice)"), ("arousal_shift", "of which the voice added"))
    ):
        x, y, lo, hi = bars[column]
        fig.add_trace(
            go.Bar(x=x, y=y, name=title, marker_color=PALETTE[n], error_y={"type": "data", "symmetric": False, "array": hi,
                   "arrayminus": lo}, hovertemplate="%{x}: %{y:+.3f}<extra>" + title + "</extra>")
        )  # fmt: skip
    fig.update_layout(
        title="Mean arousal of the files with speech, and the part the voice added, with 95% intervals",
        barmode="group", yaxis={"title": "arousal (-1 calm to +1 excited)"}, template="plotly_white", height=420,
        margin={"l": 50, "r": 20, "t": 70, "b": 40},
    )  # fmt: skip
    head = [*(by or [""]), "files with speech", "minutes of speech", "median pitch (Hz)", "words per second",
            "loudness (dB)", "mean arousal [95%]", "from the voice [95%]"]  # fmt: skip
    note = (
        "<p class='note'>Pitch, rate and loudness are each file's segments' median pitch and mean rate and loudness; "
        "“from the voice” is the prosody rule's mean shift per segment (0.12 × the mean z of pitch, range, loudness "
        "and rate against the same speaker's other segments, clipped to ±0.3): no emotional speech corpus was "
        "available to fit it, so it carries arousal, never a label.</p>"
    )
    return figure_html(fig, "voices") + html_table(body, head) + note


def _examples(run_dir: Path, shown: Sequence[str], samples: int) -> str:
    pl = _polars()
    lf = scan_rows(run_dir)
    blocks = []
    for label in shown:
        top = (
            lf.filter(pl.col("labels").list.contains(label))
            .select("text", "faces", "segments", f"score_{label}")
            .sort(f"score_{label}", descending=True)
            .head(samples)
            .collect(engine="streaming")
        )
        items = "".join(
            f'<li><span class="score">{row[f"score_{label}"]:.2f}</span> {html.escape(row["text"])} '
            f'<span class="note">({_parts(row)})</span></li>'
            for row in top.iter_rows(named=True)
        )
        blocks.append(f'<h3>{html.escape(label)}</h3><ul class="examples">{items or "<li>none</li>"}</ul>')
    return "".join(blocks)


def _parts(row: dict[str, Any]) -> str:
    faces, segments = row["faces"], row["segments"]
    out = [f"{faces} face{'s' if faces != 1 else ''}"] if faces else []
    out += [f"{segments} segment{'s' if segments != 1 else ''}"] if segments else []
    return ", ".join(out)


def _quality(run: RunFolder, manifest: RunManifest) -> str:
    pl = _polars()
    p = manifest.progress
    stats = (
        scan_rows(run.path)
        .select(
            pl.len().alias("n"),
            pl.col("dominant").is_null().sum().alias("without_answer"),
            pl.col("segments").sum().alias("segments"),
            pl.col("conflicts").sum().alias("conflicts"),
            ((pl.col("faces") + pl.col("segments")) > 1).sum().alias("several"),
            (pl.col("dominant").is_not_null() & (pl.col("confidence") < LOW_CONFIDENCE)).sum().alias("low_confidence"),
        )
        .collect(engine="streaming")
        .row(0, named=True)
    )
    n = max(stats["n"], 1)
    rows = [
        ("files read", f"{p.rows_done:,}"),
        ("files analysed", f"{p.analysed:,}"),
        ("bad files (not analysed)", f"{p.bad_rows:,} ({p.bad_rows / max(p.rows_done, 1):.2%})"),
        ("faces found", f"{p.counts.get('faces', 0):,}"),
        ("voice segments found", f"{p.counts.get('segments', 0):,}"),
        (
            "video segments where the face and the words disagree (conflicts)",
            f"{stats['conflicts'] or 0:,} of {stats['segments'] or 0:,} segments",
        ),
        (
            "files without a face or speech (left out of the shares)",
            f"{stats['without_answer']:,} ({stats['without_answer'] / n:.2%})",
        ),
        ("files with several faces or segments (their mean is the file's answer)", f"{stats['several']:,}"),
        (f"files whose answer has confidence below {LOW_CONFIDENCE}", f"{stats['low_confidence']:,}"),
    ]
    bad = run.bad_rows()[:10]
    listing = html_table([(b["line"], b["reason"]) for b in bad], ["row", "why"]) if bad else ""
    return html_table(rows, ["", ""]) + (f"<h3>First bad files</h3>{listing}" if listing else "")
