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


def _lambda_text(metrics: dict) -> str:
    """``0.001``, or for an auto run the lambda reached and what the evidence made of the network."""
    if not metrics.get("lambda_auto"):
        return f"{metrics['lambda']:g}"
    evidence = metrics.get("evidence") or {}
    settled = "settled" if evidence.get("settled") else "not settled"
    effective = evidence.get("effective_parameters")
    parts = [f"{evidence.get('cycles', 0)} re-estimation(s), {settled}"]
    if effective is not None and effective == effective:  # NaN when stopped before the first
        parts.insert(0, f"{effective:.1f} effective parameters")
    return f"auto -> {metrics['lambda']:.4g} ({', '.join(parts)})"


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
        ("method", f"{metrics['method']}, lambda = {_lambda_text(metrics)}"),
        ("cost", _number(metrics["cost"])),
    ]
    if metrics.get("task") == "regression":
        inferred = " (inferred from the identity output)" if metrics.get("task_inferred") else ""
        rows.insert(0, ("task", f"regression{inferred}"))
        for part in ("train", "test"):
            if metrics.get(f"{part}_rmse") is not None:
                errors = f"{_number(metrics[f'{part}_rmse'])} / {_number(metrics[f'{part}_mae'])}"
                rows.append((f"{part} RMSE / MAE", errors))
                rows.append((f"{part} R²", _number(metrics[f"{part}_r2"])))
        if metrics.get("validation_r2") is not None:
            rows.append(("validation R²", f"{_number(metrics['validation_r2'])} ({metrics['n_validation']} held out)"))
            rows.append(("best iteration", str(metrics["best_iteration"])))
    else:
        rows.append(("train accuracy", percent(metrics["train_accuracy"])))
        if metrics["test_accuracy"] is not None:
            rows.append(("test accuracy", percent(metrics["test_accuracy"])))
        named = [str(c) for c in metrics.get("classes") or () if isinstance(c, str)]
        if named:  # class names (iris' species); plain 0, 1, ... say nothing the accuracy does not
            rows.insert(3, ("classes", ", ".join(named)))
        if metrics.get("validation_accuracy") is not None:
            held = f"{percent(metrics['validation_accuracy'])} ({metrics['n_validation']} held out)"
            rows.append(("validation accuracy", held))
            rows.append(("best iteration", str(metrics["best_iteration"])))
    status_style = "green" if metrics["converged"] else "yellow"
    rows += [
        ("iterations", str(metrics["iterations"])),
        ("evaluations", str(metrics["evaluations"])),
        *([("Hessian products", str(metrics["hessp_products"]))] if metrics.get("hessp_products") else []),
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


def model_table(path, net, metadata: dict, missing=()) -> Table:
    """What a saved model is and how it was trained; from its metadata alone when ``net`` is None.

    ``missing`` names activations that are not registered here (marked in the table).
    """
    from rich.table import Table

    table = Table(title=literal(path), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    if net is not None:
        classes = "—" if net.classes_ is None else ", ".join(map(str, net.classes_.tolist()))
        sizes, activations, n_params = net.sizes, net.activations, net.n_params
        scaled, regression = net.scaler is not None, net.is_regressor
    else:
        layers = metadata["network"]["layers"]
        sizes = [layers[0].get("n_in", "?"), *(layer.get("n_out", "?") for layer in layers)]
        activations = [str(layer.get("activation", "?")) for layer in layers]
        n_params = metadata.get("n_params", "?")
        values = (metadata.get("classes") or {}).get("values") if isinstance(metadata.get("classes"), dict) else None
        classes = "—" if not isinstance(values, list) else ", ".join(map(str, values))
        scaled = bool(metadata.get("scaler"))
        # As Network.get_config records it: a task only when the output does not imply it.
        task = metadata["network"].get("task")
        regression = task == "regression" or (task is None and activations[-1:] == ["identity"])
    shown = [f"{name} (not registered here)" if name in missing else name for name in activations]
    rows = [
        ("architecture", "-".join(map(str, sizes))),
        ("activations", ", ".join(shown)),
        ("parameters", str(n_params)),
        ("task", "regression") if regression else ("classes", classes),
        ("feature scaling", "standardized (saved with the model)" if scaled else "none"),
    ]
    if net is not None and net.feature_names is not None:
        rows.append(("features", _names(net.feature_names)))
    if net is not None and net.label_name is not None:
        rows.append(("label column", net.label_name))
    training = metadata.get("training") or {}
    if training:
        lambda_ = training.get("lambda", "?")
        evidence = training.get("evidence")
        if isinstance(evidence, dict) and isinstance(lambda_, (int, float)) and not isinstance(lambda_, bool):
            # lambda_="auto": say so, with what the evidence made of the network.
            effective = evidence.get("effective_parameters")
            known = isinstance(effective, (int, float)) and math.isfinite(effective)
            lambda_ = f"auto -> {lambda_:.4g}" + (f" ({effective:.1f} effective parameters)" if known else "")
        rows.append(("trained with", f"{training.get('method', '?')}, lambda = {lambda_}"))
        if training.get("data"):
            rows.append(("data", f"{training['data']}, seed {training.get('seed', '?')}"))
        rows.append(("cost", _number(training.get("cost"))))
        if regression:
            for part in ("train", "test"):
                if isinstance(training.get(f"{part}_r2"), (int, float)):
                    rows.append((f"{part} R²", _number(training[f"{part}_r2"])))
        else:
            rows.append(("train accuracy", percent(training.get("train_accuracy"))))
            if training.get("test_accuracy") is not None:
                rows.append(("test accuracy", percent(training["test_accuracy"])))
        if training.get("validation_accuracy") is not None:
            rows.append(("validation accuracy", percent(training["validation_accuracy"])))
            rows.append(("best iteration", str(training.get("best_iteration", "?"))))
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


def _names(names: list[str], shown: int = 20) -> str:
    text = ", ".join(names[:shown])
    return text if len(names) <= shown else f"{text}, ... ({len(names)} in all)"


def _number(value) -> str:
    return "nan" if value is None or not math.isfinite(value) else f"{value:.6f}"


class TrainingProgress:
    """The live training display on stderr, fed by the library's per-iteration callback.

    Two lines (three with validation), so that everything fits an 80-column terminal::

        training  iteration 412  cost 0.133091 (Δ -6.4e-07)  1087 evaluations
        max|grad| 4.0e-04 ━━━━━━━━━━━━━━━━━━━━━━━━━━━━╺━━━━━━━━━━━━━━━━━━━ tol 1e-05  0:00:03
        validation 95.0 % (best: iteration 380)

    The first line: iteration, cost and its change over the last iteration, evaluations. The
    second: the largest gradient component -- the value the ``tol`` test compares, the real
    distance to "converged" -- with a bar on a log scale from the first iteration's value to
    ``tol``, full when training converges, and the elapsed time. The third, when the
    callback's info carries them: validation accuracy and the best iteration. (``max_iter`` is no measure
    of progress: CG usually converges long before its default of 200 x parameters.) Built on
    rich's ``Progress`` (a column of its own, ``disable=``, ``transient``); disabled, it
    draws nothing.
    """

    #: The bar's resolution: log-distance to ``tol`` in thousandths.
    STEPS = 1000

    def __init__(self, enabled: bool, tol: float) -> None:
        self.enabled = enabled
        self.tol = tol
        self.first = None  # the first iteration's max |grad|, the bar's empty end
        self.previous = None
        self._fields = {
            "completed": 0, "iteration": None, "cost": "…", "change": "…", "grad": "…", "evaluations": 0,
            "validation": "",
        }  # fmt: skip
        self._progress = None
        if enabled:
            self.progress  # noqa: B018 - built now, to draw from the start

    @property
    def progress(self):
        """rich's ``Progress``, built on first use: disabled (stderr is no terminal), a run never
        needs it, nor the import of ``rich.progress`` and an update per iteration."""
        if self._progress is None:
            from rich.progress import Progress

            self._progress = Progress(
                _training_column(),
                console=console(stderr=True),
                transient=True,
                disable=not self.enabled,
            )
            self.task = self._progress.add_task("train", total=self.STEPS, tol=f"{self.tol:.0e}", **self._fields)
        return self._progress

    def __enter__(self) -> TrainingProgress:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    def fraction(self, grad_max: float) -> float:
        """How far ``grad_max`` has come from the first iteration's value to ``tol``, on a log scale (0..1)."""
        if not math.isfinite(grad_max) or self.first is None:
            return 0.0
        if grad_max <= self.tol:
            return 1.0
        if self.first <= self.tol or grad_max >= self.first:
            return 0.0
        return math.log(self.first / grad_max) / math.log(self.first / self.tol)

    def __call__(self, info) -> None:
        grad = getattr(info, "grad_max", math.nan)
        if not math.isfinite(grad):  # a library without grad_max: the 2-norm bounds it from above
            grad = info.grad_norm
        if self.first is None:
            self.first = grad
        change = "…" if self.previous is None else f"{info.cost - self.previous:+.1e}"
        self.previous = info.cost
        self._fields = {
            "completed": round(self.STEPS * self.fraction(grad)),
            "iteration": info.iteration,
            "cost": _number(info.cost),
            "change": change,
            "grad": f"{grad:.1e}",
            "evaluations": info.evaluations,
            "validation": validation_text(info),
        }
        if self._progress is not None:
            self._progress.update(self.task, **self._fields)


def _training_column():
    """A rich progress column drawing :class:`TrainingProgress`'s two lines for its task."""
    from rich.console import Group
    from rich.progress import ProgressColumn
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    class TrainingColumn(ProgressColumn):
        def render(self, task):
            fields = task.fields
            elapsed = int(task.elapsed or 0)
            clock = f"{elapsed // 3600}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}"
            if fields["iteration"] is None:  # before the first iteration: data, kernels, first evaluations
                top = Text.assemble(("training", "bold"), "  starting")
            else:
                top = Text.assemble(
                    ("training", "bold"),
                    f"  iteration {fields['iteration']}  cost {fields['cost']} (Δ {fields['change']})  "
                    f"{fields['evaluations']} evaluations",
                )
            bottom = Table.grid(expand=True, padding=(0, 1))
            bottom.add_column(no_wrap=True)
            bottom.add_column(ratio=1)
            bottom.add_column(no_wrap=True)
            bar = ProgressBar(total=task.total, completed=task.completed)
            right = Text.assemble(f"tol {fields['tol']}  ", (clock, "yellow"))
            bottom.add_row(f"max|grad| {fields['grad']}", bar, right)
            lines = [top, bottom]
            if fields["validation"]:
                lines.append(Text(fields["validation"]))
            return Group(*lines)

    return TrainingColumn()


def validation_text(info) -> str:
    """``validation 95.0 % (best: iteration 120)`` when the info carries validation, else nothing."""
    accuracy = getattr(info, "validation_accuracy", None)
    best = getattr(info, "best_iteration", None)
    if accuracy is None:
        return ""
    text = f"validation {percent(accuracy)}"
    return text if best is None else f"{text} (best: iteration {best})"


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
        "of the mean validation accuracy; conv.: folds converged; lambda auto: chosen by each fit's evidence (the "
        "mean reached), eff.: its mean effective number of parameters; chosen: the study's choice (by default the "
        "one-SE rule: the simplest within one SE of the best mean), best mean: the highest mean, both: the two agree",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    auto = any(item.lambda_ == "auto" for item in ranked)
    columns = ["#", "depth", "width", "lambda", "params", "train", "validation", "SE", "conv.", "choice"]
    if auto:
        columns.insert(5, "eff.")
    for name in columns:
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
        cells = [
            str(rank),
            str(item.depth),
            str(item.width),
            study_lambda(item),
            str(item.n_parameters),
            plus_minus(item.train_accuracy_mean, None),
            plus_minus(item.validation_accuracy_mean, item.validation_accuracy_std),
            "—" if not math.isfinite(item.validation_accuracy_se) else f"{100 * item.validation_accuracy_se:.1f}",
            f"{item.n_converged}/{item.n_folds}",
            ", ".join(marks),
        ]
        if auto:
            effective = item.effective_parameters_mean
            cells.insert(5, "" if effective is None else f"{effective:.1f}")
        table.add_row(*cells, style="bold green" if marks and marks[0] in ("chosen", "both") else None)
    return table


def study_lambda(item) -> str:
    """A study configuration's lambda: ``0.1``, or ``auto 0.0123`` (the lambda reached, mean over folds)."""
    if item.lambda_ != "auto":
        return f"{item.lambda_:g}"
    reached = getattr(item, "lambda_reached_mean", getattr(item, "lambda_reached", math.nan))
    return f"auto {reached:.3g}"


def refit_line(result) -> str:
    """One sentence: the chosen configuration (and the rule), refit on all study data, and its test accuracy."""
    refit = result.refit
    if refit is None:
        return "no configuration has all its folds recorded, so none was chosen"
    rule = "the one-standard-error rule" if result.rule == "one-se" else "the best mean validation accuracy"
    layers = f"{_count(refit.depth, 'hidden layer')} of {_count(refit.width, 'unit')}"
    text = (
        f"chosen by {rule}: {layers}, lambda = {study_lambda(refit)}; refit on {refit.n_train} samples: "
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
