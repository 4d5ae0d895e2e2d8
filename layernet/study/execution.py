"""Running a study's fits: the worker function :func:`_fit`, and where it runs (here, joblib, Dask).

A fit is a picklable :class:`_Task` (the configuration's :class:`_Spec`, the data, the derived
seed) that :func:`_fit` turns into an :class:`_Outcome`. :func:`_execute` runs a list of them in
this process (``n_jobs=1``), on local processes with joblib, or on a Dask cluster through
joblib's dask backend, and yields each outcome as it finishes. Ctrl-C during a fit makes training
stop with status "interrupted"; callers turn such an outcome into ``KeyboardInterrupt`` and
never record it.

Local worker processes ignore Ctrl-C (a terminal sends it to the whole process group): the
parent alone stops the study and ends its workers, so no worker prints a traceback. Their
standard output and error go nowhere (their results and errors come back through joblib), so a
pipe the command writes to closes when the command ends, even if it was killed and the workers
linger; idle workers exit after :data:`WORKER_IDLE_SECONDS` rather than joblib's 300.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..config import RunConfig
from ..errors import LayerNetError
from ..network import Network
from ..options import TrainOptions
from ..preprocessing import Scaler
from ..runner import RunData
from ..training import train
from .grid import _ROLE_FULL, StudySettings, _hidden_activation, _spawn_key
from .records import Aggregate, FitRecord, Refit

#: Seconds an idle local worker process waits for more fits before it exits.
WORKER_IDLE_SECONDS = 10


def _worker_init() -> None:
    """Run once in each local worker: leave Ctrl-C to the parent, send output nowhere."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sink = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # pragma: no cover - no null device: keep the inherited streams
        return
    for fd in (1, 2):
        os.dup2(sink, fd)
    os.close(sink)


def _start_trackers_quietly() -> None:
    """Start loky's and multiprocessing's resource trackers with no hold on stdout or stderr.

    The trackers are helper processes that outlive a SIGKILLed parent for a while; started with
    the parent's streams, they keep a pipe reading this process's output open after it died (40 s
    seen). So they start here, once, with descriptors 1 and 2 pointing at the null device.
    """
    from multiprocessing import resource_tracker as multiprocessing_tracker

    from joblib.externals.loky.backend import resource_tracker as loky_tracker

    try:
        sink = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # pragma: no cover - no null device: the trackers start as joblib starts them
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(sink, 1)
        os.dup2(sink, 2)
        loky_tracker.ensure_running()
        multiprocessing_tracker.ensure_running()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, sink):
            os.close(fd)


@dataclass(frozen=True)
class _Spec:
    """Everything about a fit that comes from the configuration (picklable, for the workers)."""

    n_inputs: int
    n_outputs: int
    hidden: str
    output: str
    scale: bool
    training: TrainOptions
    classes: np.ndarray

    @classmethod
    def from_config(cls, config: RunConfig, classes: np.ndarray) -> _Spec:
        return cls(
            config.network.layers[0],
            config.network.layers[-1],
            _hidden_activation(config),
            config.network.output,
            config.data.scale,
            config.training,
            classes,
        )

    def network(self, depth: int, width: int) -> Network:
        return Network([self.n_inputs, *[width] * depth, self.n_outputs], hidden=self.hidden, output=self.output)

    def n_parameters(self, depth: int, width: int) -> int:
        """Weights and biases of a network, without building it."""
        sizes = [self.n_inputs, *[width] * depth, self.n_outputs]
        return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


@dataclass(frozen=True)
class _Task:
    depth: int
    width: int
    lambda_: float
    repeat: int
    fold: int | None
    spawn_key: tuple[int, ...]
    seed: int
    spec: _Spec
    X_train: np.ndarray
    y_train: np.ndarray
    X_eval: np.ndarray
    y_eval: np.ndarray
    keep_theta: bool


@dataclass(frozen=True)
class _Outcome:
    depth: int
    width: int
    lambda_: float
    repeat: int
    fold: int | None
    n_parameters: int
    train_accuracy: float
    eval_accuracy: float | None
    train_cost: float
    iterations: int
    evaluations: int
    status: str
    seconds: float
    theta: np.ndarray | None
    scaler: Scaler | None
    summary: dict
    #: The lambda trained with (an auto fit's: the one it reached); an auto fit's effective parameters.
    lambda_reached: float | None = None
    effective_parameters: float | None = None

    def record(self) -> FitRecord:
        return FitRecord(
            self.depth,
            self.width,
            self.lambda_,
            self.repeat,
            self.fold,
            self.n_parameters,
            self.train_accuracy,
            self.eval_accuracy,
            self.train_cost,
            self.iterations,
            self.evaluations,
            self.status,
            self.seconds,
            self.lambda_reached,
            self.effective_parameters,
        )

    def network(self, spec: _Spec) -> Network:
        # Networks are rebuilt here rather than pickled: a pickled network's layers would no
        # longer be views into its theta.
        net = spec.network(self.depth, self.width)
        if self.scaler is not None:
            net.scaler = self.scaler
        net.theta = self.theta
        net.initialized = True
        net.classes_ = spec.classes
        net.training_summary = dict(self.summary)
        return net


def _fit(task: _Task) -> _Outcome:
    """Build, initialize, train and score one network (runs in a worker)."""
    start = time.perf_counter()
    spec = task.spec
    net = spec.network(task.depth, task.width)
    if spec.scale:
        net.scaler = Scaler.fit(task.X_train)
    net.init(rng=np.random.default_rng(np.random.SeedSequence(task.seed, spawn_key=task.spawn_key)))
    result = train(net, task.X_train, task.y_train, spec.training, lambda_=task.lambda_, classes=spec.classes)
    train_accuracy = net.score(task.X_train, task.y_train)
    eval_accuracy = net.score(task.X_eval, task.y_eval) if len(task.y_eval) else None
    return _Outcome(
        task.depth,
        task.width,
        task.lambda_,
        task.repeat,
        task.fold,
        net.n_params,
        train_accuracy,
        eval_accuracy,
        float(result.cost),
        result.iterations,
        result.evaluations,
        result.status,
        time.perf_counter() - start,
        net.theta.copy() if task.keep_theta else None,
        net.scaler,
        result.summary() if task.keep_theta else {},
        float(result.lambda_),
        None if result.evidence is None else float(result.evidence.effective_parameters),
    )


def _execute(tasks: list, n_jobs: int, scheduler, worker=None) -> Iterator:
    """Run the fits with joblib (local processes, or a Dask cluster); yield each as it finishes.

    ``worker`` turns a task into its outcome: :func:`_fit` unless given (the curves have their own).
    """
    if not tasks:
        return
    # Looked up at each call, not bound as a default, so a test can count the fits that run.
    worker = _fit if worker is None else worker
    if n_jobs == 1 and scheduler is None:
        # In this process: no joblib machinery, and Ctrl-C reaches the fit directly.
        for task in tasks:
            yield worker(task)
        return
    from joblib import Parallel, delayed, parallel_config

    if scheduler is None:
        _start_trackers_quietly()
        parallel = Parallel(
            n_jobs=n_jobs,
            return_as="generator_unordered",
            backend="loky",
            initializer=_worker_init,
            idle_worker_timeout=WORKER_IDLE_SECONDS,
        )
        yield from parallel(delayed(worker)(task) for task in tasks)
        return
    client, owned = _dask_client(scheduler)
    try:
        with parallel_config(backend="dask", client=client):
            parallel = Parallel(return_as="generator_unordered")
            yield from parallel(delayed(worker)(task) for task in tasks)
    finally:
        if owned:
            client.close()


def _check_scheduler(scheduler) -> None:
    if scheduler is None:
        return
    if isinstance(scheduler, str):
        if not scheduler.strip():
            raise LayerNetError("scheduler must be a Dask scheduler address like tcp://host:8786, got ''")
        return
    if not callable(getattr(scheduler, "submit", None)):
        raise LayerNetError(f"scheduler must be an address like tcp://host:8786 or a dask Client, got {scheduler!r}")


def _dask_client(scheduler):
    """A connected ``distributed.Client`` (and whether it is ours to close)."""
    try:
        from distributed import Client
    except ImportError:
        raise LayerNetError(
            "running a study on a Dask cluster needs the 'distributed' package: pip install 'layernet[distributed]'"
        ) from None
    if not isinstance(scheduler, str):
        return scheduler, False
    try:
        return Client(scheduler, timeout="10s", set_as_default=False), True
    except (OSError, TimeoutError) as error:
        raise LayerNetError(f"cannot connect to the Dask scheduler at {scheduler}: {error}") from None


def _refit(best: Aggregate, settings: StudySettings, spec: _Spec, data: RunData) -> tuple[Refit, Network]:
    """Train ``best`` on all the study data, in this process, and score it on the test set."""
    task = _Task(
        best.depth,
        best.width,
        best.lambda_,
        0,
        None,
        _spawn_key(_ROLE_FULL, best.depth, best.width, best.lambda_, 0),
        settings.seed,
        spec,
        data.X_train,
        data.y_train,
        data.X_test,
        data.y_test,
        keep_theta=True,
    )
    outcome = _fit(task)
    if outcome.status == "interrupted":
        raise KeyboardInterrupt
    refit = Refit(
        best.depth,
        best.width,
        best.lambda_,
        outcome.n_parameters,
        outcome.train_accuracy,
        outcome.eval_accuracy,
        outcome.train_cost,
        outcome.iterations,
        outcome.evaluations,
        outcome.status,
        outcome.seconds,
        int(len(data.y_train)),
        int(len(data.y_test)),
        outcome.lambda_reached,
        outcome.effective_parameters,
    )
    return refit, outcome.network(spec)
