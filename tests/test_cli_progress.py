"""The training display, drawn on a real pseudo-terminal: two frames captured and read back."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from layernet_cli.render import TrainingProgress, validation_text

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_FRAME = re.compile(
    r"training iteration +(\d+) cost (\S+) Δ (\S+) \S* ?max\|grad\| (\S+) → tol (\S+) (\d+) evaluations (\d+:\d\d:\d\d)"
)


def _run_on_a_terminal(args):
    """Run ``layernet ARGS`` with stderr on a pseudo-terminal and stdout on a pipe; both outputs."""
    import pty

    main, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [sys.executable, "-m", "layernet_cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=secondary,
        env=env,
    )
    os.close(secondary)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                data = os.read(main, 65536)
            except OSError:  # the terminal closed: the process has exited
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    stdout = process.communicate(timeout=60)[0]
    os.close(main)
    return process.returncode, b"".join(chunks).decode("utf-8", "replace"), stdout.decode()


def test_two_frames_show_iteration_cost_gradient_and_evaluations():
    code, terminal, stdout = _run_on_a_terminal(["train", "--json"])
    assert code == 0, terminal
    summary = json.loads(stdout)  # the oracle: what the run itself reports when it ends
    frames = [_FRAME.search(_ANSI.sub("", part)) for part in re.split(r"[\r\n]", terminal)]
    frames = [frame for frame in frames if frame is not None and int(frame.group(1)) > 0]
    assert len(frames) >= 2, terminal
    first, later = frames[0], frames[-1]
    assert 0 < int(first.group(1)) < int(later.group(1)) <= summary["iterations"]
    # CG's line searches never raise the cost: it falls from frame to frame, towards the final cost.
    assert float(first.group(2)) >= float(later.group(2)) >= round(summary["cost"], 6)
    assert float(later.group(3)) <= 0  # the change over the last iteration
    assert first.group(5) == later.group(5) == "1e-05"  # the default tolerance
    assert int(first.group(6)) < int(later.group(6)) <= summary["evaluations"]
    if int(later.group(1)) == summary["iterations"] and summary["converged"]:
        assert float(later.group(4)) <= 1e-5  # the last frame (rich redraws on stop): tol reached
    # stdout is a pipe and carries nothing but the JSON: the display went to the terminal, stderr.
    assert "training iteration" not in stdout


def test_the_bar_fills_on_a_log_scale_from_the_first_gradient_to_tol():
    progress = TrainingProgress(enabled=False, tol=1e-5)
    info = SimpleNamespace(iteration=1, cost=1.0, grad_norm=0.5, grad_max=1e-1, evaluations=1)
    progress(info)
    # Four decades from 1e-1 to 1e-5: 1e-3 is halfway, 1e-4 three quarters.
    assert progress.fraction(1e-1) == 0.0
    assert progress.fraction(1e-3) == pytest.approx(0.5)
    assert progress.fraction(1e-4) == pytest.approx(0.75)
    assert progress.fraction(1e-5) == progress.fraction(1e-9) == 1.0  # converged: full
    task = progress.progress.tasks[0]
    assert task.completed == 0 and task.fields["grad"] == "1.0e-01" and task.fields["change"] == "…"
    progress(SimpleNamespace(iteration=2, cost=0.75, grad_norm=0.5, grad_max=1e-3, evaluations=3))
    task = progress.progress.tasks[0]
    assert task.completed == TrainingProgress.STEPS // 2 and task.fields["change"] == "-2.5e-01"


def test_validation_is_shown_when_the_info_has_it():
    assert validation_text(SimpleNamespace(iteration=3)) == ""
    info = SimpleNamespace(validation_accuracy=0.95, best_iteration=120, validation_cost=0.2)
    assert validation_text(info) == "validation 95.0 % (best: iteration 120)"
