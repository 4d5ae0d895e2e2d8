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


def confusion_table(evaluation) -> Table:
    """Rows: actual class; columns: predicted class."""
    table = Table(title="confusion matrix (rows: actual, columns: predicted)", title_justify="left")
    table.add_column("actual \\ predicted", style="bold")
    labels = [str(c) for c in evaluation.classes.tolist()]
    for label in labels:
        table.add_column(label, justify="right")
    for i, label in enumerate(labels):
        cells = [f"[green]{n}[/]" if i == j and n else str(n) for j, n in enumerate(evaluation.confusion[i].tolist())]
        table.add_row(label, *cells)
    return table


def gradcheck_table(net, report, tolerance: float) -> Table:
    """The relative difference per layer and overall."""
    table = Table(title="gradient check (central differences, epsilon 1e-4)", title_justify="left")
    table.add_column("layer")
    table.add_column("shape", justify="right")
    table.add_column("activation")
    table.add_column("relative difference", justify="right")
    for index, (layer, value) in enumerate(zip(net.layers, report.per_layer), start=1):
        table.add_row(str(index), f"{layer.n_out} x {layer.n_in + 1}", layer.activation.name, f"{value:.3e}")
    style = "green" if report.relative_difference < tolerance else "red"
    verdict = "pass" if report.relative_difference < tolerance else "FAIL"
    table.add_row(
        "all", str(net.n_params), "", f"[{style}]{report.relative_difference:.3e} {verdict} (< {tolerance:g})[/]"
    )
    return table


def model_table(path, net, metadata: dict) -> Table:
    """What a saved model is and how it was trained."""
    table = Table(title=str(path), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    classes = "—" if net.classes_ is None else ", ".join(map(str, net.classes_.tolist()))
    rows = [
        ("architecture", "-".join(map(str, net.sizes))),
        ("activations", ", ".join(net.activations)),
        ("parameters", str(net.n_params)),
        ("classes", classes),
        ("feature scaling", "standardized (saved with the model)" if net.scaler is not None else "none"),
    ]
    training = metadata.get("training") or {}
    if training:
        rows.append(("trained with", f"{training.get('method', '?')}, lambda = {training.get('lambda', '?')}"))
        if training.get("data"):
            rows.append(("data", f"{training['data']}, seed {training.get('seed', '?')}"))
        rows.append(("cost", _number(training.get("cost"))))
        rows.append(("train accuracy", percent(training.get("train_accuracy"))))
        if training.get("test_accuracy") is not None:
            rows.append(("test accuracy", percent(training["test_accuracy"])))
        rows.append(
            ("iterations", f"{training.get('iterations', '?')} ({training.get('evaluations', '?')} evaluations)")
        )
        rows.append(("status", str(training.get("status", "?"))))
    rows.append(
        (
            "file",
            f"format {metadata['format_version']}, layernet {metadata.get('layernet_version', '?')}, "
            f"{metadata.get('created', '')}",
        )
    )
    for name, value in rows:
        table.add_row(name, value)
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
