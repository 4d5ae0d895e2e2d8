"""How the CLI shows things: rich tables, one-line errors, a live training progress bar.

rich is imported on first use, not with the module: ``layernet --help`` (plain click help) never
needs it, and it is about a third of the help's time.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

_CONSOLES: dict[bool, Console] = {}


def console(stderr: bool = False) -> Console:
    """The rich console on stdout (or stderr), made on first use and kept."""
    if stderr not in _CONSOLES:
        from rich.console import Console

        _CONSOLES[stderr] = Console(stderr=stderr)
    return _CONSOLES[stderr]


def display(renderable) -> None:
    """Print a table (or any rich renderable) on stdout."""
    console().print(renderable)


def literal(value, style: str | None = None) -> Text:
    """``value`` as text that is shown as it is: user text (paths, labels, names) is never markup."""
    from rich.text import Text

    return value if isinstance(value, Text) else Text(str(value), style=style or "")


def say(message: str, *, stderr: bool = False, style: str | None = None) -> None:
    """Print one line of plain text, literally (no markup, no highlighting), on stdout by default."""
    console(stderr).print(message, style=style, markup=False, highlight=False, soft_wrap=True)


def error(message: str) -> None:
    """One red line on stderr: what went wrong, no traceback."""
    say(f"error: {message}", stderr=True, style="bold red")


def percent(value) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def summary_table(metrics: dict) -> Table:
    """The run summary: architecture, cost, accuracies, iterations, evaluations, time, status."""
    from rich.table import Table

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
        ("status", literal(metrics["status"], status_style)),
    ]
    for name, value in rows:
        table.add_row(name, literal(value))
    if not metrics["converged"]:
        table.add_row("message", literal(metrics["message"]))
    return table


def confusion_table(evaluation) -> Table:
    """Rows: actual class; columns: predicted class."""
    from rich.table import Table

    table = Table(title="confusion matrix (rows: actual, columns: predicted)", title_justify="left")
    table.add_column("actual \\ predicted", style="bold")
    labels = [str(c) for c in evaluation.classes.tolist()]
    for label in labels:
        table.add_column(literal(label), justify="right")
    for i, label in enumerate(labels):
        cells = [literal(n, "green" if i == j and n else None) for j, n in enumerate(evaluation.confusion[i].tolist())]
        table.add_row(literal(label), *cells)
    return table


def gradcheck_table(net, report, tolerance: float) -> Table:
    """The relative difference per layer and overall, each marked pass or FAIL against its limit."""
    from rich.table import Table

    method = "Richardson-extrapolated" if report.method == "richardson" else "central differences"
    epsilon = f"{report.epsilon:.0e}".replace("e-0", "e-")
    table = Table(title=f"gradient check ({method}, epsilon {epsilon})", title_justify="left")
    table.add_column("layer")
    table.add_column("shape", justify="right")
    table.add_column("activation")
    table.add_column("relative difference", justify="right")
    for index, (layer, value, limit) in enumerate(zip(net.layers, report.per_layer, report.per_layer_limit), start=1):
        cell = _checked(value, limit, tolerance)
        table.add_row(str(index), f"{layer.n_out} x {layer.n_in + 1}", literal(layer.activation.name), cell)
    table.add_row(
        "all", str(net.n_params), "", _checked(report.relative_difference, report.limit, tolerance, always=True)
    )
    return table


def _checked(value: float, limit: float, tolerance: float, always: bool = False) -> Text:
    # The limit is the tolerance unless rounding noise in the cost allows less (a tiny gradient).
    style, verdict = ("green", "pass") if value < limit else ("red", "FAIL")
    bound = f" (< {tolerance:g})" if always and limit <= tolerance else ""
    if limit > tolerance:
        bound = f" (< {limit:.1e}, rounding)"
    return literal(f"{value:.3e} {verdict}{bound}", style)


def model_table(path, net, metadata: dict) -> Table:
    """What a saved model is and how it was trained."""
    from rich.table import Table

    table = Table(title=literal(path), show_header=False, title_justify="left")
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
        table.add_row(name, literal(value))
    return table


def _number(value) -> str:
    return "nan" if value is None or not math.isfinite(value) else f"{value:.6f}"


class TrainingProgress:
    """A rich progress bar fed by the library's per-iteration callback; silent when disabled."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.enabled = enabled
        self.progress = Progress(
            TextColumn("training"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("cost {task.fields[cost]}"),
            TimeElapsedColumn(),
            console=console(stderr=True),
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


# -- layernet study -------------------------------------------------------------------------------


def plus_minus(mean, std) -> str:
    """``"97.1 ± 1.2"`` in percent (the ± part left out when the spread is unknown)."""
    if mean is None or not math.isfinite(mean):
        return "—"
    if std is None or not math.isfinite(std):
        return f"{100 * mean:.1f}"
    return f"{100 * mean:.1f} ± {100 * std:.1f}"


def study_table(result, top: int = 5) -> Table:
    """The best configurations of a study by mean validation accuracy, and the chosen one.

    The rows are the ``top`` highest means; the study's choice (by its rule) is added below them
    when it is not among them. The last column says which row is which choice.
    """
    from rich import box
    from rich.table import Table

    ranked = result.ranked()
    settings = result.settings
    repeats = getattr(settings, "repeats", 1)
    scores = f"{settings.folds}-fold cross-validation" + (f" repeated {repeats} times" if repeats > 1 else "")
    table = Table(
        title=f"best {min(top, len(ranked))} of {settings.n_configurations} configurations by mean validation "
        f"accuracy, {scores} on {len(result.data.y_train)} samples",
        title_justify="left",
        caption="depth: hidden layers; width: units per hidden layer; params: weights and biases; train: "
        "training accuracy, validation: validation accuracy (mean ± std over folds), in %; SE: standard error "
        "of the mean validation accuracy; conv.: folds converged; chosen: the study's choice (by default the "
        "one-SE rule: the simplest within one SE of the best mean), best mean: the highest mean, both: the two agree",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for name in ("#", "depth", "width", "lambda", "params", "train", "validation", "SE", "conv.", "choice"):
        table.add_column(name, justify="left" if name == "choice" else "right", no_wrap=True)
    rows = list(enumerate(ranked[:top], start=1))
    if result.best is not None and result.best not in ranked[:top]:
        rows.append((ranked.index(result.best) + 1, result.best))
    for rank, item in rows:
        marks = []
        if result.best is not None and item.key == result.best.key:
            marks.append("chosen")
        if result.best_mean is not None and item.key == result.best_mean.key:
            marks.append("best mean")
        if result.one_se is not None and item.key == result.one_se.key and "chosen" not in marks:
            marks.append("one-SE rule")
        if marks == ["chosen", "best mean"]:
            marks = ["both"]
        table.add_row(
            str(rank),
            str(item.depth),
            str(item.width),
            f"{item.lambda_:g}",
            str(item.n_parameters),
            plus_minus(item.train_accuracy_mean, None),
            plus_minus(item.validation_accuracy_mean, item.validation_accuracy_std),
            "—" if not math.isfinite(item.validation_accuracy_se) else f"{100 * item.validation_accuracy_se:.1f}",
            f"{item.n_converged}/{item.n_folds}",
            ", ".join(marks),
            style="bold green" if marks and marks[0] in ("chosen", "both") else None,
        )
    return table


def refit_line(result) -> str:
    """One sentence: the chosen configuration (and the rule), refit on all study data, and its test accuracy."""
    refit = result.refit
    if refit is None:
        return "no configuration has all its folds recorded, so none was chosen"
    rule = "the one-standard-error rule" if result.rule == "one-se" else "the best mean validation accuracy"
    layers = f"{_count(refit.depth, 'hidden layer')} of {_count(refit.width, 'unit')}"
    text = (
        f"chosen by {rule}: {layers}, lambda = {refit.lambda_:g}; refit on {refit.n_train} samples: "
        f"train accuracy {percent(refit.train_accuracy)}"
    )
    if refit.test_accuracy is None:
        return text + "; no test set was held out (test size 0)"
    return text + f", test accuracy {percent(refit.test_accuracy)} on {refit.n_test} held-out samples"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


class StudyProgressBar:
    """A rich progress bar over a study's fits (done / total, time left); silent when disabled.

    Called with the library's ``StudyProgress`` (``done``, ``total``), or with ``(done, total)``.
    """

    def __init__(self, enabled: bool, label: str = "fits") -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.enabled = enabled
        self.progress = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            console=console(stderr=True),
            transient=True,
        )
        self.task = None
        self.done = 0
        self.total = 0
        self.skipped = 0

    def __enter__(self) -> StudyProgressBar:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.progress.stop()

    def __call__(self, info, total: int | None = None) -> None:
        if total is None:
            self.done, self.total, self.skipped = info.done, info.total, info.skipped
        else:
            self.done, self.total = info, total
        if not self.enabled:
            return
        if self.task is None:
            self.task = self.progress.add_task("study", total=self.total, completed=self.done)
        else:
            self.progress.update(self.task, completed=self.done, total=self.total)
