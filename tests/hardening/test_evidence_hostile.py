"""lambda_="auto" attacked from outside: odd problems, hostile arguments, damaged study files.

Oracles: a plain numpy MacKay update from a finite-difference Jacobian of the reference forward
pass (tests/reference.py), the cost's own gradient at the lambda a result claims (a minimum under
that lambda has a zero gradient), and the records' own definitions.
"""

from __future__ import annotations

import numpy as np
import pytest

import layernet as ln


@pytest.fixture(scope="module")
def moons():
    return ln.datasets.make_moons(60, 0.2, rng=np.random.RandomState(0))


def test_restore_best_reports_the_lambda_the_restored_parameters_were_trained_with(moons):
    # The best validation iteration lies in an early phase; the run goes on re-estimating after it.
    X, y = ln.datasets.make_moons(40, 0.2, rng=np.random.RandomState(0))
    Xv, yv = ln.datasets.make_moons(40, 0.3, rng=np.random.RandomState(5))
    net = ln.Network([2, 3, 2]).init(0)
    result = ln.train(
        net, X, y, lambda_="auto", method="trust-krylov", validation=(Xv, yv), patience=60, restore_best=True
    )
    best = result.best_iteration
    phases = result.evidence.lambdas
    assert len(phases) > 2 and best < result.iterations  # the case this test is about
    in_force = result.history["lambda"][best]
    assert in_force != phases[-1]
    assert result.lambda_ == in_force == result.evidence.lambda_
    assert f"trained with lambda {in_force:.6g}" in result.message
    assert np.array_equal(net.theta, result.theta) and np.isfinite(result.theta).all()
