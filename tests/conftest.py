"""Shared fixtures: small seeded data sets, and a headless matplotlib."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def moons():
    """The reference data: make_moons(200, noise=0.2) drawn from a RandomState(0) stream."""
    from sklearn.datasets import make_moons

    X, y = make_moons(200, noise=0.2, random_state=np.random.RandomState(0))
    return X, y


@pytest.fixture
def xor():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    return X, y
