"""``affectlens corpus report``: one self-contained HTML file about a run.

It opens offline (plotly.js is inlined once; no CDN, no request leaves the file) and shows:

1. **Emotions over time**: the share of texts carrying each of the run's most frequent labels,
   per group, with its 95% interval as a band; change points marked where they start.
2. **Valence, arousal, dominance over time**, per group, with bands.
3. **What changed**: each change point with the words that drove it (the segment before
   against the segment after, :mod:`affectlens.corpus.drivers`).
4. **Examples**: for each label shown, the texts that carry it most, evidence highlighted.
5. **Data quality**: rows read, bad rows and why, texts not in English, low-confidence
   texts, rows without a time, identical texts reused.
6. **How it was made**: the exact command, the versions, and the manifest.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from affectlens.corpus.aggregate import _polars, aggregate, run_labels, scan_rows
from affectlens.corpus.changepoints import change_points
from affectlens.corpus.drivers import drivers
from affectlens.errors import InputError, MissingDependencyError
from affectlens.io.files import atomic_write
from affectlens.runs.manifest import RunFolder, RunManifest, warn_if_incomplete

__all__ = ["PALETTE", "SECTIONS", "anchor", "figure_html", "html_table", "plotly_modules", "report", "section", "write_page"]

SECTIONS = (
    "Emotions over time",
    "Valence, arousal and dominance over time",
    "What changed, and which words drove it",
    "Examples",
    "Data quality",
    "How this report was made",
)
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D31", "#000000"]  # colour-blind safe
LOW_CONFIDENCE = 0.5


def plotly_modules() -> Any:
    try:
        import plotly.graph_objects as go
        from plotly.offline import get_plotlyjs
    except ImportError as exc:
        raise MissingDependencyError("plotly", "corpus", "corpus reports") from exc
    return go, get_plotlyjs


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _facets(table: Any, panels: Sequence[tuple[str, str | None, str]], by: Sequence[str], title: str, marks: Any = None) -> Any:
    """Small multiples: one panel per (measure, label, heading), a line with its interval band
    per group (the same colour for a group in every panel); change points as stars."""
    go, _ = plotly_modules()
    from plotly.subplots import make_subplots

    pl = _polars()
    fig = make_subplots(
        rows=len(panels), cols=1, shared_xaxes=True, subplot_titles=[h for *_, h in panels], vertical_spacing=0.06
    )
    colours: dict[tuple[Any, ...], str] = {}
    for row, (measure, label, _) in enumerate(panels, start=1):
        rows = table.filter((pl.col("measure") == measure) & (pl.col("label") == label if label else pl.col("label").is_null()))
        groups = rows.partition_by(list(by), maintain_order=True, as_dict=True) if by else {(): rows}
        for key, series in groups.items():
            series = series.sort("bucket")
            hue = colours.setdefault(key, PALETTE[len(colours) % len(PALETTE)])
            name = " · ".join(f"{g}={v}" for g, v in zip(by, key)) or "all texts"
            x = series["bucket"].to_list()
            band = go.Scatter(
                x=x + x[::-1],
                y=series["ci_high"].to_list() + series["ci_low"].to_list()[::-1],
                fill="toself",
                fillcolor=_rgba(hue, 0.15),
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                legendgroup=name,
            )
            low = series["low_n"].to_list()
            line = go.Scatter(
                x=x,
                y=series["value"].to_list(),
                mode="lines+markers",
                name=name,
                legendgroup=name,
                showlegend=row == 1,
                line={"color": hue},
                # a bucket with few texts: a hollow marker (its interval says little)
                marker={"size": [9 if f else 5 for f in low], "symbol": ["circle-open" if f else "circle" for f in low]},
                customdata=series["n"].to_list(),
                hovertemplate="%{x|%Y-%m-%d}: %{y:.3f} (n=%{customdata})<extra>" + html.escape(name) + "</extra>",
            )
            fig.add_trace(band, row=row, col=1)
            fig.add_trace(line, row=row, col=1)
            if marks is not None and label is not None:
                mine = marks.filter(pl.col("label") == label)
                for g, value in zip(by, key):
                    mine = mine.filter(pl.col(g) == value)
                for change in mine.iter_rows(named=True):
                    level = series.filter(pl.col("bucket") == change["date"])["value"].to_list() or [change["after"]]
                    star = go.Scatter(
                        x=[change["date"]],
                        y=level,
                        mode="markers",
                        marker={"symbol": "star", "size": 15, "color": hue, "line": {"width": 1, "color": "#000"}},
                        showlegend=False,
                        legendgroup=name,
                        hovertemplate=f"change point {change['date']:%Y-%m-%d}: {change['before']:.3f} → "
                        f"{change['after']:.3f}<extra>{html.escape(name)}</extra>",
                    )
                    fig.add_trace(star, row=row, col=1)
    fig.update_layout(
        title=title,
        height=190 * len(panels) + 120,
        margin={"l": 50, "r": 20, "t": 70, "b": 40},
        template="plotly_white",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    return fig


def figure_html(fig: Any, name: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=name, config={"displaylogo": False, "responsive": True})


def _highlight(text: str, evidence: list[dict[str, Any]] | None, label: str) -> str:
    spans = sorted((e for e in evidence or [] if e["label"] == label), key=lambda e: e["start"])
    out, at = [], 0
    for span in spans:
        if span["start"] < at:
            continue
        out.append(html.escape(text[at : span["start"]]))
        marked = html.escape(text[span["start"] : span["end"]])
        out.append(f'<mark title="{html.escape(label)} {span["weight"]:.2f}">{marked}</mark>')
        at = span["end"]
    out.append(html.escape(text[at:]))
    return "".join(out)


def html_table(rows: Sequence[Sequence[Any]], header: Sequence[str], strong: Any = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        f"<tr{' class=strong' if strong and strong(row) else ''}>"
        + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)


def report(
    run_dir: str | Path,
    output: str | Path,
    *,
    every: str = "week",
    by: Sequence[str] = (),
    labels: Sequence[str] | None = None,
    top_labels: int = 5,
    samples: int = 3,
    drivers_per_change: int = 8,
) -> Path:
    """Write the report of ``run_dir`` to ``output`` (see the module docstring); returns its path."""
    pl = _polars()
    plotly_modules()
    run = RunFolder(run_dir)
    manifest = run.load_manifest()
    warn_if_incomplete(manifest, str(run.path))
    if manifest.settings.get("work") == "media":
        from affectlens.corpus.faces_report import faces_report

        return faces_report(run, manifest, output, by=by, labels=labels, samples=samples)
    table = aggregate(run_dir, every=every, by=by, quiet=True)
    if not table.height:
        raise InputError(f"the run {str(run.path)!r} has no rows with a time", hint="analyse with --time-column")
    whole = aggregate(run_dir, every=None, quiet=True)
    shares = whole.filter((pl.col("measure") == "share") & (pl.col("label") != "neutral")).sort("value", descending=True)
    shown = list(labels) if labels else shares["label"].head(top_labels).to_list()
    unknown = sorted(set(shown) - set(run_labels(manifest)))
    if unknown:
        raise InputError(f"the run's taxonomy has no label {', '.join(map(repr, unknown))}")
    marks = change_points(table=table, by=by, labels=shown)
    share_panels = [("share", label, label) for label in shown]
    vad_panels = [(name, None, name) for name in ("valence", "arousal", "dominance")]
    shares_title = "Share of texts carrying each emotion, with 95% intervals; ★ change points"
    shares_figure = _facets(table, share_panels, by, shares_title, marks)
    vad_figure = _facets(table, vad_panels, by, "Mean valence, arousal and dominance ([-1, 1]), with 95% intervals")
    parts = [
        _header(manifest, run, every, by),
        _section(0, figure_html(shares_figure, "shares") + _low_n_note(table)),
        _section(1, figure_html(vad_figure, "vad")),
        _section(2, _changes(run_dir, marks, by, every, drivers_per_change)),
        _section(3, _examples(run_dir, manifest, shown, samples)),
        _section(4, _quality(run_dir, manifest, run)),
        _section(5, _provenance(manifest)),
    ]
    return write_page(output, f"affectlens report · {run.path.name}", parts)


def write_page(output: str | Path, title: str, parts: Sequence[str]) -> Path:
    """One self-contained HTML page (plotly.js inlined) of the HTML ``parts``, written atomically."""
    _, get_plotlyjs = plotly_modules()
    page = _PAGE.format(title=html.escape(title), plotly=get_plotlyjs(), body="\n".join(parts), css=_CSS)
    atomic_write(output, lambda f: f.write(page.encode("utf-8")))
    return Path(output)


def _section(n: int, body: str) -> str:
    return section(SECTIONS[n], body)


def anchor(title: str) -> str:
    return title.lower().replace(" ", "-").replace(",", "").replace(":", "")


def section(title: str, body: str) -> str:
    """A titled section of a report page (its anchor from :func:`anchor`)."""
    return f'<section id="{anchor(title)}"><h2>{html.escape(title)}</h2>{body}</section>'


def _header(manifest: RunManifest, run: RunFolder, every: str, by: Sequence[str]) -> str:
    p = manifest.progress
    inputs = ", ".join(html.escape(Path(s.path).name) for s in manifest.inputs[:5])
    inputs += f" and {len(manifest.inputs) - 5} more" if len(manifest.inputs) > 5 else ""
    groups = f", per {html.escape(', '.join(by))}" if by else ""
    toc = "".join(f'<li><a href="#{anchor(s)}">{html.escape(s)}</a></li>' for s in SECTIONS)
    backend = manifest.backend_id or manifest.settings["backend"]
    return (
        f"<header><h1>{html.escape(run.path.name)}</h1>{incomplete_banner(manifest)}"
        f"<p>{p.analysed:,} texts from {inputs}, analysed by <code>{html.escape(backend)}</code> "
        f"in <code>{html.escape(manifest.settings['options']['taxonomy'])}</code>; every {html.escape(every)}{groups}. "
        f"Run {html.escape(run_state(manifest))}.</p><nav><ol>{toc}</ol></nav></header>"
    )


def run_state(manifest: RunManifest) -> str:
    """The run's state in words, with how much of it was done: "complete", "interrupted: 1 of 10 tasks"."""
    p = manifest.progress
    done = f"{p.rows_done:,} of {p.rows:,} rows" if p.rows else f"{p.tasks_done:,} of {p.tasks:,} tasks"
    word = {"complete": "complete", "stopped": "interrupted", "failed": "failed", "running": "running or killed"}[manifest.status]
    return f"{word}, {done} done"


def incomplete_banner(manifest: RunManifest) -> str:
    """A warning at the top of a report on an incomplete run ("" for a complete one)."""
    note = manifest.incomplete_note()
    if note is None:
        return ""
    error = f" {manifest.error.message}" if manifest.error else ""
    text = html.escape(note[0].upper() + note[1:] + "." + error)
    return f'<p class="warning" role="alert"><strong>Incomplete run.</strong> {text}</p>'


def _low_n_note(table: Any) -> str:
    pl = _polars()
    low = table.filter((pl.col("measure") == "share") & pl.col("low_n")).select(["bucket", "n"]).unique().height
    if not low:
        return ""
    return (
        f'<p class="note">{low} bucket(s) hold fewer than 30 texts (hollow markers): shown as they are, but their '
        "intervals say little, and change points are not looked for in them.</p>"
    )


def _changes(run_dir: str | Path, marks: Any, by: Sequence[str], every: str, per_change: int) -> str:
    if not marks.height:
        return "<p>No change point was found in the emotions shown (PELT, penalty 6·σ²·log T).</p>"
    blocks = []
    pl = _polars()
    biggest = marks.with_columns(pl.col("change").abs().alias("size")).sort("size", descending=True).head(6)
    for change in biggest.iter_rows(named=True):
        window = {"day": dt.timedelta(days=1), "week": dt.timedelta(weeks=1)}.get(every, dt.timedelta(days=31))
        date = change["date"]
        group = ",".join(f"{g}={change[g]}" for g in by)
        before = ",".join(filter(None, [group, f"{(date - 4 * window).date()}..{date.date()}"]))
        after = ",".join(filter(None, [group, f"{date.date()}..{(date + 4 * window).date()}"]))
        try:
            words = drivers(run_dir, change["label"], before, after, top=per_change)
            rows = [
                (w["word"], f"{w['count_a']:.1f}", f"{w['count_b']:.1f}", f"{w['z']:+.2f}", "after" if w["z"] > 0 else "before")
                for w in words.iter_rows(named=True)
            ]
            table = html_table(
                rows, ["word", "weight before", "weight after", "z", "more"], strong=lambda r: abs(float(r[3])) > 1.96
            )
        except InputError as exc:
            table = f"<p>{html.escape(exc.message)}</p>"
        where = f" ({html.escape(group)})" if group else ""
        blocks.append(
            f"<div><h3>{html.escape(change['label'])}{where} from {date:%Y-%m-%d}: "
            f"{change['before']:.3f} → {change['after']:.3f}</h3>"
            f"<p>The words whose use for {html.escape(change['label'])} changed most, four {html.escape(every)}s before "
            f"against four after (log-odds with an informative prior; bold: |z| above 1.96, unlikely by chance):"
            f"</p>{table}</div>"
        )
    return f'<div class="changes">{"".join(blocks)}</div>'


def _examples(run_dir: str | Path, manifest: RunManifest, shown: Sequence[str], samples: int) -> str:
    pl = _polars()
    explain = bool(manifest.settings["options"].get("explain"))
    lf = scan_rows(run_dir)
    blocks = []
    for label in shown:
        columns = ["text", f"score_{label}", *(["evidence"] if explain else [])]
        top = (
            lf.filter(pl.col("labels").list.contains(label))
            .select(columns)
            .sort(f"score_{label}", descending=True)
            .head(samples)
            .collect(engine="streaming")
        )
        items = "".join(
            f'<li><span class="score">{row[f"score_{label}"]:.2f}</span> '
            f"{_highlight(row['text'], row.get('evidence'), label)}</li>"
            for row in top.iter_rows(named=True)
        )
        note = "" if explain else ' <span class="note">(no evidence: run with --explain to see why)</span>'
        blocks.append(f'<h3>{html.escape(label)}{note}</h3><ul class="examples">{items or "<li>none</li>"}</ul>')
    return "".join(blocks)


def _quality(run_dir: str | Path, manifest: RunManifest, run: RunFolder) -> str:
    pl = _polars()
    p = manifest.progress
    stats = (
        scan_rows(run_dir)
        .select(
            pl.len().alias("n"),
            pl.col("non_english").sum().alias("non_english"),
            (pl.col("confidence") < LOW_CONFIDENCE).sum().alias("low_confidence"),
        )
        .collect(engine="streaming")
        .row(0, named=True)
    )
    n = max(stats["n"], 1)
    rows = [
        ("input rows read", f"{p.rows_done:,}"),
        ("texts analysed", f"{p.analysed:,}"),
        ("bad rows (not analysed)", f"{p.bad_rows:,} ({p.bad_rows / max(p.rows_done, 1):.2%})"),
        ("texts not in English (warned, confidence lowered)", f"{stats['non_english']:,} ({stats['non_english'] / n:.2%})"),
        (f"texts with confidence below {LOW_CONFIDENCE}", f"{stats['low_confidence']:,} ({stats['low_confidence'] / n:.2%})"),
        ("texts without a readable time (not in time series)", f"{p.without_time:,}"),
        ("identical texts whose result was reused", f"{p.reused:,}"),
    ]
    bad = run.bad_rows()[:10]
    listing = html_table([(Path(b["file"]).name, b["line"], b["reason"]) for b in bad], ["file", "line", "why"]) if bad else ""
    return html_table(rows, ["", ""]) + (f"<h3>First bad rows</h3>{listing}" if listing else "")


def _provenance(manifest: RunManifest) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in manifest.versions.items() if v)
    return (
        f"<p>Command: <code>{html.escape(manifest.command or '(the Python API)')}</code></p>"
        f"<p>Versions: {html.escape(versions)}. Engine: {html.escape(manifest.engine)}. "
        f"Started {html.escape(manifest.created)}, last updated {html.escape(manifest.updated or '')}.</p>"
        "<p>Intervals: bootstrap over texts (2,000 resamples, fixed seed). Change points: PELT (ruptures), "
        "penalty 6·σ²·log T. Drivers: log-odds ratio with an informative Dirichlet prior (Monroe et al., 2008).</p>"
        "<details><summary>manifest.json</summary>"
        f"<pre>{html.escape(json.dumps(manifest.model_dump(), indent=2))}</pre></details>"
    )


_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1em 2em; color: #1a1a1a; }
h1 { margin-bottom: .2em; }
h2 { border-bottom: 2px solid #0072B2; padding-bottom: .2em; margin-top: 2em; }
code, pre { background: #f3f3f3; padding: .1em .3em; border-radius: 3px; }
pre { padding: 1em; overflow: auto; max-height: 30em; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border-bottom: 1px solid #ddd; padding: .25em .8em; text-align: left; }
mark { background: #ffe08a; padding: 0 .15em; border-radius: 2px; }
.score { font-variant-numeric: tabular-nums; color: #555; }
.note { color: #555; font-size: .9em; }
.warning { background: #fff4e5; border-left: 4px solid #b35c00; padding: .6em 1em; color: #5a2e00; }
ul.examples li { margin-bottom: .4em; }
a { color: #0057a3; }
.changes { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 0 2em; }
tr.strong td { font-weight: 600; }
"""

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{css}</style><script>{plotly}</script></head>
<body>
{body}
</body></html>
"""
