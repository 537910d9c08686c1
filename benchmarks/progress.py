"""The benchmarks' progress display: one bar for the run (phases done), one for the phase running."""

from __future__ import annotations

from collections.abc import Callable

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from benchmarks.run import console


class PhaseBar:
    def __init__(self, title: str, phases: int, unit: str = "") -> None:
        self.unit = unit
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.run: TaskID = self.progress.add_task(f"{title} (phases)", total=phases)
        self.phase: TaskID = self.progress.add_task("", total=1)

    def start(self, description: str, total: float) -> Callable[[float], None]:
        """Start a phase of `total` units; returns the function that reports how far it is."""
        suffix = f" ({self.unit})" if self.unit else ""
        self.progress.reset(self.phase, total=max(total, 1e-3), description=f"  {description}{suffix}")
        return lambda done: self.progress.update(self.phase, completed=min(done, total))

    def done(self) -> None:
        self.progress.advance(self.run)
