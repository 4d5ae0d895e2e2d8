"""Scaler: the standardization a network carries, checked against plain numpy formulas."""

from __future__ import annotations

import numpy as np
import pytest

import layernet as ln


def test_fit_is_the_population_mean_and_standard_deviation():
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 4))
    scaler = ln.Scaler.fit(X)
    np.testing.assert_allclose(scaler.mean, X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(scaler.scale, X.std(axis=0, ddof=0), rtol=1e-14)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-13)


def test_a_constant_feature_is_left_at_scale_one():
    X = np.column_stack([np.full(10, 5.0), np.arange(10.0)])
    scaler = ln.Scaler.fit(X)
    assert scaler.scale[0] == 1.0 and np.all(scaler.transform(X)[:, 0] == 0.0)


def test_a_network_applies_its_scaler_to_every_input():
    rng = np.random.default_rng(1)
    X = rng.normal(100.0, 30.0, size=(40, 2))
    net = ln.Network([2, 3, 2]).init(seed=0)
    plain = net.copy()
    net.scaler = ln.Scaler.fit(X)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    np.testing.assert_allclose(net.forward(X), plain.forward(Z), rtol=1e-12)
    np.testing.assert_array_equal(net.predict(X), plain.predict(Z))


@pytest.mark.parametrize(
    "mean, scale, message",
    [
        ([0.0, 1.0], [1.0], "one length"),
        ([[0.0]], [[1.0]], "1-D"),
        ([np.nan], [1.0], "finite"),
        ([0.0], [0.0], "> 0"),
        ([0.0], [-1.0], "> 0"),
    ],
)
def test_bad_scalers_are_refused(mean, scale, message):
    with pytest.raises(ln.LayerNetError, match=message):
        ln.Scaler(np.array(mean), np.array(scale))


def test_a_scaler_for_other_features_is_refused_by_the_network():
    net = ln.Network([3, 2, 2])
    with pytest.raises(ln.LayerNetError, match="the scaler is for 2 features but the network takes 3"):
        net.scaler = ln.Scaler(np.zeros(2), np.ones(2))
