"""The benchmark suite keeps working: every section of ``benchmarks/run.py`` on tiny sizes."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("layernet_benchmarks_run", RUN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_quick_tiny_run_measures_every_section(bench, tmp_path, capsys):
    report = bench.main(["--quick", "--tiny", "--output", str(tmp_path)])
    printed = capsys.readouterr().out
    for title in (
        "One cost+gradient evaluation",
        "Threads: one evaluation",
        "arithmetic rate",
        "Whole training",
        "Peak memory",
        "Whole-process time",
        "Targets",
    ):
        assert title in printed
    (written,) = tmp_path.glob("benchmark-*.json")
    saved = json.loads(written.read_text())
    assert saved["meta"]["command"].endswith("--quick --tiny")
    assert [row["problem"] for row in saved["evaluation"]] == ["P1", "P2a", "P2b", "P3"]
    assert all(row["layernet_s"] > 0 and row["sklearn_s"] > 0 and row["blog_s"] > 0 for row in saved["evaluation"])
    assert {row["contender"] for row in saved["training"]} >= {"layernet cg", "layernet lbfgs", "scikit-learn lbfgs"}
    assert saved["gflops"]["float64"]["gemm_gflops"] > 0
    assert saved["memory"]["peak_traced"] > 0
    assert saved["startup"]["help_s"] > 0 and saved["startup"]["train_s"] > 0
    keys = {target["key"] for target in saved["targets"]}
    assert {"eval_ratio_P1", "gemm_fraction_P3", "startup_train"} <= keys
    assert report["targets"] == saved["targets"]
    capsys.readouterr()
    bench.main(["--markdown", str(written)])
    text = capsys.readouterr().out
    assert "| P1 moons 2-3-2 |" in text and "**Targets**" in text


def test_contenders_agree_on_the_objective(bench):
    import numpy as np

    import layernet as ln

    settings = bench.Settings.make(quick=True, tiny=True)
    for problem in bench.problems(settings):
        net = ln.Network(problem.sizes, hidden=problem.hidden).init(seed=0)
        J, grad = net.evaluator(problem.X, problem.Y, problem.lambda_)(net.theta.copy())
        sk = bench.SklearnLoss(problem.X, problem.Y, problem.sizes, problem.hidden, problem.lambda_)
        J_sk, grad_sk = sk(sk.pack(net.theta))
        J_blog, grad_blog = bench.blog_cost_and_grad(
            net.theta, problem.X, problem.Y, problem.sizes, problem.hidden, problem.lambda_
        )
        assert J_sk == pytest.approx(J, rel=1e-10) and J_blog == pytest.approx(J, rel=1e-10)
        assert np.allclose(sk.unpack_grad(grad_sk), grad, rtol=1e-8, atol=1e-13)
        assert np.allclose(grad_blog, grad, rtol=1e-8, atol=1e-13)


def test_unknown_section_is_a_usage_error(bench):
    with pytest.raises(SystemExit):
        bench.main(["--tiny", "--only", "nonsense"])
