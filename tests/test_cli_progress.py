"""The training display, drawn on a real pseudo-terminal: two frames captured and read back."""

from __future__ import annotations

import io
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
_TOP = re.compile(r"training  iteration (\d+)  cost (\S+) \(Δ (\S+)\)  (\d+) evaluations")
_BOTTOM = re.compile(r"max\|grad\| (\S+) [━╸╺]+ tol (\S+)  (\d+:\d\d:\d\d)")
#: rich's style for the bar's unfilled part (bar.back, grey23) on a 256-colour and a 16-colour terminal.
_GREY = ("\x1b[38;5;237m", "\x1b[90m")


def _filled(raw: str) -> float:
    """The fraction of the bar in ``raw`` (a line with its ANSI codes) drawn in a filled style."""
    filled = total = 0.0
    grey = False
    for token in re.split(r"(\x1b\[[0-9;?]*[A-Za-z])", raw):
        if token.startswith("\x1b["):
            grey = token in _GREY if token.endswith("m") else grey
            continue
        for char in token:
            if char in "━╸╺":
                weight = 0.5 if char in "╸╺" else 1.0
                total += weight
                filled += 0.0 if grey else weight
    return filled / total


def _frames(terminal: str) -> list[tuple[re.Match, re.Match, float]]:
    """(first line, second line, bar fraction) of each frame drawn after the first iteration."""
    raw_lines = [line for line in re.split(r"[\r\n]", terminal) if _ANSI.sub("", line).strip()]
    lines = [_ANSI.sub("", line).rstrip() for line in raw_lines]
    frames = []
    for i in range(len(lines) - 1):
        top, bottom = _TOP.fullmatch(lines[i]), _BOTTOM.fullmatch(lines[i + 1])
        if top and bottom:
            frames.append((top, bottom, _filled(raw_lines[i + 1])))
    return frames


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
    frames = _frames(terminal)
    assert len(frames) >= 2, terminal
    (first, first_bar, first_fill), (later, later_bar, later_fill) = frames[0], frames[-1]
    assert 0 < int(first.group(1)) < int(later.group(1)) <= summary["iterations"]
    # CG's line searches never raise the cost: it falls from frame to frame, towards the final cost.
    assert float(first.group(2)) >= float(later.group(2)) >= round(summary["cost"], 6)
    assert float(later.group(3)) <= 0  # the change over the last iteration
    assert int(first.group(4)) < int(later.group(4)) <= summary["evaluations"]
    assert first_bar.group(2) == later_bar.group(2) == "1e-05"  # the default tolerance
    # The bar follows max|grad| (which CG does not lower at every step): a smaller gradient, a
    # longer bar, to the bar's resolution (half a character of about 50); the log scale itself
    # is checked exactly below.
    for _, bar_a, fill_a in frames:
        for _, bar_b, fill_b in frames:
            if float(bar_a.group(1)) > 1.2 * float(bar_b.group(1)):
                assert fill_a <= fill_b + 0.02, (bar_a.group(0), fill_a, bar_b.group(0), fill_b)
    assert first_fill < later_fill
    if int(later.group(1)) == summary["iterations"] and summary["converged"]:
        # The last frame (rich redraws on stop): max|grad| at tol, the bar full.
        assert float(later_bar.group(1)) <= 1e-5 and later_fill == 1.0
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
    from rich.console import Console

    assert validation_text(SimpleNamespace(iteration=3)) == ""
    progress = TrainingProgress(enabled=False, tol=1e-6)
    info = SimpleNamespace(
        iteration=12345, cost=0.25, grad_norm=1.0, grad_max=1e-2, evaluations=123456, validation_accuracy=0.95,
        best_iteration=120, validation_cost=0.2,
    )
    progress(info)
    screen = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    screen.print(progress.progress.get_renderable())
    lines = [line.rstrip() for line in screen.export_text().splitlines() if line.strip()]
    assert lines[0] == "training  iteration 12345  cost 0.250000 (Δ …)  123456 evaluations"
    assert lines[1].startswith("max|grad| 1.0e-02 ") and lines[1].endswith(" tol 1e-06  0:00:00")
    assert lines[2] == "validation 95.0 % (best: iteration 120)"
    assert len(lines) == 3 and max(map(len, lines)) <= 80
