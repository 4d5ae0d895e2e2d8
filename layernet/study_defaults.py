"""The overfitting study's defaults and file names, in one place; no numpy, so ``--help`` stays light."""

#: Numbers of hidden layers tried by default.
DEFAULT_DEPTHS = (1, 2, 3)
#: Units per hidden layer tried by default.
DEFAULT_WIDTHS = (1, 2, 3, 5, 10, 20, 50)
#: Regularization strengths tried by default (the course's lambda).
DEFAULT_LAMBDAS = (0.0, 1e-3, 1e-1, 1.0)
#: Cross-validation folds.
DEFAULT_FOLDS = 5
#: Repetitions of the cross-validation, each with its own shuffle of the folds.
DEFAULT_REPEATS = 1
#: How a study chooses its configuration: the one-standard-error rule.
DEFAULT_RULE = "one-se"
#: Sizes of the training subsets of a learning curve, as fractions of a training fold.
DEFAULT_SIZES = (0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
#: Fraction held out as the test set when the configuration holds out none.
DEFAULT_TEST_SIZE = 0.3

RESULTS_FILE = "results.csv"
SETTINGS_FILE = "study.json"
SUMMARY_FILE = "summary.json"
BEST_FILE = "best.npz"
FORMAT = "layernet-study"
#: 2 added the grid's repeats (and results.csv's repeat column); format-1 folders read as repeat 0.
#: 3 added lambda "auto" (and the lambda_reached and effective_parameters columns); older rows
#: read as trained with their own lambda.
FORMAT_VERSION = 3


#: A study lambda chosen by each fit's own evidence (``lambda_="auto"``) instead of fixed.
AUTO = "auto"


def is_auto(value) -> bool:
    """Whether ``value`` spells ``"auto"`` (any case, surrounding spaces ignored)."""
    return isinstance(value, str) and value.strip().lower() == AUTO


def lambda_order(value) -> tuple:
    """A sort key for a study lambda: the numbers in order, then ``"auto"``."""
    return (1, 0.0) if value == AUTO else (0, float(value))


def lambda_text(value) -> str:
    """``0.001``, or ``auto``."""
    return AUTO if value == AUTO else f"{value:g}"
