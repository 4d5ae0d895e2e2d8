"""``layernet evaluate`` measures a saved model on data; ``layernet predict`` labels a CSV's rows."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

import layernet as ln

from .common import ImportOption, import_activations, output_path, writable
from .render import confusion_table, display, say


def _evaluation_data(model: ln.Network, data: Path | None, label: str | None):
    """Features and labels to evaluate on: a CSV, a configuration, or the model's own run."""
    if data is not None and data.suffix.lower() == ".csv":
        column = _label_column(model) if label is None else int(label) if label.lstrip("-").isdigit() else label
        dataset = ln.datasets.read_csv(data, label=column, task=model.task, feature_names=model.feature_names)
        return dataset.X, dataset.y, f"{data} (labels: column {dataset.label_name!r})"
    if data is not None:
        cfg = ln.RunConfig.from_toml(data)
    else:
        cfg = ln.runner.recorded_config(model)
    split = ln.load_data(cfg)
    if len(split.y_test):
        return split.X_test, split.y_test, f"{split.dataset.name} test split ({len(split.y_test)} samples)"
    return split.X_train, split.y_train, f"{split.dataset.name} ({len(split.y_train)} samples, the training data)"


def _label_column(model: ln.Network):
    """The label column the model was trained with: its name, else a CSV run's configured one, else the last."""
    if model.label_name is not None:
        return model.label_name
    recorded = model.training_summary.get("config") if isinstance(model.training_summary, dict) else None
    data = recorded.get("data") if isinstance(recorded, dict) else None
    if isinstance(data, dict) and data.get("source") == "csv" and isinstance(data.get("label"), (int, str)):
        return data["label"]
    return -1


def evaluate(
    model: Annotated[Path, typer.Argument(help="A saved model (.npz).")],
    data: Annotated[
        Optional[Path],
        typer.Argument(help="A config (.toml) or a CSV; default: the data the model was trained on."),
    ] = None,
    label: Annotated[
        Optional[str],
        typer.Option(
            "--label",
            help="CSV label column, by name or index; default: the one the model was trained with, else the last.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")] = False,
    imports: ImportOption = None,
) -> None:
    """Accuracy, cost and confusion matrix of MODEL on DATA (its test split, if it has one).

    A regression model gets RMSE, MAE, R² and its cost.
    """
    import_activations(imports)
    net = ln.load(model)
    X, y, description = _evaluation_data(net, data, label)
    result = ln.evaluate(net, X, y)
    if as_json:
        print(json.dumps(ln.persistence.json_safe({**result.to_dict(), "data": description}), indent=2))
        return
    say(f"{model}: {description}")
    if net.is_regressor:
        say(f"RMSE {result.rmse:.6g}, MAE {result.mae:.6g}, R² {result.r2:.4f}, cost {result.cost:.6f} (unregularized)")
        return
    say(f"accuracy {100 * result.accuracy:.1f} %, cost {result.cost:.6f} (unregularized)")
    display(confusion_table(result))


def predict(
    model: Annotated[Path, typer.Argument(help="A saved model (.npz).")],
    features: Annotated[
        Path,
        typer.Argument(
            help="A CSV of feature columns. With a header, columns are matched to the model's feature names "
            "(any order; its label column is left out); without one, taken by position."
        ),
    ],
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", parser=output_path, help="Write the CSV here, not stdout.")
    ] = None,
    proba: Annotated[bool, typer.Option("--proba", help="Add one probability column per class.")] = False,
    imports: ImportOption = None,
) -> None:
    """Predict one label per row of FEATURES.csv (a regression model: one value per output)."""
    import_activations(imports)
    net = ln.load(model)
    writable(output, "--output")
    X, dropped = ln.datasets.read_features(
        features, net.n_features, feature_names=net.feature_names, label_name=net.label_name
    )
    if dropped is not None:
        say(f"{features}: left out the label column {dropped!r}", stderr=True)
    labels = net.predict(X)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if net.is_regressor:
        if proba:
            raise ln.LayerNetError("--proba is for classifiers; this model is a regression and predicts values")
        values = labels.reshape(len(X), -1)
        writer.writerow(["value"] if values.shape[1] == 1 else [f"value_{k + 1}" for k in range(values.shape[1])])
        writer.writerows([repr(float(v)) for v in row] for row in values)
    elif proba:
        probabilities = net.predict_proba(X)
        writer.writerow(["label", *[f"p_{c}" for c in net._class_labels().tolist()]])
        for label, row in zip(labels.tolist(), probabilities):
            writer.writerow([label, *(f"{p:.6g}" for p in row)])
    else:
        writer.writerow(["label"])
        writer.writerows([label] for label in labels.tolist())
    if output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        ln.persistence.atomic_write(output, lambda handle: handle.write(buffer.getvalue()), mode="w")
