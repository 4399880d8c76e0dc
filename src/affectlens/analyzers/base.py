"""The analyzer interface every backend implements.

A backend implements one method, :meth:`Analyzer._analyze_texts`, over a batch of
non-empty texts. :meth:`Analyzer.analyze_batch` (what the CLI, the service and the batch
engine call) validates the options and the texts, answers empty texts itself, and keeps
the order and the ids.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from affectlens.errors import ConfigError, InputError
from affectlens.io.text import DEFAULT_MAX_CHARS, check_text, replace_surrogates, surrogate_warning
from affectlens.schema import Analysis
from affectlens.settings import BackendSettings
from affectlens.taxonomy import Taxonomy, load_taxonomy

__all__ = ["EMPTY_WARNING", "AnalyzeOptions", "Analyzer"]

EMPTY_WARNING = "empty text: nothing to analyse"


class AnalyzeOptions(BaseModel):
    """What to compute for each text. Unknown options are an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    taxonomy: str = Field("goemotions", description="label set of the answer, e.g. 'ekman'")
    max_chars: int = Field(DEFAULT_MAX_CHARS, gt=0, description="longer texts are refused, not cut")
    explain: bool = Field(False, description="add evidence spans and a rationale")
    min_confidence: float = Field(0.0, ge=0.0, le=1.0, description="abstain (no labels, a warning) when confidence is lower")
    vad_coverage: float = Field(0.8, gt=0.0, lt=1.0, description="coverage of the VAD intervals")

    @classmethod
    def build(cls, options: AnalyzeOptions | None, overrides: dict[str, Any]) -> AnalyzeOptions:
        try:
            if options is None:
                return cls(**overrides)
            return options.model_copy(update=cls(**{**options.model_dump(), **overrides}).model_dump())
        except ValidationError as exc:
            problems = []
            for e in exc.errors():
                where = ".".join(str(p) for p in e["loc"]) or "options"
                problems.append(f"unknown option {where!r}" if e["type"] == "extra_forbidden" else f"{where}: {e['msg']}")
            raise ConfigError(
                f"invalid analyze options: {'; '.join(problems)}", hint=f"options: {', '.join(cls.model_fields)}"
            ) from exc


def _abstain(analysis: Analysis, min_confidence: float) -> Analysis:
    """No labels (nor evidence for them) when the answer is less sure than the caller asked."""
    why = f"abstained: confidence {analysis.confidence:.2f} is below the requested minimum {min_confidence:.2f}"
    return analysis.model_copy(
        update={
            "labels": [],
            "evidence": [],
            "rationale": f"No answer: {why}." if analysis.rationale is not None else None,
            "warnings": [*analysis.warnings, why],
        }
    )


class Analyzer(ABC):
    """Base class of all backends (registered by name in ``affectlens.api.backends``)."""

    #: registry name, e.g. ``"embedded"``
    name: ClassVar[str]
    #: one line for ``affectlens backends``
    description: ClassVar[str] = ""
    #: the settings the constructor takes (``-O KEY=VALUE``; :mod:`affectlens.settings`)
    settings_model: ClassVar[type[BackendSettings]] = BackendSettings
    #: whether this machine's CPU does the work (a run spreads it over worker processes)
    cpu_bound: ClassVar[bool] = False

    @property
    @abstractmethod
    def backend_id(self) -> str:
        """Versioned backend name written into every Analysis, e.g. ``embedded/minilm-goemotions@1``."""

    @abstractmethod
    def _analyze_texts(
        self, texts: list[str], ids: list[str | None], options: AnalyzeOptions, taxonomy: Taxonomy
    ) -> list[Analysis]:
        """Analyse non-empty, validated texts; return one Analysis per text, in order."""

    def analyze_batch(
        self,
        texts: Sequence[str],
        *,
        ids: Sequence[str | None] | None = None,
        options: AnalyzeOptions | None = None,
        **overrides: Any,
    ) -> list[Analysis]:
        """Analyse ``texts``; keyword options (``taxonomy="ekman"``) override ``options``.

        Empty or whitespace-only texts get an Analysis with no labels and a warning;
        unpaired surrogates are replaced by U+FFFD, with a warning (the rule of :mod:`affectlens.io.text`).
        """
        opts = AnalyzeOptions.build(options, overrides)
        taxonomy = load_taxonomy(opts.taxonomy)
        if isinstance(texts, str):
            raise InputError("analyze_batch takes a list of texts, not one string", hint="use analyze()")
        texts = list(texts)
        id_list = list(ids) if ids is not None else [None] * len(texts)
        if len(id_list) != len(texts):
            raise InputError(f"{len(id_list)} ids for {len(texts)} texts")
        replaced: dict[int, int] = {}
        for n, text in enumerate(texts):
            check_text(text, max_chars=opts.max_chars, where=f"text {n}")
            texts[n], count = replace_surrogates(text)
            if count:
                replaced[n] = count
        todo = [n for n, text in enumerate(texts) if text.strip()]
        done = self._analyze_texts([texts[n] for n in todo], [id_list[n] for n in todo], opts, taxonomy) if todo else []
        out: list[Analysis | None] = [None] * len(texts)
        for n, analysis in zip(todo, done):
            out[n] = analysis
        for n, text in enumerate(texts):
            if out[n] is None:
                out[n] = Analysis(
                    id=id_list[n], text=text, taxonomy=taxonomy.id, backend=self.backend_id, warnings=[EMPTY_WARNING]
                )
            elif out[n].confidence < opts.min_confidence:  # type: ignore[union-attr]
                out[n] = _abstain(out[n], opts.min_confidence)  # type: ignore[arg-type]
        for n, count in replaced.items():
            out[n] = out[n].model_copy(update={"warnings": [surrogate_warning(count), *out[n].warnings]})  # type: ignore[union-attr]
        return out  # type: ignore[return-value]

    def analyze(self, text: str, *, id: str | None = None, options: AnalyzeOptions | None = None, **overrides: Any) -> Analysis:
        """Analyse one text (a batch of one)."""
        return self.analyze_batch([text], ids=[id], options=options, **overrides)[0]

    def info(self) -> dict[str, Any]:
        """What this backend is, for ``affectlens backends`` and results files."""
        return {"name": self.name, "backend": self.backend_id, "description": self.description}
