"""Terminal rendering for the CLI: Rich progress bars during a build, the funnel table after."""

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from pixcrawler.builder.dataset import EngineQueries, Funnel
from pixcrawler.records import Candidate, Outcome, Status


class ProgressObserver:
    """Draws one overall bar and one bar per class (kept images, out of ``per_class``)."""

    def __init__(self, console: Console, total: int | None, per_class: int | None) -> None:
        self.per_class = per_class
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.overall = self.progress.add_task("all candidates", total=total, note="")
        self.classes: dict[str, TaskID] = {}
        self.kept = 0

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.progress.stop()

    def on_outcome(self, outcome: Outcome) -> None:
        task = self._class_task(outcome.candidate.label)
        if outcome.status is Status.KEPT:
            self.kept += 1
            self.progress.advance(task)
        self.progress.update(self.overall, advance=1, note=f"kept {self.kept}")

    def on_resumed(self, candidate: Candidate) -> None:
        self.progress.update(self.overall, advance=1)

    def _class_task(self, label: str) -> TaskID:
        if label not in self.classes:
            self.classes[label] = self.progress.add_task(
                f"  {label}", total=self.per_class, note=""
            )
        return self.classes[label]


def funnel_table(funnels: Sequence[Funnel], title: str = "Funnel", first: str = "class") -> Table:
    """The end-of-build summary: candidates → downloaded → valid → unique → kept per class."""
    table = Table(title=title, title_justify="left")
    table.add_column(first)
    for name in ("candidates", "downloaded", "valid", "unique", "kept"):
        table.add_column(name, justify="right")
    for f in funnels:
        table.add_row(f.label, *map(str, (f.candidates, f.downloaded, f.valid, f.unique, f.kept)))
    if len(funnels) > 1:
        totals = [sum(getattr(f, n) for f in funnels) for n in Funnel.__slots__[1:]]
        table.add_row("[b]all[/b]", *map(str, totals))
    return table


def reasons_table(reasons: Sequence[tuple[str, str, int]]) -> Table:
    """The most frequent reasons candidates were not kept."""
    table = Table(title="Top reasons not kept", title_justify="left")
    table.add_column("status")
    table.add_column("reason")
    table.add_column("count", justify="right")
    for status, reason, count in reasons:
        table.add_row(status, reason, str(count))
    return table


def engines_table(engines: Sequence[EngineQueries]) -> Table:
    """Per-engine discovery: queries issued and failed, pages read, candidates found."""
    table = Table(title="Engines", title_justify="left")
    for name, justify in (("engine", "left"), ("queries", "right"), ("failed", "right"),
                          ("pages", "right"), ("candidates", "right")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for e in engines:
        table.add_row(e.engine, *map(str, (e.queries, e.failed, e.pages, e.candidates)))
    return table
