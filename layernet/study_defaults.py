"""The overfitting study's defaults and file names, in one place; no numpy, so ``--help`` stays light."""

#: Numbers of hidden layers tried by default.
DEFAULT_DEPTHS = (1, 2, 3)
#: Units per hidden layer tried by default.
DEFAULT_WIDTHS = (1, 2, 3, 5, 10, 20, 50)
#: Regularization strengths tried by default (the course's lambda).
DEFAULT_LAMBDAS = (0.0, 1e-3, 1e-1, 1.0)
#: Cross-validation folds.
DEFAULT_FOLDS = 5
#: Fraction held out as the test set when the configuration holds out none.
DEFAULT_TEST_SIZE = 0.3

RESULTS_FILE = "results.csv"
SETTINGS_FILE = "study.json"
SUMMARY_FILE = "summary.json"
FORMAT = "layernet-study"
FORMAT_VERSION = 1
