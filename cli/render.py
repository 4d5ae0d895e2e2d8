"""How the CLI shows things: rich tables, one-line errors, a live training progress bar."""

from __future__ import annotations

import math

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

err = Console(stderr=True)
out = Console()


def error(message: str) -> None:
    """One red line on stderr: what went wrong, no traceback."""
    err.print(f"error: {message}", style="bold red", markup=False, highlight=False, soft_wrap=True)


def percent(value) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def summary_table(metrics: dict) -> Table:
    """The run summary: architecture, cost, accuracies, iterations, evaluations, time, status."""
    table = Table(title="layernet train", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    activations = ", ".join(metrics["activations"])
    rows = [
        ("architecture", f"{metrics['architecture']} ({activations})"),
        ("parameters", str(metrics["n_parameters"])),
        ("data", f"{metrics['data']}: {metrics['n_train']} train, {metrics['n_test']} test"),
        ("method", f"{metrics['method']}, lambda = {metrics['lambda']:g}"),
        ("cost", _number(metrics["cost"])),
        ("train accuracy", percent(metrics["train_accuracy"])),
    ]
    if metrics["test_accuracy"] is not None:
        rows.append(("test accuracy", percent(metrics["test_accuracy"])))
    status_style = "green" if metrics["converged"] else "yellow"
    rows += [
        ("iterations", str(metrics["iterations"])),
        ("evaluations", str(metrics["evaluations"])),
        ("time", f"{metrics['seconds']:.3f} s"),
        ("status", f"[{status_style}]{metrics['status']}[/]"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    if not metrics["converged"]:
        table.add_row("message", metrics["message"])
    return table


def _number(value) -> str:
    return "nan" if value is None or not math.isfinite(value) else f"{value:.6f}"


class TrainingProgress:
    """A rich progress bar fed by the library's per-iteration callback; silent when disabled."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self.enabled = enabled
        self.progress = Progress(
            TextColumn("training"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("cost {task.fields[cost]}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self.total = total
        self.task = None

    def __enter__(self) -> TrainingProgress:
        if self.enabled:
            self.progress.start()
            self.task = self.progress.add_task("train", total=self.total, cost="—")
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.progress.stop()

    def __call__(self, info) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=info.iteration, total=info.max_iter, cost=f"{info.cost:.6f}")
