"""Overfitting studies: cross-validated accuracy across depth, width and lambda.

The blog this library grew out of ends with decision boundaries for growing hidden layers --
training accuracy climbing from 0.85 to 1.00 -- and the warning that this is probably
overfitting, which only held-out data can show. A study does that check properly:

1. the configured data are split once into *study* data and a held-out *test* set
   (:func:`layernet.load_data`, ``test_size``);
2. every architecture (``depth`` hidden layers of ``width`` units) and every ``lambda`` is trained
   on each of ``folds`` stratified cross-validation folds of the study data, and scored on the
   fold it did not see: one :class:`FitRecord` per (depth, width, lambda, fold);
3. records are averaged over folds (:class:`Aggregate`, with the standard error of the mean
   validation accuracy), a configuration is chosen -- by default with the one-standard-error
   rule (:func:`select_one_se`: the simplest within one standard error of the best mean; the best
   mean itself is :func:`select_best`) -- refit on all study data and scored, once, on the test
   set (:class:`Refit`).

``repeats`` repeats the cross-validation with fresh shuffles of the folds. Learning curves and
validation curves over lambda (:func:`learning_curve`, :func:`validation_curve`) train the
configured network on growing subsets of the training folds, or at each lambda.

Everything else -- activations, output layer, optimizer, ``max_iter``, ``tol``, feature scaling --
comes from the run configuration. Fits run in parallel with joblib on local cores, or on a Dask
cluster (``scheduler="tcp://host:8786"``, the optional extra ``layernet[distributed]``). Each fit
draws its initial weights from a seed derived from (seed, depth, width, lambda, fold) alone, so
the records are the same whichever backend runs them and however many jobs it uses.

With a ``directory``, every finished fit is appended to ``results.csv`` as it arrives and a
second run of the same study there only runs the fits still missing (see :func:`run`).

Studies return data -- lists of dataclasses -- never figures; the figures are
:func:`layernet.plotting.plot_study_boundaries`, :func:`~layernet.plotting.plot_study_capacity`
and :func:`~layernet.plotting.plot_study_lambda`.

The package, one responsibility per module: :mod:`.records` (what a study records, aggregation,
the best-by rule), :mod:`.grid` (the grid, its checks, the folds and the seeds),
:mod:`.execution` (the fits, here or on joblib or Dask), :mod:`.folder` (``study.json``,
``results.csv``, ``best.npz``), :mod:`.result` (:class:`StudyResult` and its exports),
:mod:`.experiment` (:func:`run`, :func:`load`, :func:`fit_architectures`) and :mod:`.curves`
(:func:`learning_curve`, :func:`validation_curve`).

Examples
--------
>>> import layernet as ln
>>> cfg = ln.RunConfig.reference().override({"training.max_iter": 200})
>>> result = ln.study.run(cfg, depths=[1, 2], widths=[2, 5], lambdas=[0, 0.1], folds=3)  # doctest: +SKIP
>>> result.best.depth, result.best.width, result.best.lambda_, result.refit.test_accuracy  # doctest: +SKIP
"""

from ..study_defaults import (
    BEST_FILE,
    DEFAULT_DEPTHS,
    DEFAULT_FOLDS,
    DEFAULT_LAMBDAS,
    DEFAULT_REPEATS,
    DEFAULT_RULE,
    DEFAULT_SIZES,
    DEFAULT_TEST_SIZE,
    DEFAULT_WIDTHS,
    RESULTS_FILE,
    SETTINGS_FILE,
    SUMMARY_FILE,
)
from .curves import CURVE_COLUMNS, Curve, CurvePoint, CurveSummary, learning_curve, validation_curve
from .experiment import fit_architectures, load, run
from .grid import StudySettings, fit_seed
from .records import (
    RECORD_COLUMNS,
    RULES,
    Aggregate,
    ArchitectureFit,
    FitRecord,
    Refit,
    StudyProgress,
    aggregate,
    one_se_index,
    select,
    select_best,
    select_one_se,
)
from .result import StudyResult

__all__ = [
    "DEFAULT_DEPTHS",
    "DEFAULT_WIDTHS",
    "DEFAULT_LAMBDAS",
    "DEFAULT_FOLDS",
    "DEFAULT_REPEATS",
    "DEFAULT_RULE",
    "DEFAULT_SIZES",
    "DEFAULT_TEST_SIZE",
    "BEST_FILE",
    "RESULTS_FILE",
    "SETTINGS_FILE",
    "SUMMARY_FILE",
    "RECORD_COLUMNS",
    "RULES",
    "StudySettings",
    "FitRecord",
    "Aggregate",
    "Refit",
    "StudyProgress",
    "StudyResult",
    "ArchitectureFit",
    "run",
    "load",
    "aggregate",
    "select_best",
    "select_one_se",
    "select",
    "one_se_index",
    "fit_architectures",
    "learning_curve",
    "validation_curve",
    "Curve",
    "CurvePoint",
    "CurveSummary",
    "CURVE_COLUMNS",
    "fit_seed",
]
