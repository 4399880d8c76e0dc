"""``affectlens polarization report``: one self-contained HTML file about a polarization run,
built with the corpus report's page (:mod:`affectlens.corpus.report`; opens offline).

Sections (:data:`SECTIONS`): thread scores and levels; events with their before / during /
after windows (mean ± SEM, 95% interval, the test of each difference); the score over time;
hostility across and within sides (the gap and α); what the interactions were (the rule
table with counts); examples with their evidence; data quality (rows left out, failed and
unknown annotations, per thread); how it was made (command, topic, rules, stance model, and
where this differs from the paper).
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from affectlens.corpus.report import (
    PALETTE,
    anchor,
    figure_html,
    html_table,
    incomplete_banner,
    plotly_modules,
    run_state,
    section,
    write_page,
)
from affectlens.polarization.aggregate import Aggregate, aggregate
from affectlens.polarization.events import DEFAULT_WINDOW_DAYS
from affectlens.polarization.rules import load_rules
from affectlens.polarization.work import PolarizationDir
from affectlens.runs.manifest import RunManifest

__all__ = ["SECTIONS", "report"]

SECTIONS = (
    "Thread scores",
    "Events: before, during and after",
    "Over time",
    "Hostility across and within sides",
    "What the interactions were",
    "Examples",
    "Data quality",
    "How this report was made",
)


def report(
    run_dir: str | Path,
    output: str | Path,
    *,
    rules: str | None = None,
    events: str | None = None,
    window_days: float = DEFAULT_WINDOW_DAYS,
    every: str = "week",
    examples: int = 5,
) -> Path:
    """Write the report of ``run_dir`` to ``output``; returns its path."""
    plotly_modules()
    run = PolarizationDir(run_dir)
    manifest = run.load()
    figures = aggregate(run_dir, rules=rules, events=events, window_days=window_days, every=every)
    body = [
        _header(run, manifest, figures),
        section(SECTIONS[0], _scores(figures)),
        section(SECTIONS[1], _events(figures, window_days)),
        section(SECTIONS[2], _series(figures, every)),
        section(SECTIONS[3], _measures(figures)),
        section(SECTIONS[4], _interactions(figures)),
        section(SECTIONS[5], _examples(run, figures, examples)),
        section(SECTIONS[6], _quality(run, manifest, figures)),
        section(SECTIONS[7], _provenance(manifest, figures)),
    ]
    return write_page(output, f"affectlens polarization · {run.path.name}", body)


def _header(run: PolarizationDir, manifest: RunManifest, figures: Aggregate) -> str:
    s = figures.scores.summary() if figures.scores else {}
    toc = "".join(f'<li><a href="#{anchor(t)}">{html.escape(t)}</a></li>' for t in SECTIONS)
    topics = ", ".join(html.escape(t) for t in manifest.settings["work_settings"]["topics"])
    details = manifest.details
    offline = manifest.settings["backend"] != "openai"
    refused = "".join(
        f'<p class="warning" role="alert"><strong>Measures refused.</strong> {html.escape(reason)}.</p>'
        for reason in figures.refused
    )
    return (
        f"<header><h1>{html.escape(run.path.name)}</h1>{incomplete_banner(manifest)}{refused}"
        f"<p>{details.get('posts', 0):,} posts in {details.get('threads', 0):,} threads on {topics}, annotated "
        f"{'offline (embedded model)' if offline else 'by an LLM'}; "
        f"{s.get('scored', 0):,} of {s.get('interactions', 0):,} reply–parent interactions scored under "
        f"<code>{html.escape(figures.rules)}</code>. Run {html.escape(run_state(manifest))}.</p>"
        f"<nav><ol>{toc}</ol></nav></header>"
    )


def _scores(figures: Aggregate) -> str:
    go, _ = plotly_modules()
    assert figures.scores is not None
    rule_set = load_rules(figures.rules)
    fig = go.Figure()
    for k, topic in enumerate(sorted({t.topic for t in figures.scores.threads})):
        values = [t.score for t in figures.scores.threads if t.topic == topic and t.score is not None]
        fig.add_trace(
            go.Histogram(
                x=values, name=topic, xbins={"start": 0, "end": 10.01, "size": 0.5}, marker_color=PALETTE[k], opacity=0.75
            )
        )
    for level in rule_set.levels:
        for edge in (level.lower, level.upper):
            if edge is not None:
                fig.add_vline(x=edge, line_dash="dot", line_color="#888")
    fig.update_layout(
        title="Thread scores (mean of a thread's scored interactions); dotted: level boundaries",
        xaxis_title="thread score",
        yaxis_title="threads",
        barmode="overlay",
        template="plotly_white",
        height=360,
    )
    levels = [lv.name for lv in rule_set.levels]
    rows = [
        (
            r["topic"],
            r["threads"],
            r["threads_scored"],
            r["mean"],
            r["sem"],
            _ci(r["ci_low"], r["ci_high"]),
            *(
                f"{r[f'share_{lv}']:.1%} {_ci(*(r[f'share_{lv}_ci'] or [None, None]), pct=True)}"
                if r[f"share_{lv}"] is not None
                else ""
                for lv in levels
            ),
        )
        for r in figures.summary
    ]
    described = "; ".join(f"{html.escape(lv.name)}: {html.escape(lv.describe())}" for lv in rule_set.levels)
    return (
        figure_html(fig, "scores")
        + html_table(rows, ["topic", "threads", "scored", "mean", "SEM", "95% interval", *levels])
        + f'<p class="note">Levels of {html.escape(rule_set.id)}: {described}. Shares with 95% bootstrap intervals.</p>'
    )


def _ci(low: float | None, high: float | None, pct: bool = False) -> str:
    if low is None or high is None:
        return ""
    return f"[{low:.1%}, {high:.1%}]" if pct else f"[{low:.2f}, {high:.2f}]"


def _events(figures: Aggregate, days: float) -> str:
    if not figures.windows:
        return (
            "<p>No events were given. Add <code>--events events.csv</code> (columns name,start,end) to compare the "
            f"{days:g} days before each event, the event, and the {days:g} days after.</p>"
        )
    go, _ = plotly_modules()
    from plotly.subplots import make_subplots

    names = list(dict.fromkeys(w["event"] for w in figures.windows))
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, shared_yaxes=True)
    groups = list(dict.fromkeys(w.get("group") for w in figures.windows))
    for col, name in enumerate(names, start=1):
        for k, group in enumerate(groups):
            rows = [w for w in figures.windows if w["event"] == name and w.get("group") == group]
            fig.add_trace(
                go.Bar(
                    x=[w["window"] for w in rows],
                    y=[w["mean"] for w in rows],
                    error_y={"type": "data", "array": [w["sem"] or 0 for w in rows]},
                    name=group or "threads",
                    marker_color=PALETTE[k % len(PALETTE)],
                    showlegend=col == 1 and group is not None,
                    customdata=[[w["threads"], _ci(w["ci_low"], w["ci_high"])] for w in rows],
                    hovertemplate="%{x}: %{y:.2f} ± SEM (n=%{customdata[0]}, 95% %{customdata[1]})<extra></extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_layout(
        title="Mean thread score per window, ± SEM (as the paper plots it)", template="plotly_white", height=380, barmode="group"
    )
    window_rows = [
        (
            w["event"],
            *([w.get("group")] if groups != [None] else []),
            w["window"],
            w["from"][:16],
            w["to"][:16],
            w["threads"],
            w["mean"],
            w["sem"],
            _ci(w["ci_low"], w["ci_high"]),
        )
        for w in figures.windows
    ]
    header = ["event", *(["group"] if groups != [None] else []), "window", "from", "to", "threads", "mean", "SEM", "95% interval"]
    tests = [
        (
            c["event"],
            *([c.get("group")] if groups != [None] else []),
            c["comparison"],
            c["difference"],
            _ci(c["ci_low"], c["ci_high"]),
            c["cohen_d"],
            c["p"],
            c["q"],
        )
        for c in figures.comparisons
    ]
    test_header = [
        "event",
        *(["group"] if groups != [None] else []),
        "comparison",
        "difference",
        "95% interval",
        "Cohen's d",
        "p",
        "q",
    ]
    return (
        figure_html(fig, "events")
        + html_table(window_rows, header)
        + "<h3>Differences between windows</h3>"
        + html_table(tests, test_header, strong=lambda r: r[-1] is not None and r[-1] < 0.05)
        + '<p class="note">Welch\'s t-test on thread means; q: Benjamini–Hochberg over the table; bold: q &lt; 0.05. '
        "A window with fewer than two threads has no SEM and no test.</p>"
    )


def _series(figures: Aggregate, every: str) -> str:
    if not figures.series:
        return "<p>No thread has a readable time.</p>"
    go, _ = plotly_modules()
    fig = go.Figure()
    for k, topic in enumerate(dict.fromkeys(r["topic"] for r in figures.series)):
        rows = [r for r in figures.series if r["topic"] == topic]
        x = [r["period"][:10] for r in rows]
        colour = PALETTE[k % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=[r["ci_high"] for r in rows] + [r["ci_low"] for r in rows][::-1],
                fill="toself",
                fillcolor="rgba(0,114,178,0.12)" if k == 0 else "rgba(213,94,0,0.12)",
                mode="lines",
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[r["mean"] for r in rows],
                mode="lines+markers",
                name=topic,
                line={"color": colour},
                customdata=[r["threads_scored"] for r in rows],
                hovertemplate="%{x}: %{y:.2f} (n=%{customdata})<extra></extra>",
            )
        )
    fig.update_layout(title=f"Mean thread score per {every}, with 95% intervals", template="plotly_white", height=360)
    return figure_html(fig, "series")


def _measures(figures: Aggregate) -> str:
    go, _ = plotly_modules()
    fig = go.Figure()
    rows = []
    for m in figures.measures:
        g = m["hostility_gap"]
        cross = g["cross_hostile"] / g["cross_replies"] if g["cross_replies"] else None
        same = g["same_hostile"] / g["same_replies"] if g["same_replies"] else None
        colour = PALETTE[len(rows) // 2 % len(PALETTE)]
        fig.add_trace(go.Bar(x=["to the other side", "to one's own side"], y=[cross, same], name=m["topic"], marker_color=colour))
        shown = "refused (weak stances, see the top)" if m.get("refused") else None
        rows.append(
            (
                m["topic"],
                "hostility gap",
                shown or g["value"],
                _ci(g["ci_low"], g["ci_high"]),
                f"{g['cross_replies']:,} + {g['same_replies']:,} replies",
            )
        )
        a = m["alpha"]
        rows.append(
            (m["topic"], "α (Hohmann & Coscia)", shown or a["value"], _ci(a["ci_low"], a["ci_high"]), f"{a['n']:,} author pairs")
        )
    fig.update_layout(
        title="Share of replies that are hostile, by whom they answer",
        yaxis_tickformat=".0%",
        template="plotly_white",
        height=340,
    )
    return (
        figure_html(fig, "gap")
        + html_table(rows, ["topic", "measure", "value", "95% interval", "rests on"])
        + '<p class="note">Hostility gap: share of hostile replies to the other side minus share to one\'s own side '
        "(replies whose two stances and affect are known). α: generalised Euclidean opinion polarization over the "
        "author network × Spearman(disagreement, hostility) over author pairs. Intervals: bootstrap over threads.</p>"
    )


def _interactions(figures: Aggregate) -> str:
    assert figures.scores is not None
    rule_set = load_rules(figures.rules)
    counts = Counter((i.relation, i.affect, i.agreement_used) for i in figures.scores.interactions if i.score is not None)
    rows = [
        (r.stance, r.affect, r.agreement, r.score, counts[(r.stance, r.affect, r.agreement)], r.meaning) for r in rule_set.table
    ]
    why = Counter(i.unscored for i in figures.scores.interactions if i.score is None)
    unscored = [(reason, n) for reason, n in why.most_common()]
    return html_table(rows, ["stance", "affect", "agreement", "score", "interactions", "meaning"]) + (
        "<h3>Not scored, and why</h3>" + html_table(unscored, ["reason", "interactions"]) if unscored else ""
    )


def _highlight(text: str, evidence: Sequence[dict[str, Any]]) -> str:
    out, at = [], 0
    for span in sorted(evidence, key=lambda e: e["start"]):
        if span["start"] < at:
            continue
        out.append(html.escape(text[at : span["start"]]))
        out.append(f'<mark title="{html.escape(span["fact"])}">{html.escape(text[span["start"] : span["end"]])}</mark>')
        at = span["end"]
    out.append(html.escape(text[at:]))
    return "".join(out)


def _examples(run: PolarizationDir, figures: Aggregate, n: int) -> str:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    assert figures.scores is not None
    hostile = [i for i in figures.scores.interactions if i.reply_affect == "yes" and i.relation == "opposite"][:n]
    calm = [i for i in figures.scores.interactions if i.score == 0][:n]
    wanted = pa.array(sorted({i.post for i in hostile + calm}), type=pa.int64())
    if not len(wanted):
        return "<p>No hostile cross-side reply and no calm agreement across sides to show.</p>"
    posts = pq.read_table(run.posts, columns=["post", "text", "parent_text"])
    text = {p["post"]: (p["text"], p["parent_text"]) for p in posts.filter(pc.is_in(posts["post"], value_set=wanted)).to_pylist()}
    evidence: dict[int, list[dict[str, Any]]] = {}
    for part in sorted(run.parts.glob("part-*.parquet")):
        table = pq.read_table(part, columns=["post", "evidence"])
        for row in table.filter(pc.is_in(table["post"], value_set=wanted)).to_pylist():
            evidence[row["post"]] = row["evidence"] or []

    def items(rows: list[Any]) -> str:
        return "".join(
            f"<li><span class=score>{i.score if i.score is not None else '–'}</span> "
            f"<span class=note>{html.escape(str(i.reply_stance))} → {html.escape(str(i.parent_stance))}:</span> "
            f"{_highlight(text[i.post][0], evidence.get(i.post, []))}"
            f"<br><span class=note>answering: {html.escape((text[i.post][1] or '')[:200])}</span></li>"
            for i in rows
        )

    return (
        f"<h3>Hostile replies to the other side</h3><ul class=examples>{items(hostile) or '<li>none</li>'}</ul>"
        f"<h3>Agreement across sides without hostility (score 0)</h3><ul class=examples>{items(calm) or '<li>none</li>'}</ul>"
        '<p class="note">Marked: the evidence of each fact (quotes verified in the post; offline: the hostile phrase '
        "and its target).</p>"
    )


def _quality(run: PolarizationDir, manifest: RunManifest, figures: Aggregate) -> str:
    details = manifest.details
    counts = manifest.progress.counts
    rows = [
        ("input rows", f"{details.get('rows', 0):,}"),
        ("posts in threads", f"{details.get('posts', 0):,}"),
        ("posts annotated", f"{manifest.progress.rows_done:,}"),
        *((f"left out or flagged: {k}", f"{v:,}") for k, v in sorted(details.get("problems", {}).items())),
        *((f"annotations {k.replace('_', ' ')}", f"{v:,}") for k, v in sorted(counts.items()) if not k.startswith("llm_")),
        *((name, desc) for name, desc in details.get("stance_models", {}).items()),
    ]
    problems = (run.problems.read_text(encoding="utf-8").splitlines() if run.problems.exists() else [])[:15]
    listing = html_table(
        [(p["kind"], Path(p["file"]).name, p["line"], p["id"], p["message"]) for p in map(json.loads, problems)],
        ["kind", "file", "line", "id", "why"],
    )
    failing = html_table(
        [(t["thread"], t["topic"], t["posts"], t["failed_posts"], t["unscored_failed"]) for t in figures.threads_with_failures],
        ["thread", "topic", "posts", "posts with a failed annotation", "interactions not scored for it"],
    )
    return (
        html_table(rows, ["", ""])
        + (f"<h3>First rows left out or flagged</h3>{listing}" if problems else "")
        + (f"<h3>Threads with failed annotations</h3>{failing}" if figures.threads_with_failures else "")
    )


def _provenance(manifest: RunManifest, figures: Aggregate) -> str:
    rule_set = load_rules(figures.rules)
    return (
        f"<p>Command: <code>{html.escape(manifest.command or '(the Python API)')}</code></p>"
        f"<p>Rules: <code>{html.escape(rule_set.id)}</code>, {html.escape(rule_set.title)}. {html.escape(rule_set.citation)} "
        f"Code: {html.escape(rule_set.code)}. {html.escape(rule_set.description)}</p>"
        "<p>Where this differs from the paper's code (docs/polarization.md): unknown and failed facts give no score "
        "(the paper's code treats two unclear stances as the same stance and an unclear affect or agreement as "
        '"no"); answers are never salvaged from malformed output; every quote is verified in the post; replies '
        "whose parent is missing are reported; the levels do not overlap. <code>asonam2025-compat</code> reproduces "
        "the paper's code.</p>"
        "<details><summary>manifest.json</summary>"
        f"<pre>{html.escape(manifest.model_dump_json(indent=2))}</pre></details>"
    )
