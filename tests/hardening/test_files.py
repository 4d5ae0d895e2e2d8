"""Hardening: every writer keeps what its path names; crafted model files are refused cheaply.

Device nodes are private clones made in ``tmp_path`` (a null device: writing to it is harmless),
never the real ``/dev`` entries. The read-only and full filesystems are small tmpfs mounts, so
those tests run as root only (root bypasses permission bits, so a chmod 555 folder proves
nothing) and are skipped where mounting is not allowed.
"""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import subprocess
import sys
import textwrap
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import layernet as ln
from layernet.writing import atomic_write
from layernet_cli.app import app

runner = CliRunner()
ROOT = os.geteuid() == 0


@pytest.fixture(scope="module")
def net():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    network = ln.Network([2, 3, 2]).init(seed=0)
    ln.train(network, X, np.array([0, 1, 1, 0]), method="lbfgs", max_iter=5)
    return network


@pytest.fixture(scope="module")
def figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1])
    yield fig
    plt.close(fig)


def _cli(*args: str) -> None:
    """Run a command; an exit 1 becomes the LayerNetError the library would raise."""
    result = runner.invoke(app, list(args))
    if result.exit_code == 1:
        assert "Traceback" not in result.output
        raise ln.LayerNetError(result.output.strip())
    assert result.exit_code == 0, result.output


def _predict(path, tmp_path_factory, net):
    folder = tmp_path_factory.mktemp("predict")
    model = ln.save(net, folder / "model.npz")
    (folder / "x.csv").write_text("0,0\n1,0\n")
    _cli("predict", str(model), str(folder / "x.csv"), "-o", os.fspath(path))


#: Every kind of writer: the library's, and the commands' (study files write text like "text").
WRITERS = {
    "save": lambda path, net, figure, factory: ln.save(net, path),
    "figure": lambda path, net, figure, factory: ln.save_figure(figure, path),
    "text": lambda path, net, figure, factory: atomic_write(path, lambda h: h.write("a,b\n1,2\n"), mode="w"),
    "init": lambda path, net, figure, factory: _cli("init", os.fspath(path), "--force"),
    "predict": lambda path, net, figure, factory: _predict(path, factory, net),
}


@pytest.fixture(params=sorted(WRITERS))
def write(request, net, figure, tmp_path_factory):
    return lambda path: WRITERS[request.param](path, net, figure, tmp_path_factory)


@pytest.mark.skipif(not ROOT, reason="mknod of a character device needs root")
def test_character_device_stays_a_device(tmp_path, write):
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    write(node)
    status = os.stat(node)
    assert stat.S_ISCHR(status.st_mode) and status.st_rdev == os.makedev(1, 3)
    assert os.listdir(tmp_path) == ["null"]


def test_fifo_is_written_through(tmp_path, write):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        write(fifo)
    finally:
        reader.join(10)
        if reader.is_alive():
            # The write never opened the pipe: unblock the reader, without blocking here if it has
            # just gone (a blocking open with no reader left would wait forever, as it once did
            # when the reader had read everything but not yet appended it).
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
            reader.join(10)
    assert received and received[0], "nothing reached the reader"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.listdir(tmp_path) == ["pipe"]


def test_symlink_is_followed_and_kept(tmp_path, write):
    target = tmp_path / "real" / "out.png"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "link.png"
    link.symlink_to(target)
    write(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() not in (b"old", b"")
    assert os.listdir(target.parent) == ["out.png"]


def test_hard_link_is_kept(tmp_path, write):
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    first.write_bytes(b"old")
    os.link(first, second)
    write(second)
    assert os.stat(first).st_ino == os.stat(second).st_ino and os.stat(first).st_nlink == 2
    assert first.read_bytes() == second.read_bytes() != b"old"
    assert sorted(os.listdir(tmp_path)) == ["a.png", "b.png"]


def test_private_file_stays_private(tmp_path, write):
    path = tmp_path / "private.png"
    path.write_bytes(b"old")
    path.chmod(0o600)
    write(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and path.read_bytes() != b"old"


def test_new_file_gets_the_umask_mode(tmp_path, write):
    old = os.umask(0o027)
    try:
        write(tmp_path / "new.png")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.png").st_mode) == 0o640


def test_directory_and_folder_paths_are_refused(tmp_path, write):
    with pytest.raises(ln.LayerNetError, match="is a directory"):
        write(tmp_path)
    with pytest.raises(ln.LayerNetError, match="names a folder, not a file"):
        write(f"{tmp_path / 'missing_dir'}/")
    with pytest.raises(ln.LayerNetError, match="does not exist"):
        write(tmp_path / "missing_dir" / "out.png")
    assert os.listdir(tmp_path) == []


def test_interrupted_write_leaves_no_temporary_file(tmp_path):
    def interrupted(handle):
        handle.write("half")
        raise KeyboardInterrupt

    (tmp_path / "out.csv").write_text("old")
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "out.csv", interrupted, mode="w")
    assert os.listdir(tmp_path) == ["out.csv"] and (tmp_path / "out.csv").read_text() == "old"


# -- read-only and full folders: one clear error before training, or the summary first --------


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a 64 KiB tmpfs with the given options; skipped unless root and mounting works."""
    mounts = []

    def mount(options: str) -> Path:
        if not ROOT:
            pytest.skip("a read-only or full filesystem needs a tmpfs mount, which needs root")
        point = tmp_path / f"mnt{len(mounts)}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size=64k,{options}", "tmpfs", str(point)], capture_output=True
        )
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounts.append(point)
        return point

    yield mount
    for point in mounts:
        subprocess.run(["umount", str(point)], check=False)


def _fill(folder: Path, leave_pages: int = 0) -> None:
    fd = os.open(folder / "fill", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"x" * 4096)
    except OSError:
        pass
    os.ftruncate(fd, max(0, os.path.getsize(folder / "fill") - 4096 * leave_pages))
    os.close(fd)


@pytest.mark.parametrize("option", ["--save", "--plot", "--cost-plot"])
def test_read_only_folder_is_refused_before_training(tmpfs, option):
    folder = tmpfs("ro")
    result = runner.invoke(app, ["train", option, str(folder / "out.png")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "not writable (read-only filesystem)" in result.output and "iterations" not in result.output


def test_full_folder_is_refused_before_training(tmpfs):
    folder = tmpfs("rw")
    _fill(folder)
    result = runner.invoke(app, ["train", "--save", str(folder / "m.npz")])
    assert result.exit_code == 1 and "full filesystem" in result.output and "iterations" not in result.output


def test_a_write_failing_at_the_end_shows_the_summary_and_names_the_target(tmpfs):
    folder = tmpfs("rw")
    _fill(folder, leave_pages=1)  # room to pass the check, not to hold the model
    target = folder / "m.npz"
    result = runner.invoke(app, ["train", "--save", str(target), "--max-iter", "20"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.index("iterations") < result.output.index(f"{target}: cannot be written")
    assert "No space left on device" in result.output and ".tmp" not in result.output
    assert sorted(os.listdir(folder)) == ["fill"]


# -- crafted model files: each one ModelFileError, quickly and in bounded memory ---------------


def _npy(array: np.ndarray, shape=None) -> bytes:
    """``array`` as .npy bytes, its header declaring ``shape`` if given (the data left as it is)."""
    header = np.lib.format.header_data_from_array_1_0(array)
    if shape is not None:
        header["shape"] = shape
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    buffer.write(array.tobytes())
    return buffer.getvalue()


def _model(
    net, *, metadata=None, members=None, compress=(), network=None, raw_metadata=None, training=None, classes=None
) -> bytes:
    """A model file like ``ln.save`` writes, with parts replaced."""
    meta = {
        "format": "layernet-model",
        "format_version": 1,
        "network": network if network is not None else net.get_config(),
        "classes": classes if classes is not None else {"kind": "int64", "values": [0, 1]},
        "scaler": False,
        "training": training if training is not None else {},
    }
    meta.update(metadata or {})
    text = raw_metadata if raw_metadata is not None else json.dumps(meta)
    parts = {"theta.npy": _npy(net.theta), "metadata.npy": _npy(np.array(text)), **(members or {})}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data, zipfile.ZIP_DEFLATED if name in compress else zipfile.ZIP_STORED)
    return buffer.getvalue()


def _patch_central(data: bytes, offset: int, fmt: str, value) -> bytes:
    """Change a field of every central-directory entry (offset from its PK\\1\\2 signature)."""
    data = bytearray(data)
    start = data.find(b"PK\x01\x02")
    while start != -1:
        struct.pack_into(fmt, data, start + offset, value)
        start = data.find(b"PK\x01\x02", start + 4)
    return bytes(data)


def _crafted(net, tmp_path) -> dict[str, bytes | Path]:
    big = ln.Network([2, 500_000, 2])  # 2.5 M parameters, never initialized: its theta is zeros
    zeros = np.zeros(1_000_000)
    good = _model(net)
    cases = {
        "zip bomb theta, 8 MB in a few KB": _model(net, members={"theta.npy": _npy(zeros)}, compress={"theta.npy"}),
        "zip bomb theta matching a declared 2.5 M parameters": _model(
            big, members={"theta.npy": _npy(np.zeros(big.n_params))}, compress={"theta.npy"}
        ),
        "metadata member of 8 MB, compressed": _model(
            net, members={"metadata.npy": _npy(np.array(" " * 2_000_000))}, compress={"metadata.npy"}
        ),
        "metadata text beyond the bound": _model(net, raw_metadata=json.dumps({"format": "x" * 300_000})),
        "theta declaring shape 10**12": _model(net, members={"theta.npy": _npy(net.theta, shape=(10**12,))}),
        "metadata declaring shape 10**12": _model(net, members={"metadata.npy": _npy(np.array("{}"), shape=(10**12,))}),
        "JSON nested 100,000 deep": _model(net, raw_metadata="[" * 100_000 + "]" * 100_000),
        "zip version byte flipped (10.7)": _patch_central(good, 6, "<H", 107),
        "unknown compression method": _patch_central(good, 10, "<H", 99),
        "encrypted flag": _patch_central(good, 8, "<H", 1),
        "training not a table": _model(net, training=[1, 2]),
        "training cost a string": _model(net, training={"cost": "low", "train_accuracy": "x"}),
        "training config a string": _model(net, training={"config": "moons"}),
        "n_in = 10**30": _model(
            net, network={"layers": [{"n_in": 10**30, "n_out": 2, "activation": "sigmoid"}], "dtype": "float64"}
        ),
        "n_in a float": _model(
            net, network={"layers": [{"n_in": 2.0, "n_out": 2, "activation": "sigmoid"}], "dtype": "float64"}
        ),
        "layers not a list": _model(net, network={"layers": "2-3-2"}),
        "unknown dtype": _model(net, network={**net.get_config(), "dtype": "complex128"}),
        "string scaler_mean": _model(
            net,
            metadata={"scaler": True},
            members={"scaler_mean.npy": _npy(np.array(["a", "b"])), "scaler_scale.npy": _npy(np.ones(2))},
        ),
        "scaler of the wrong length": _model(
            net,
            metadata={"scaler": True},
            members={"scaler_mean.npy": _npy(np.zeros(5)), "scaler_scale.npy": _npy(np.ones(5))},
        ),
        "object theta (pickle)": _model(
            net, members={"theta.npy": _npy(np.array([None] * net.n_params, dtype=object))}
        ),
        "classes [1e300, 1]": _model(net, classes={"kind": "int64", "values": [1e300, 1]}),
        "too few classes": _model(ln.Network([2, 3, 3]).init(seed=0), classes={"kind": "int64", "values": [0, 1]}),
        "5,000 classes on 2 units": _model(net, classes={"kind": "int64", "values": list(range(5000))}),
        "repeated classes": _model(net, classes={"kind": "str", "values": ["a", "a"]}),
        "classes of dtype object": _model(net, classes={"kind": "object", "values": [0, 1]}),
        "classes not a table": _model(net, classes=[0, 1]),
        "empty file": b"",
        "truncated": good[: len(good) // 3],
    }
    zero = tmp_path / "zero"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cases["a FIFO"] = fifo
    if ROOT:
        os.mknod(zero, stat.S_IFCHR | 0o444, os.makedev(1, 5))
        cases["a /dev/zero clone"] = zero
    return cases


PROBE = textwrap.dedent(
    """
    import contextlib, io, json, resource, sys, time
    from pathlib import Path
    import typer
    import layernet as ln
    from layernet_cli.app import app

    def vm():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))

    # A safety net for the machine; the assertion is on the peak resident memory below.
    resource.setrlimit(resource.RLIMIT_AS, (vm() + (1536 << 20), resource.RLIM_INFINITY))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # The commands as registered (wrapped to turn errors into exit codes), called directly:
    # CliRunner would rebuild the whole command line for each of the ~100 calls.
    commands = {command.callback.__name__: command.callback for command in app.registered_commands}
    features = Path(sys.argv[2])

    def exit_code(name, *args):
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                commands[name](*args)
        except typer.Exit as done:
            return done.exit_code
        except BaseException as error:
            return f"{type(error).__name__}: {error}"
        return 0

    report = {}
    for name, path in json.load(open(sys.argv[1])).items():
        start = time.perf_counter()
        try:
            ln.load(path)
            outcome = "loaded"
        except ln.ModelFileError as error:
            outcome = "ModelFileError" if path in str(error) else f"ModelFileError without the path: {error}"
        except BaseException as error:
            outcome = f"{type(error).__name__}: {error}"
        codes = [
            exit_code("show", Path(path)),
            exit_code("evaluate", Path(path), None, "-1", False),
            exit_code("predict", Path(path), features, None, False),
        ]
        report[name] = {"outcome": outcome, "seconds": time.perf_counter() - start, "codes": codes}
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) * 1024
    print(json.dumps({"report": report, "grown": grown}))
    """
)


def test_crafted_model_files_are_refused_in_bounded_memory(tmp_path, net):
    paths = {}
    for index, (name, content) in enumerate(_crafted(net, tmp_path).items()):
        if isinstance(content, Path):
            paths[name] = str(content)
        else:
            path = tmp_path / f"case{index}.npz"
            path.write_bytes(content)
            paths[name] = str(path)
    (tmp_path / "cases.json").write_text(json.dumps(paths))
    (tmp_path / "x.csv").write_text("0,0\n1,1\n")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "cases.json"), str(tmp_path / "x.csv")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    wrong = {name: case for name, case in result["report"].items() if case["outcome"] != "ModelFileError"}
    assert not wrong
    slow = {name: case["seconds"] for name, case in result["report"].items() if case["seconds"] > 2}
    assert not slow
    failed = {name: case["codes"] for name, case in result["report"].items() if case["codes"] != [1, 1, 1]}
    assert not failed
    assert result["grown"] < 150 << 20, f"peak memory grew by {result['grown'] >> 20} MB"


def test_evaluate_never_follows_a_recorded_data_path(tmp_path, net):
    recorded = ln.RunConfig.reference().to_dict()
    targets = [tmp_path / "secret.csv"]
    (tmp_path / "secret.csv").write_text("1,2,0\n")
    if ROOT:
        os.mknod(tmp_path / "zero", stat.S_IFCHR | 0o444, os.makedev(1, 5))
        targets.append(tmp_path / "zero")
    for target in targets:
        trained = net.copy()
        trained.training_summary = {"config": {**recorded, "data": {"source": "csv", "path": str(target)}}}
        model = ln.save(trained, tmp_path / "m.npz")
        result = runner.invoke(app, ["evaluate", str(model)])
        assert result.exit_code == 1 and "give DATA" in result.output, result.output
    # A generated source is regenerated.
    trained = net.copy()
    trained.training_summary = {"config": recorded}
    result = runner.invoke(app, ["evaluate", str(ln.save(trained, tmp_path / "m.npz"))])
    assert result.exit_code == 0 and "accuracy" in result.output, result.output


@pytest.fixture(scope="module")
def model_bytes(net, tmp_path_factory):
    scaled = net.copy()
    scaled.scaler = ln.Scaler(np.zeros(2), np.ones(2))
    scaled.training_summary = {"cost": 0.5, "status": "converged", "config": ln.RunConfig.reference().to_dict()}
    return ln.save(scaled, tmp_path_factory.mktemp("model") / "m.npz").read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_mutated_model_files_load_or_raise_model_file_error(tmp_path, model_bytes, flips, cut):
    data = bytearray(model_bytes)
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    path = tmp_path / "mutated.npz"
    path.write_bytes(bytes(data))
    try:
        loaded = ln.load(path)
    except ln.ModelFileError as error:
        assert str(path) in str(error)
    else:
        assert isinstance(loaded, ln.Network) and np.isfinite(loaded.theta).all()
