"""Hardening: every library input either works or gets one clear error, and never a warning.

Two halves. Explicit cases first, one per problem found when layernet's inputs were attacked
(issue "Trust at the edges", items 9-11): each failed before its fix. Then hypothesis over the
arguments of ``Network``, ``train``, ``cost_and_grad`` and ``LayerNetClassifier`` -- types,
shapes, dtypes, NaN and infinity, extremes, complex numbers, object arrays, huge integers --
asserting that a call either succeeds or raises a ``ValueError``/``TypeError`` subclass with a
message, that a failed call leaves the network's parameters as they were, and that no warning
escapes (recorded with ``simplefilter("always")``, so even a warning something else would have
silenced counts).

Example counts are modest so the module runs in well under a minute; set
``LAYERNET_HARDENING_LONG=1`` for a long, randomized run.
"""

from __future__ import annotations

import math
import os
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layernet as ln
from layernet.activations import Sigmoid
from layernet.datasets import read_csv, read_features_csv

LONG = os.environ.get("LAYERNET_HARDENING_LONG", "") not in ("", "0")
EXAMPLES = 2000 if LONG else 100

hardening = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@contextmanager
def no_warnings(allowed=()):
    """Fail if anything inside warns (except the ``allowed`` categories)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    leaked = [w for w in caught if not issubclass(w.category, tuple(allowed))]
    assert not leaked, [f"{w.category.__name__}: {w.message}" for w in leaked]


def outcome(call, *, allowed=()):
    """``("ok", result)`` or ``("error", exception)`` for a ValueError/TypeError with a message."""
    with no_warnings(allowed):
        try:
            return "ok", call()
        except (ValueError, TypeError) as error:
            assert str(error).strip(), f"{type(error).__name__} without a message"
            return "error", error


def sample(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    y[:2] = [0, 1]
    return X, y


# -- item 9: silent wrong results ---------------------------------------------------------------


def test_pandas_features_csv_header_is_not_read_as_a_sample(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = sample()
    features = tmp_path / "features.csv"
    pd.DataFrame(X).to_csv(features, index=False)  # header "0,1"
    read, names = read_features_csv(features, n_features=2)
    assert read.shape == X.shape and names == ["0", "1"]
    np.testing.assert_allclose(read, X)
    labelled = tmp_path / "data.csv"
    pd.DataFrame(np.c_[X, y]).to_csv(labelled, index=False)  # header "0,1,2"
    dataset = read_csv(labelled)
    assert dataset.X.shape == X.shape and dataset.y.tolist() == y.tolist()


def test_a_headerless_csv_keeps_its_first_row(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("0.5,1.5,0\n2,3,1\n1,0,0\n")
    assert read_csv(path).X.shape == (3, 2)
    path.write_text("1,0\n0,1\n")  # not exactly 0,1: data
    assert read_features_csv(path)[0].shape == (2, 2)


@pytest.mark.parametrize("label", ["inf", "-inf", "nan", "Infinity"])
def test_non_finite_csv_labels_are_refused(tmp_path, label):
    path = tmp_path / "labels.csv"
    path.write_text(f"1,2,{label}\n3,4,1\n")
    with pytest.raises(ln.DataError, match="not a finite number"):
        with no_warnings():
            read_csv(path)


def test_big_csv_labels_stay_exact(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("1,2,1e20\n3,4,1\n")
    with no_warnings():
        assert read_csv(path).y.tolist() == [1e20, 1.0]
    path.write_text("1,2,9007199254740993\n3,4,9007199254740992\n")  # distinct, one float apart
    assert read_csv(path).y.tolist() == [9007199254740993, 9007199254740992]
    path.write_text("1,2,123456789012345678901234567890\n3,4,123456789012345678901234567891\n")
    labels = read_csv(path).y
    assert len(set(labels.tolist())) == 2  # beyond int64: kept as exact text


def test_integer_labels_in_an_object_array_round_trip_as_integers(tmp_path):
    X, y = sample()
    net = ln.Network([2, 3, 1]).init(seed=0)
    ln.train(net, X, np.array(y.tolist(), dtype=object), max_iter=5)
    assert net.classes_.dtype.kind == "i"
    path = tmp_path / "m.npz"
    ln.save(net, path)
    loaded = ln.load(path)
    assert loaded.classes_.tolist() == [0, 1] and loaded.classes_.dtype.kind == "i"
    assert 0 <= loaded.score(X, y) <= 1
    assert loaded.score(X, np.array(y.tolist(), dtype=object)) == loaded.score(X, y)


def test_the_classifier_fits_integer_labels_held_as_objects():
    X, y = sample()
    clf = ln.LayerNetClassifier(random_state=0).fit(X, np.array(y.tolist(), dtype=object))
    assert clf.classes_.dtype.kind == "i" and clf.score(X, y) > 0.5


@pytest.mark.parametrize("part", ["X", "y", "Y", "theta"])
def test_complex_input_is_refused(part):
    X, y = sample()
    net = ln.Network([2, 3, 2]).init(seed=0)
    before = net.theta.copy()
    Y = np.eye(2)[y]
    args = {"X": X, "Y": Y, "theta": net.theta.copy()}
    args[part if part != "y" else "Y"] = args[part if part != "y" else "Y"] + 1j
    with pytest.raises(ln.LayerNetError, match="complex"):
        with no_warnings():
            if part == "y":
                ln.train(net, X, y + 1j, max_iter=2)
            else:
                net.cost_and_grad(args["theta"], args["X"], args["Y"])
    np.testing.assert_array_equal(net.theta, before)


class _PerUnitForward(ln.Activation):
    name = "per_unit_forward"

    def forward(self, z, out=None):
        return np.tanh(z).sum(axis=0)  # one value per unit: broadcast down the samples

    def derivative(self, z, a):
        return 1.0 - a**2


class _PerUnitDerivative(ln.Activation):
    name = "per_unit_derivative"

    def forward(self, z, out=None):
        return np.tanh(z, out=out)

    def derivative(self, z, a):
        return np.ones(z.shape[1])


@pytest.mark.parametrize("activation, method", [(_PerUnitForward(), "forward"), (_PerUnitDerivative(), "derivative")])
def test_an_activation_returning_the_wrong_shape_is_named(activation, method):
    with pytest.raises(ln.LayerNetError, match=rf"{activation.name}.*{method}\(\) returned shape"):
        ln.Network([2, 3, 2], hidden=activation)


def test_a_custom_activation_of_the_right_shape_is_accepted():
    softsign = ln.Activation("softsign_h", lambda z: z / (1 + abs(z)), lambda z: 1 / (1 + abs(z)) ** 2)
    X, y = sample()
    net = ln.Network([2, 4, 2], hidden=softsign).init(seed=0)
    assert ln.train(net, X, y, max_iter=5).iterations > 0


@pytest.mark.parametrize("tolerance", [math.nan, math.inf, 0.0, -1e-9, "1e-9", None])
def test_gradient_check_refuses_a_tolerance_that_cannot_pass_or_fail(tolerance):
    net, X, y = ln.debug_problem()
    with pytest.raises(ln.LayerNetError, match="tolerance"):
        ln.gradient_check(net, X, y, tolerance=tolerance)


def test_gradient_check_takes_numpy_floats():
    net, X, y = ln.debug_problem()
    assert ln.gradient_check(net, X, y, tolerance=np.float32(1e-9), epsilon=np.float64(1e-4)).passed


# -- item 10: leaked warnings -------------------------------------------------------------------


@pytest.mark.parametrize("hidden", ["relu", "identity", "sigmoid"])
@pytest.mark.parametrize("output", ["identity", "sigmoid", "softmax"])
def test_overflow_in_cost_and_forward_gives_inf_without_warnings(hidden, output):
    X, y = sample()
    n_out = 2 if output == "softmax" else 1
    net = ln.Network([2, 3, n_out], hidden=hidden, output=output).init(seed=0)
    Y = np.eye(2)[y] if n_out == 2 else y.reshape(-1, 1).astype(float)
    with no_warnings():
        for theta, features, lambda_ in [
            (None, X * 1e100, 0.0),
            (None, X * 1e200, 0.0),
            (net.theta * 1e154, X, 0.0),
            (net.theta * 1e160, X, 0.0),
            (net.theta * 1e3, X, 1e308),
            (None, X, 1e308),
        ]:
            J, grad = net.cost_and_grad(theta, features, Y, lambda_)
            assert not math.isnan(J) and J >= 0, J
            assert grad.shape == (net.n_params,)
            net.forward(features, theta)
            try:
                net.predict(features)
            except ln.DataError as error:  # outputs that overflowed into NaN are refused, by row
                assert "overflow" in str(error)


@pytest.mark.parametrize("method", ["cg", "lbfgs", "bfgs", "gd"])
@pytest.mark.parametrize("hidden", ["relu", "identity", "sigmoid"])
def test_training_from_a_far_start_warns_nothing(method, hidden):
    X, y = sample()
    net = ln.Network([2, 3, 1], hidden=hidden).init(seed=0)
    net.theta = net.theta * 1e160
    start = net.theta.copy()
    with no_warnings():
        result = ln.train(net, X, y, method=method, max_iter=50)
    assert np.isfinite(net.theta).all()
    if result.status == "diverged":
        np.testing.assert_array_equal(net.theta, start)


@pytest.mark.parametrize("factor", [1e300, 1e-300, 1e200])
def test_scaler_on_extreme_features_is_finite_and_quiet(factor):
    X, y = sample()
    with no_warnings():
        scaler = ln.Scaler.fit(X * factor)
        np.testing.assert_allclose(scaler.transform(X * factor), ln.Scaler.fit(X).transform(X), atol=1e-9)
        net = ln.Network([2, 3, 1]).init(seed=0)
        net.scaler = scaler
        ln.train(net, X * factor, y, max_iter=5)


def test_huge_lambda_trains_without_warnings():
    X, y = sample()
    net = ln.Network([2, 3, 1], hidden="relu").init(seed=0)
    with no_warnings():
        result = ln.train(net, X, y, lambda_=1e308, max_iter=20)
    assert np.isfinite(net.theta).all() and result.status in ("diverged", "converged", "precision_loss")


# -- item 11: unclear messages and wrong exception types ----------------------------------------


@pytest.mark.parametrize("hidden", [None, 3, 2.5, ln.Activation, {"a": 1}])
def test_bad_hidden_activations_get_a_clear_error(hidden):
    with pytest.raises(ln.LayerNetError, match="activation"):
        ln.Network([2, 3, 2], hidden=hidden)


@pytest.mark.parametrize("output", [None, 3, ln.Activation, Sigmoid])
def test_bad_output_activations_get_a_clear_error(output):
    with pytest.raises(ln.LayerNetError, match="activation"):
        ln.Network([2, 3, 2], output=output)


def test_labels_of_mixed_kinds_are_a_data_error():
    X, y = sample()
    mixed = np.array([1, "a"] * 6, dtype=object)
    net = ln.Network([2, 3, 1]).init(seed=0)
    with pytest.raises(ln.DataError, match="mixes labels"):
        ln.train(net, X, mixed)


@pytest.mark.parametrize("name", ["lambda_", "tol", "momentum", "learning_rate"])
@pytest.mark.parametrize("value", [10**400, -(10**400)])
def test_integers_too_big_for_a_float_are_refused_by_name(name, value):
    X, y = sample()
    with pytest.raises(ln.LayerNetError, match=rf"{name} must be a finite number.*digits"):
        ln.train(ln.Network([2, 3, 1]), X, y, **{name: value})


def test_estimator_alpha_too_big_for_a_float_is_refused():
    X, y = sample()
    with pytest.raises(ln.LayerNetError, match="alpha must be a finite number"):
        ln.LayerNetClassifier(alpha=10**400).fit(X, y)


@pytest.mark.parametrize("seed", ["a", -1, 1.5, True, [1, -2]])
def test_bad_seeds_are_refused_clearly(seed):
    with pytest.raises(ln.LayerNetError, match="seed must be"):
        ln.Network([2, 3, 2]).init(seed=seed)


@pytest.mark.parametrize("dtype", ["bogus", "int64", object, "complex128"])
def test_bad_dtypes_are_refused_clearly(dtype):
    with pytest.raises(ln.LayerNetError, match="dtype"):
        ln.Network([2, 3, 2], dtype=dtype)


@pytest.mark.parametrize("epsilon", [0, 0.0, -1e-4, math.nan, math.inf, 1e300, "1e-4"])
def test_gradient_check_refuses_a_bad_epsilon(epsilon):
    net, X, y = ln.debug_problem()
    with pytest.raises(ln.LayerNetError, match="epsilon"):
        ln.gradient_check(net, X, y, epsilon=epsilon)


def test_a_csv_path_too_long_is_a_data_error():
    with pytest.raises(ln.DataError, match="too long"):
        read_csv("a" * 5000 + ".csv")


@pytest.mark.parametrize("value", [np.float32(1e-3), np.float64(1e-3), np.float16(1e-3)])
def test_numpy_floats_are_accepted_everywhere(value):
    X, y = sample()
    options = ln.TrainOptions(tol=value, lambda_=value, learning_rate=value, momentum=value)
    assert options.tol == float(value)
    ln.train(ln.Network([2, 3, 1]).init(seed=0), X, y, options, max_iter=2)


def test_predicting_from_outputs_that_overflowed_is_refused():
    X, _ = sample()
    net = ln.Network([2, 3, 2], hidden="identity", output="softmax").init(seed=0)
    net.theta = net.theta * 1e160  # z overflows to inf - inf = NaN
    with pytest.raises(ln.DataError, match="outputs overflow"):
        with no_warnings():
            net.predict(X)


def test_float32_overflow_is_named_as_such():
    X, _ = sample()
    net = ln.Network([2, 3, 2], dtype=np.float32).init(seed=0)
    X = X.copy()
    X[3, 1] = 1e39
    with pytest.raises(ln.DataError, match=r"1e\+39 at row 3, column 1, which overflows float32"):
        with no_warnings():
            net.forward(X)


# -- hypothesis: the library's arguments --------------------------------------------------------

ODD_SCALARS = st.sampled_from(
    [None, True, 0, -1, 1, 10**400, -(10**400), 2**63, 0.0, -0.0, 1e-320, 1e308, math.nan, math.inf, -math.inf]
    + ["", "a", "1", b"1", 1j, [], [1], {}, object(), np.float32(0.5), np.int64(3), np.nan, np.float16(1e4)]
)

VALUES = st.sampled_from([0.0, 1.0, -1.0, 0.5, 1e-300, 1e100, 1e154, 1e200, 1e300, 1e308, math.nan, math.inf])


@st.composite
def arrays(draw, shape):
    """An array of ``shape``-ish: usually right, sometimes of another shape, dtype or content."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    base = rng.normal(size=shape)
    kind = draw(st.sampled_from(["plain", "plain", "scaled", "poke", "dtype", "shape", "object", "list"]))
    if kind == "scaled":
        with np.errstate(over="ignore"):
            base = base * draw(VALUES)
    elif kind == "poke" and base.size:
        base.flat[draw(st.integers(0, base.size - 1))] = draw(VALUES)
    elif kind == "dtype":
        dtype = draw(st.sampled_from([np.float32, np.float16, np.int64, np.uint8, bool, np.complex128, str, object]))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            base = base.astype(dtype)
    elif kind == "shape":
        base = draw(
            st.sampled_from(
                [base.ravel(), base[:0], base[:, :0] if base.ndim == 2 else base, base[None], base.T, np.float64(1.0)]
            )
        )
    elif kind == "object":
        base = base.astype(object)
        if base.size:
            base.flat[0] = draw(ODD_SCALARS)
    elif kind == "list":
        base = base.tolist()
    return base


@st.composite
def labels(draw, n):
    kind = draw(st.sampled_from(["int", "str", "float", "object", "odd", "length", "poke"]))
    ints = np.array([0, 1] * n)[:n]
    if kind == "int":
        return ints
    if kind == "str":
        return np.array(["no", "yes"])[ints]
    if kind == "float":
        return ints * draw(st.sampled_from([1.0, 1e20, 1e308, 0.5]))
    if kind == "object":
        return np.array(ints.tolist(), dtype=object)
    if kind == "length":
        return ints[: draw(st.integers(0, n - 1))]
    y = ints.astype(object)
    y[draw(st.integers(0, n - 1))] = draw(ODD_SCALARS)
    return y if kind == "poke" else y.tolist()


SIZES = st.one_of(
    st.lists(st.integers(1, 6), min_size=2, max_size=4),
    st.lists(st.one_of(st.integers(-2, 6), ODD_SCALARS), min_size=0, max_size=4),
    ODD_SCALARS,
)
ACTIVATIONS = st.one_of(
    st.sampled_from(["sigmoid", "tanh", "relu", "identity", "softmax", "bogus", ln.Activation, Sigmoid()]),
    ODD_SCALARS,
)
DTYPES = st.sampled_from([np.float64, np.float32, "float64", "float32", np.float16, "bogus", int, None, object])


@hardening
@given(layers=SIZES, hidden=st.one_of(ACTIVATIONS, st.lists(ACTIVATIONS, max_size=3)), output=ACTIVATIONS, dtype=DTYPES)
def test_network_construction(layers, hidden, output, dtype):
    status, value = outcome(lambda: ln.Network(layers, hidden=hidden, output=output, dtype=dtype))
    if status == "ok":
        assert value.n_params == sum(o * (i + 1) for i, o in zip(value.sizes[:-1], value.sizes[1:]))
    else:
        assert isinstance(value, ln.LayerNetError), repr(value)


#: Small initialized networks of every hidden and output kind, float64 and float32.
NETWORKS = st.builds(
    lambda hidden, output, dtype: ln.Network([2, 3, 2], hidden=hidden, output=output, dtype=dtype).init(seed=1),
    st.sampled_from(["sigmoid", "tanh", "relu", "identity"]),
    st.sampled_from(["sigmoid", "softmax", "identity"]),
    st.sampled_from([np.float64, np.float32]),
)

OPTION_VALUES = {
    "lambda_": st.one_of(ODD_SCALARS, VALUES),
    "tol": st.one_of(ODD_SCALARS, VALUES),
    "learning_rate": st.one_of(ODD_SCALARS, VALUES),
    "momentum": st.one_of(ODD_SCALARS, st.sampled_from([0.0, 0.5, 0.99, 1.0])),
    "method": st.one_of(st.sampled_from(["cg", "lbfgs", "bfgs", "gd", "CG", ""]), ODD_SCALARS),
    "seed": ODD_SCALARS,
    "threads": st.sampled_from([None, 1, 2, 0, -1, 1.0, True]),
}


@hardening
@given(
    data=st.data(),
    net=NETWORKS,
    chosen=st.lists(st.sampled_from(sorted(OPTION_VALUES)), max_size=3, unique=True),
)
def test_train(data, net, chosen):
    n = 10
    before = net.theta.copy()
    X = data.draw(arrays((n, 2)), label="X")
    y = data.draw(labels(n), label="y")
    options = {name: data.draw(OPTION_VALUES[name], label=name) for name in chosen}
    status, value = outcome(lambda: ln.train(net, X, y, max_iter=4, **options))
    if status == "ok":
        assert value.status in ("converged", "max_iter", "max_evals", "precision_loss", "diverged", "stalled")
        assert np.isfinite(net.theta).all() and np.isfinite(value.theta).all()
        if value.status == "diverged" and "unchanged" in value.message:
            np.testing.assert_array_equal(net.theta, before)
    else:
        assert isinstance(value, ln.LayerNetError), repr(value)
        np.testing.assert_array_equal(net.theta, before)


@hardening
@given(
    data=st.data(),
    net=NETWORKS,
    lambda_=st.one_of(ODD_SCALARS, VALUES),
    theta_kind=st.sampled_from(["none", "array", "scaled"]),
)
def test_cost_and_grad(data, net, lambda_, theta_kind):
    n = 8
    before = net.theta.copy()
    theta = None
    if theta_kind == "array":
        theta = data.draw(arrays((net.n_params,)), label="theta")
    elif theta_kind == "scaled":
        with np.errstate(over="ignore"):
            theta = net.theta.astype(np.float64) * data.draw(VALUES, label="scale")
    X = data.draw(arrays((n, 2)), label="X")
    Y = data.draw(arrays((n, 2)), label="Y")
    if data.draw(st.booleans(), label="one-hot Y"):
        Y = np.eye(2)[np.arange(n) % 2]
    status, value = outcome(lambda: net.cost_and_grad(theta, X, Y, lambda_))
    if status == "ok":
        J, grad = value
        assert isinstance(J, float) and not math.isnan(J)
        assert grad.shape == (net.n_params,) and grad.dtype == net.dtype
    else:
        assert isinstance(value, ln.LayerNetError), repr(value)
    np.testing.assert_array_equal(net.theta, before)


ESTIMATOR_PARAMS = {
    "hidden_layer_sizes": st.one_of(
        st.sampled_from([(), (3,), 2, (2, 2), 0, (0,), (-1,), "3", None, (2.5,), (True,)]), ODD_SCALARS
    ),
    "activation": ACTIVATIONS,
    "output": st.one_of(st.sampled_from(["sigmoid", "softmax", "identity"]), ODD_SCALARS),
    "alpha": st.one_of(ODD_SCALARS, VALUES),
    "solver": st.one_of(st.sampled_from(["cg", "lbfgs", "bfgs", "gd", "adam"]), ODD_SCALARS),
    "tol": st.one_of(ODD_SCALARS, VALUES),
    "learning_rate": st.one_of(ODD_SCALARS, VALUES),
    "momentum": st.one_of(ODD_SCALARS, st.sampled_from([0.0, 0.9, 1.0])),
    "random_state": st.one_of(st.sampled_from([0, 1, None, np.random.RandomState(0)]), ODD_SCALARS),
    "options": st.sampled_from([None, {}, {"threads": 1}, {"threads": 0}, {"bogus": 1}, {"lambda_": 1.0}, "x"]),
}


@hardening
@given(data=st.data(), chosen=st.lists(st.sampled_from(sorted(ESTIMATOR_PARAMS)), max_size=3, unique=True))
def test_classifier(data, chosen):
    from sklearn.exceptions import ConvergenceWarning

    X, y = sample(16, seed=3)
    X = data.draw(st.one_of(st.just(X), arrays((16, 2))), label="X")
    y = data.draw(st.one_of(st.just(y), labels(16)), label="y")
    params = {name: data.draw(ESTIMATOR_PARAMS[name], label=name) for name in chosen}
    clf = ln.LayerNetClassifier(max_iter=4, **params)
    status, value = outcome(lambda: clf.fit(X, y), allowed=(ConvergenceWarning,))
    if status == "ok":
        assert np.isfinite(value.network_.theta).all()
        status, proba = outcome(lambda: value.predict_proba(X))
        assert status == "ok" and np.allclose(proba.sum(axis=1), 1.0)


def test_a_csv_path_that_is_a_device_or_fifo_is_refused_before_opening(tmp_path):
    import os
    import stat

    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)  # opening it for reading would block for ever
    with pytest.raises(ln.DataError, match="is not a regular file"):
        ln.datasets.read_csv(fifo)
    if os.geteuid() == 0:
        zero = tmp_path / "zero.csv"
        os.mknod(zero, stat.S_IFCHR | 0o444, os.makedev(1, 5))  # a /dev/zero of our own
        with pytest.raises(ln.DataError, match="is not a regular file"):
            ln.datasets.read_features_csv(zero)


def test_a_csv_too_large_to_parse_is_refused_with_the_memory_it_needs(tmp_path, monkeypatch):
    import layernet.threads as threads

    path = tmp_path / "big.csv"
    path.write_text("x,y\n" + "0.5,1\n" * 2000)
    monkeypatch.setattr(threads, "available_memory", lambda: 50_000)
    with pytest.raises(ln.DataError, match=r"reading it needs about .* GiB of memory"):
        ln.datasets.read_csv(path)
