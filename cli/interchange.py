"""``layernet export`` writes a model as ONNX, .mat or CSV; ``layernet import`` reads .mat thetas or an MLP pickle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

import layernet as ln

from .common import int_list, names, output_path, writable
from .render import say

#: Output formats by file suffix; anything else needs --format.
_SUFFIXES = {".onnx": "onnx", ".mat": "mat"}
_PICKLES = (".pkl", ".pickle", ".joblib")
#: The largest pickle `layernet import` opens (a fitted MLP of millions of weights is far smaller).
MAX_PICKLE_BYTES = 256 << 20


def export(
    model: Annotated[Path, typer.Argument(help="A saved model (.npz).")],
    out: Annotated[
        Path,
        typer.Argument(
            help="Where to write: a .onnx or .mat file, or for --format csv a folder (made if missing).",
            parser=output_path,
        ),
    ],
    format: Annotated[
        Optional[str],
        typer.Option("--format", "-f", help="onnx, mat or csv; default: from OUT's suffix (.onnx, .mat)."),
    ] = None,
    float32: Annotated[
        bool, typer.Option("--float32", help="onnx: a float32 graph (default: the model's type).")
    ] = False,
    unrolled: Annotated[
        bool, typer.Option("--unrolled", help="mat: also write nn_params, Octave's [Theta1(:); Theta2(:)].")
    ] = False,
) -> None:
    """Write MODEL's weights for other tools: ONNX for runtimes, .mat for Octave, CSV for spreadsheets.

    csv writes one file per layer matrix (Theta1.csv, ...: one row per unit, the bias in the first
    column, as Octave's csvread reads them), and mu.csv and sigma.csv for a model that
    standardizes its features.
    """
    kind = format or _SUFFIXES.get(out.suffix.lower())
    if kind is None:
        raise ln.LayerNetError(f"OUT {out}: give --format onnx, mat or csv (the suffix {out.suffix!r} says none)")
    if kind not in ("onnx", "mat", "csv"):
        raise ln.LayerNetError(f"--format must be onnx, mat or csv, got {kind!r}")
    net = ln.load(model)
    if kind == "csv":
        written = _write_csv(net, out)
        say(f"wrote {len(written)} files to {out}: {', '.join(path.name for path in written)}")
        return
    writable(out, "OUT")
    if kind == "onnx":
        ln.to_onnx(net, out, dtype="float32" if float32 else None)
    else:
        ln.to_mat(net, out, unrolled=unrolled)
    say(f"wrote {out} ({kind}, {'-'.join(map(str, net.sizes))} network)")


def _write_csv(net: ln.Network, folder: Path) -> list[Path]:
    if folder.exists() and not folder.is_dir():
        raise ln.LayerNetError(f"OUT {folder}: exists and is not a folder; csv writes one file per layer into a folder")
    try:
        folder.mkdir(exist_ok=True)
    except OSError as failure:
        raise ln.LayerNetError(f"OUT {folder}: cannot be made ({failure.strerror or failure})") from None
    tables = {f"Theta{k}.csv": theta for k, theta in enumerate(net.packer.unpack(net.theta), 1)}
    if net.scaler is not None:
        tables["mu.csv"], tables["sigma.csv"] = net.scaler.mean[None, :], net.scaler.scale[None, :]
    written = []
    for name, matrix in tables.items():
        # repr gives the shortest text that reads back as the same double: the CSV loses nothing.
        text = "".join(",".join(repr(float(v)) for v in row) + "\n" for row in matrix)
        written.append(
            ln.persistence.atomic_write(folder / name, lambda handle, text=text: handle.write(text), mode="w")
        )
    return written


def import_(
    source: Annotated[
        Path, typer.Argument(help="Octave/MATLAB thetas (.mat), or a fitted scikit-learn MLP (.pkl, .joblib).")
    ],
    out: Annotated[Path, typer.Argument(help="The layernet model to write (.npz).", parser=output_path)],
    trust_pickle: Annotated[
        bool,
        typer.Option(
            "--trust-pickle",
            help="Allow SOURCE to be a pickle. Loading a pickle runs code it contains: only for files you made "
            "or trust.",
        ),
    ] = False,
    layers: Annotated[
        Optional[str], typer.Option("--layers", help=".mat: sizes for an unrolled vector, e.g. 400,25,10.")
    ] = None,
    order: Annotated[
        str, typer.Option("--order", help=".mat: the vector's unrolling, F (Octave's Theta(:)) or C (row by row).")
    ] = "F",
    variable: Annotated[Optional[str], typer.Option("--variable", help=".mat: the unrolled vector's name.")] = None,
    hidden: Annotated[str, typer.Option("--hidden", help=".mat: hidden activation(s), e.g. sigmoid or tanh,relu.")] = (
        "sigmoid"
    ),
    output: Annotated[str, typer.Option("--output", help=".mat: the output activation.")] = "sigmoid",
    classes: Annotated[
        Optional[str],
        typer.Option(
            "--classes",
            help=".mat: octave (unit k is label k, from 1) or digits (the course's: label 10 is the digit 0); "
            "default: the file's classes, else octave.",
        ),
    ] = None,
) -> None:
    """Convert Octave/MATLAB thetas or a scikit-learn MLP into a layernet model file.

    A .mat file holds Theta1, Theta2, ... (one row per unit, bias in column 1) or one unrolled
    vector (give --layers). A scikit-learn MLPClassifier or MLPRegressor saved with joblib.dump or
    pickle is read only with --trust-pickle: unpickling runs whatever code the file contains.
    """
    writable(out, "OUT")
    suffix = source.suffix.lower()
    if suffix == ".mat":
        sizes = int_list(layers, "--layers")
        net = ln.from_mat(
            source, sizes, order=order.upper(), variable=variable, hidden=names(hidden), output=output, classes=classes
        )
    elif suffix in _PICKLES:
        given = {"--layers": layers, "--variable": variable, "--classes": classes}
        given.update({"--order": order if order != "F" else None, "--hidden": hidden if hidden != "sigmoid" else None})
        given["--output"] = output if output != "sigmoid" else None
        ignored = [option for option, value in given.items() if value is not None]
        if ignored:  # a scikit-learn model carries its own architecture, activations and classes
            raise ln.LayerNetError(f"{', '.join(ignored)} apply to .mat files; a scikit-learn model brings its own")
        net = ln.from_sklearn(_unpickled(source, trust_pickle))
    else:
        raise ln.LayerNetError(
            f"{source}: import reads .mat files and scikit-learn pickles ({', '.join(_PICKLES)}), "
            f"not {suffix or 'a file without a suffix'}"
        )
    ln.save(net, out)
    say(f"wrote {out}: {'-'.join(map(str, net.sizes))} network ({', '.join(net.activations)}) from {source}")


def _unpickled(path: Path, trusted: bool):
    if not trusted:
        raise ln.LayerNetError(
            f"{path}: a pickle, and loading a pickle runs code it contains; pass --trust-pickle if you made this "
            "file or trust where it came from"
        )
    from layernet._checks import check_regular_file

    status = check_regular_file(path, "pickle", error=ln.ModelFileError)
    if status.st_size > MAX_PICKLE_BYTES:
        raise ln.ModelFileError(f"{path}: is {status.st_size:,} bytes, more than the {MAX_PICKLE_BYTES:,} read here")
    import joblib

    try:
        return joblib.load(path)
    except Exception as failure:  # unpickling can fail in any way the pickled code chooses
        if isinstance(failure, (MemoryError, KeyboardInterrupt)):
            raise
        raise ln.ModelFileError(f"{path}: cannot be unpickled ({type(failure).__name__}: {failure})") from None
