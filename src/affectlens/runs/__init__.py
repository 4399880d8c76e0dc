"""The one run: a validated spec that every door builds, executed the same way for every input.

>>> from affectlens.runs import InputSpec, RunSpec, SinkSpec, execute
>>> spec = RunSpec(input=InputSpec(path="posts.csv"), sink=SinkSpec(kind="folder", path="runs/posts"))
>>> summary = execute(spec)  # doctest: +SKIP

See :mod:`affectlens.runs.execute` for what a run does, :mod:`affectlens.runs.manifest`
for what it leaves on disk, :mod:`affectlens.runs.works` and :mod:`affectlens.runs.engines`
for the parts found by name.
"""

from affectlens.runs.execute import RunSummary, execute, rows_of, validate
from affectlens.runs.manifest import Identity, Progress, RunError, RunFolder, RunManifest, Task
from affectlens.runs.sources import Source, resolve_sources
from affectlens.runs.spec import DEFAULT_CHUNK_ROWS, Columns, InputSpec, Named, RunSpec, SinkSpec

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "Columns",
    "Identity",
    "InputSpec",
    "Named",
    "Progress",
    "RunError",
    "RunFolder",
    "RunManifest",
    "RunSpec",
    "RunSummary",
    "SinkSpec",
    "Source",
    "Task",
    "execute",
    "resolve_sources",
    "rows_of",
    "validate",
]
