"""evaluate(): accuracy, unregularized cost and the confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

import layernet as ln


def test_evaluate_counts_every_sample(moons):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    ln.train(net, X, y, lambda_=1e-3, method="lbfgs", max_iter=200)
    result = ln.evaluate(net, X, y)
    assert result.n_samples == 200 and result.confusion.sum() == 200
    assert np.trace(result.confusion) / 200 == pytest.approx(result.accuracy)
    assert result.accuracy == net.score(X, y)
    assert result.cost == pytest.approx(net.cost(None, X, net.encode(y), 0.0))
    assert set(result.to_dict()) == {"accuracy", "cost", "n_samples", "classes", "confusion"}


def test_evaluate_rejects_unseen_labels(moons):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    ln.train(net, X, y, method="lbfgs", max_iter=5)
    with pytest.raises(ValueError, match="not seen in training"):
        ln.evaluate(net, X, y + 5)
