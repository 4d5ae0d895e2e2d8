"""Hardening: the command line at its edges (issue 10, items 2, 6, 7 and 8).

User text printed literally (file names and labels that look like rich markup); a diverged run
that saves nothing and exits 1; inputs that used to end in tracebacks (impossible generators,
memory an architecture cannot have, nesting, device nodes and FIFOs as configs, too many
threads); SIGINT and SIGTERM sent to a real ``layernet train`` at several moments; and mutated
configurations that must end in exit code 0, 1 or 2, never a traceback.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import layernet as ln
from layernet_cli.app import app

runner = CliRunner()
FAST = "seed = 0\n[data]\nn_samples = 40\n[training]\nmax_iter = 5\n"


def _red_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def _one_clean_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = _red_lines(result.output)
    assert len(lines) == 1, result.output
    return lines[0]


def _labelled_csv(path: Path, labels) -> Path:
    rng = np.random.default_rng(0)
    rows = ["x1,x2,label"]
    for i in range(40):
        label = labels[i % len(labels)]
        x = rng.normal(size=2) + 3 * (i % len(labels))
        rows.append(f"{x[0]:.4f},{x[1]:.4f},{label}")
    path.write_text("\n".join(rows) + "\n")
    return path


# -- item 6: user text is never markup -------------------------------------------------------------


@pytest.mark.parametrize("name", ["[/]m.npz", "model[v2].npz", "[bold]x[/bold].npz"])
def test_markup_looking_save_names_are_printed_and_written_literally(tmp_path, name):
    config = tmp_path / "fast.toml"
    config.write_text(FAST)
    target = tmp_path / name
    target.parent.mkdir(exist_ok=True)  # "[/]m.npz" is m.npz in a folder named "["
    result = runner.invoke(app, ["train", str(config), "--save", str(target)])
    assert result.exit_code == 0, result.output
    assert f"model written to {target}" in result.output
    assert target.is_file()
    shown = runner.invoke(app, ["show", str(target)])
    assert shown.exit_code == 0, shown.output
    assert str(target) in shown.output.replace("\n", "")  # the title may wrap


def test_markup_looking_labels_survive_train_evaluate_and_show(tmp_path):
    labels = ["[/]", "[red]b"]
    data = _labelled_csv(tmp_path / "labels.csv", labels)
    config = tmp_path / "csv.toml"
    config.write_text(f"seed = 0\n[data]\nsource = 'csv'\npath = '{data.name}'\n[training]\nmax_iter = 30\n")
    model = tmp_path / "m.npz"
    trained = runner.invoke(app, ["train", str(config), "--save", str(model)])
    assert trained.exit_code == 0, trained.output
    evaluated = runner.invoke(app, ["evaluate", str(model), str(data)])
    assert evaluated.exit_code == 0, evaluated.output
    shown = runner.invoke(app, ["show", str(model)])
    assert shown.exit_code == 0, shown.output
    for label in labels:
        assert label in evaluated.output
        assert label in shown.output


# -- item 2: a diverged run saves nothing ------------------------------------------------------------


def test_a_diverged_run_exits_1_and_leaves_the_existing_model_alone(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2)) * 1e200
    rows = ["x1,x2,label", *(f"{float(a)!r},{float(b)!r},{i % 2}" for i, (a, b) in enumerate(X))]
    (tmp_path / "huge.csv").write_text("\n".join(rows) + "\n")
    config = tmp_path / "huge.toml"
    config.write_text(
        "seed = 0\n[data]\nsource = 'csv'\npath = 'huge.csv'\n"
        "[network]\nlayers = [2, 4, 2]\nhidden = 'relu'\noutput = 'identity'\ntask = 'classification'\n"
        "[training]\nmax_iter = 20\n"
    )
    existing = tmp_path / "good.npz"
    ln.save(ln.Network([2, 3, 2]).init(seed=0), existing)
    before = existing.read_bytes()
    result = runner.invoke(app, ["train", str(config), "--save", str(existing)])
    line = _one_clean_error(result)
    assert "diverged" in line and str(existing) in line
    assert existing.read_bytes() == before
    assert "model written" not in result.output


# -- item 7: inputs that used to end in tracebacks ---------------------------------------------------

_DEEP = "a = " + "{b = " * 400 + "1" + "}" * 400 + "\n"


@pytest.mark.parametrize(
    "toml, options, expected",
    [
        (
            "[data]\nsource = 'classification'\nn_features = 2\nn_classes = 5\n[network]\nlayers = [2, 3, 5]\n",
            [],
            "data.n_features >= 3",
        ),
        ("[data]\nsource = 'blobs'\nnoise = 1e308\n", [], "data.noise must be at most"),
        ("[data]\nn_samples = 1000000000000\n", [], "data.n_samples = 1,000,000,000,000 needs at least"),
        ("", ["--layers", "2,100000000,2"], "needs at least"),
        ("", ["--layers", "2,99999999999999999999,2"], "needs at least"),
        (_DEEP, [], "nested too deeply"),
    ],
    ids=["classification-classes", "blobs-noise", "n_samples", "wide-layer", "huge-layer", "deep-toml"],
)
def test_bad_inputs_are_one_red_line(tmp_path, toml, options, expected):
    config = tmp_path / "run.toml"
    config.write_text(toml)
    result = runner.invoke(app, ["train", str(config), *options])
    assert expected in _one_clean_error(result)


def test_an_oversized_config_is_refused_before_reading(tmp_path):
    config = tmp_path / "big.toml"
    config.write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    assert "larger than" in _one_clean_error(runner.invoke(app, ["train", str(config)]))


def _special_files(tmp_path):
    made = {"fifo": tmp_path / "fifo.toml"}
    os.mkfifo(made["fifo"])
    if os.geteuid() == 0:  # clones of /dev/zero and /dev/urandom, never the real nodes
        for name, minor in (("zero", 5), ("urandom", 9)):
            made[name] = tmp_path / name
            os.mknod(made[name], 0o600 | 0o020000, os.makedev(1, minor))
    return made


def test_device_nodes_and_fifos_as_configs_are_refused_quickly(tmp_path):
    for name, path in _special_files(tmp_path).items():
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "layernet_cli", "train", str(path)], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 1, (name, done.stderr)
        assert "not a regular file" in done.stderr, (name, done.stderr)
        assert "Traceback" not in done.stderr
        assert time.monotonic() - started < 30


def test_too_many_threads_are_capped_with_a_note(tmp_path):
    config = tmp_path / "fast.toml"
    config.write_text(FAST)
    result = runner.invoke(app, ["train", str(config), "--threads", "100000", "--json"])
    assert result.exit_code == 0, result.output
    assert f"using {ln.threads.available_cores()}" in result.output
    assert "Traceback" not in result.output


# -- item 8: signals -------------------------------------------------------------------------------

SLOW = (
    "seed = 0\n[data]\nsource = 'digits'\n[network]\nlayers = [64, 60, 10]\n"
    "[training]\nmax_iter = 100000\ntol = 1e-12\n"
)


def _command(*args) -> list[str]:
    # The console script, as users run it (``python -m`` ends in its own way under runpy).
    return [str(Path(sys.executable).with_name("layernet")), *args]


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_import_exits_quietly(tmp_path, signum, code):
    config = tmp_path / "slow.toml"
    config.write_text(SLOW)
    process = subprocess.Popen(_command("train", str(config)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.15)  # past Python's own start-up, inside numpy's and the library's imports
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    assert b"Traceback" not in err
    assert err.decode().strip().splitlines() == ["error: interrupted"]


def _until_training(fd: int, timeout: float = 40) -> str:
    """Read the pseudo-terminal until the progress bar shows a cost; return what was read."""
    seen, deadline = b"", time.monotonic() + timeout
    while re.search(rb"cost \d", seen) is None:  # a first iteration done
        assert time.monotonic() < deadline, seen
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            seen += os.read(fd, 65536)
    return seen.decode(errors="replace")


def _drain(fd: int, process) -> str:
    seen = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    return seen.decode(errors="replace")


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_training_reports_saves_and_exits(tmp_path, signum, code):
    config = tmp_path / "slow.toml"
    config.write_text(SLOW)
    model = tmp_path / "m.npz"
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        _command("train", str(config), "--save", str(model)), stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    try:
        _until_training(leader)
        time.sleep(0.3)
        process.send_signal(signum)
        process.wait(timeout=30)
        text = _drain(leader, process)
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    assert process.returncode == code, text
    assert "Traceback" not in text
    assert "interrupted" in text
    assert ln.load(model).n_params == ln.Network([64, 60, 10]).n_params


# -- mutated configurations ------------------------------------------------------------------------

_KEYS = [
    "seed",
    "data.source",
    "data.n_samples",
    "data.noise",
    "data.n_features",
    "data.n_classes",
    "data.test_size",
    "data.scale",
    "data.path",
    "network.layers",
    "network.hidden",
    "network.output",
    "training.method",
    "training.lambda",
    "training.max_iter",
    "training.tol",
    "training.threads",
    "training.learning_rate",
]
_VALUES = st.sampled_from(
    [
        "0",
        "-1",
        "1",
        "2",
        "5",
        "3.5",
        "1e308",
        "-1e308",
        "inf",
        "nan",
        "10000000000000000000000",
        "true",
        "''",
        "'moons'",
        "'blobs'",
        "'classification'",
        "'csv'",
        "'digits'",
        "'relu'",
        "'identity'",
        "'softmax'",
        "'[/]'",
        "[]",
        "[2]",
        "[2, 3, 2]",
        "[2, 0, 2]",
        "[64, 3, 10]",
        "['tanh']",
        "{a = 1}",
        "[[1]]",
        "1979-05-27",
        "'lbfgs'",
        "'gd'",
        "0.5",
        "1e-300",
    ]
)


def _mutate(base: dict, changes: list[tuple[str, str]]) -> str:
    sections = {"": dict(base.get("", {})), "data": {}, "network": {}, "training": {}}
    for name in ("data", "network", "training"):
        sections[name].update(base.get(name, {}))
    for dotted, value in changes:
        section, _, key = dotted.rpartition(".")
        sections[section][key] = value
    lines = [f"{key} = {value}" for key, value in sections[""].items()]
    for name in ("data", "network", "training"):
        lines.append(f"[{name}]")
        lines += [f"{key} = {value}" for key, value in sections[name].items()]
    return "\n".join(lines) + "\n"


_BASE = {"": {"seed": "0"}, "data": {"n_samples": "40"}, "training": {"max_iter": "5"}}


@settings(
    max_examples=int(os.environ.get("LAYERNET_HARDENING_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.lists(st.tuples(st.sampled_from(_KEYS), _VALUES), min_size=1, max_size=3))
def test_mutated_configs_end_in_0_1_or_2_without_a_traceback(tmp_path, changes):
    text = _mutate(_BASE, changes)
    if re.search(r"max_iter = (10{5,}|1e308|inf)", text):  # keep each example fast
        text = text.replace("max_iter = ", "max_iter = 5\n# ")
    config = tmp_path / "mutated.toml"
    config.write_text(text)
    result = runner.invoke(app, ["train", str(config), "--quiet"])
    assert result.exit_code in (0, 1, 2), (text, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (text, repr(result.exception))
    assert "Traceback" not in result.output


def test_a_killed_study_leaves_no_process_holding_its_output(tmp_path):
    # After SIGKILL, loky's workers and resource trackers outlive the study for a while; none of
    # them may keep the study's stdout open (a pipe reader would wait for them, 40 s seen).
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        _command(
            "study", "--depths", "1,2", "--widths", "2,5,10", "--lambdas", "0,0.1", "--folds", "3",
            "--n-jobs", "2", "--out", str(tmp_path / "s"), "-q",
        ),
        stdout=write_end,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_end)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (tmp_path / "s" / "results.csv").exists():
            time.sleep(0.1)  # the pool is running once the first fit is recorded
        assert (tmp_path / "s" / "results.csv").exists()
    finally:
        process.kill()
        process.wait()
    output, deadline = b"", time.monotonic() + 5.0
    while time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(read_end, 65536) if ready else None
        if not chunk:
            break
        output += chunk
    os.close(read_end)
    assert chunk == b"", "a process still holds the study's stdout 5 s after the kill"  # end of file
    # -q prints nothing. The one exception is not layernet's: a loky worker still starting when its
    # parent is killed finds its start-up pipe closed and prints its own banner (loky's
    # popen_loky_posix) before exiting -- a race under load, seen once in CI.
    assert output == b"" or b"failed with traceback" in output, output
