"""TrainOptions: one declaration per option, used by train(), the config, the runner and the estimator."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import layernet as ln
from layernet.options import TrainOptions


def test_every_field_declares_a_check_and_a_help_text():
    for item in dataclasses.fields(TrainOptions):
        assert callable(item.metadata["check"]), item.name
        assert len(item.metadata["help"]) > 20, item.name
    keys = [key for key, _, _ in TrainOptions.describe()]
    assert "lambda" in keys and "lambda_" not in keys  # the TOML spelling


def test_options_are_checked_when_made_and_frozen():
    with pytest.raises(ln.LayerNetError, match=r"max_iter must be an integer >= 1 \(or None\), got 0"):
        TrainOptions(max_iter=0)
    with pytest.raises(ln.LayerNetError, match="method must be one of"):
        TrainOptions().replace(method="adam")
    with pytest.raises(ln.LayerNetError, match=r"unknown training option 'lamda' \(did you mean 'lambda_'\?\)"):
        TrainOptions().replace(lamda=1.0)
    with pytest.raises(ln.LayerNetError, match=r"unknown training option 'lamda' \(did you mean 'lambda_'\?\)"):
        TrainOptions(lamda=1.0)  # the constructor too, not the dataclass's bare TypeError
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainOptions().tol = 1e-3
    assert type(TrainOptions(max_iter=np.int64(5)).max_iter) is int


def _moons():
    stream = np.random.RandomState(0)
    from sklearn.datasets import make_moons

    return make_moons(120, noise=0.2, random_state=stream)


def test_options_object_keywords_and_dict_train_identically():
    X, y = _moons()
    results = []
    for call in (
        lambda net: ln.train(net, X, y, lambda_=1e-3, method="lbfgs", max_iter=40),
        lambda net: ln.train(net, X, y, options=TrainOptions(lambda_=1e-3, method="lbfgs", max_iter=40)),
        lambda net: ln.train(net, X, y, {"lambda_": 1e-3, "method": "lbfgs"}, max_iter=40),
        lambda net: ln.train(net, X, y, TrainOptions(method="cg", max_iter=40), lambda_=1e-3, method="lbfgs"),
    ):
        net = ln.Network([2, 4, 2]).init(seed=1)
        call(net)
        results.append(net.theta.copy())
    for theta in results[1:]:
        np.testing.assert_array_equal(theta, results[0])


def test_train_refuses_a_positional_number_with_a_hint():
    X, y = _moons()
    with pytest.raises(ln.LayerNetError, match=r"give single options by keyword, e.g. train\(net, X, y, lambda_="):
        ln.train(ln.Network([2, 3, 2]), X, y, 0.001)
    with pytest.raises(ln.LayerNetError, match="unknown training option 'max_iters'"):
        ln.train(ln.Network([2, 3, 2]), X, y, max_iters=3)


def test_the_configs_training_table_is_the_options_object(tmp_path):
    cfg = ln.RunConfig.reference()
    assert isinstance(cfg.training, TrainOptions) and ln.TrainingConfig is TrainOptions
    path = tmp_path / "run.toml"
    path.write_text("[training]\nmethod = 'lbfgs'\nlambda = 0.5\nthreads = 1\n")
    options = ln.RunConfig.from_toml(path).training
    assert options == TrainOptions(method="lbfgs", lambda_=0.5, threads=1)
    # Every declared field can be set from a config, under its TOML key, and written back.
    for key, default, _ in TrainOptions.describe():
        assert key in cfg.override({f"training.{key}": default}).to_dict()["training"] or default is None


def test_the_memory_options_read_from_a_config(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[training]\nmax_memory = '64MiB'\n")
    assert ln.RunConfig.from_toml(path).training.max_memory == 64 * 2**20
    path.write_text("[training]\nmax_memory = '64MiB'\nbatch_size = 100\n")
    with pytest.raises(ln.LayerNetError, match="max_memory or batch_size, not both"):
        ln.RunConfig.from_toml(path)


def test_a_run_passes_its_options_through_to_train(monkeypatch):
    import layernet.runner as runner

    seen = {}
    real_train = runner.train

    def spy(net, X, y, options=None, **kwargs):
        seen["options"] = options
        return real_train(net, X, y, options, **kwargs)

    monkeypatch.setattr(runner, "train", spy)
    cfg = ln.RunConfig.reference().override({"training.max_iter": 5, "training.tol": 1e-7})
    ln.run(cfg, threads=1)
    assert seen["options"] == cfg.training.replace(threads=1)
