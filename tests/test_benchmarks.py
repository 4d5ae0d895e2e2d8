"""The benchmark suite keeps working: every section of ``benchmarks/run.py`` on tiny sizes."""

from __future__ import annotations

import contextlib
import importlib.util
import io
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


@pytest.fixture(scope="module")
def run(bench, tmp_path_factory):
    """One ``--quick --tiny`` run, shared by the tests: the report returned, what it printed, the JSON saved."""
    folder = tmp_path_factory.mktemp("benchmarks")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # the rich console writes to whatever sys.stdout is
        report = bench.main(["--quick", "--tiny", "--output", str(folder)])
    (written,) = folder.glob("benchmark-*.json")
    return report, printed.getvalue(), written


def markdown_cells(line: str) -> list[str]:
    assert line.startswith("| ") and line.endswith(" |"), line
    return line[2:-2].split(" | ")


# The README's Performance section is pasted from --markdown: its tables keep these titles and widths.
MARKDOWN_TABLES = [
    ("**One cost+gradient evaluation**", 8),
    ("**Threads**", 9),
    ("**P3 arithmetic rate**", 7),
    ("**Whole training**", 9),
    ("**Peak memory of a P3 fit**", 2),
    ("**Chunked evaluation**", 7),
    ("**Data on Dask**", 7),
    ("**Growth curve**", 10),
    ("**Whole-process time**", 2),
    ("**Targets**", 4),
]


def test_quick_tiny_run_measures_every_section(run):
    report, printed, written = run
    for title in (
        "One cost+gradient evaluation",
        "Threads: one layernet evaluation",
        "arithmetic rate",
        "Whole training",
        "Peak memory",
        "Chunked evaluation",
        "Data on Dask",
        "Growth curve",
        "Whole-process time",
        "Targets",
    ):
        assert title in printed
    saved = json.loads(written.read_text())
    assert saved["meta"]["command"].endswith("--quick --tiny")
    assert [row["problem"] for row in saved["evaluation"]] == ["P1", "P2a", "P2b", "P3"]
    assert all(row["layernet_s"] > 0 and row["sklearn_s"] > 0 and row["blog_s"] > 0 for row in saved["evaluation"])
    assert {row["contender"] for row in saved["training"]} >= {"layernet cg", "layernet lbfgs", "scikit-learn lbfgs"}
    assert saved["gflops"]["float64"]["gemm_gflops"] > 0
    assert saved["memory"]["peak_traced"] > 0
    chunked = saved["chunked"]
    assert [row["chunks"] for row in chunked] == [1, 3, 10] and all(row["cost_rel_diff"] < 1e-12 for row in chunked)
    assert [row["problem"] for row in saved["dask"]] == ["P1"]
    assert all(row["dask_s"] > 0 and row["cost_rel_diff"] < 1e-12 for row in saved["dask"])
    growth = {row["contender"]: row for row in saved["growth"]}
    assert growth.keys() == {"layernet", "scikit-learn"}
    assert growth["layernet"]["batch"] < growth["layernet"]["rows"] == 2000  # the tiny budget makes chunks
    assert all(row["peak_rss_kb"] >= row["baseline_kb"] > 0 for row in growth.values())
    assert saved["startup"]["help_s"] > 0 and saved["startup"]["train_s"] > 0
    keys = {target["key"] for target in saved["targets"]}
    assert {"eval_ratio_P1", "gemm_fraction_P3", "startup_train"} <= keys
    assert report["targets"] == saved["targets"]


def test_report_records_the_machine(bench, run):
    _, printed, written = run
    meta = json.loads(written.read_text())["meta"]
    assert meta["cpu_model"]
    simd = meta["numpy_simd"]
    assert simd is None or {"baseline", "found", "not_found"} <= set(simd)
    assert all("architecture" in blas for blas in meta["blas"])
    header = bench.machine(meta)
    assert meta["cpu_model"] in header and all(f"({blas['architecture']})" in header for blas in meta["blas"])
    assert header in printed
    from layernet import kernels as picked

    kernels = meta["kernels"]
    assert kernels.keys() == picked.CANDIDATES.keys()
    assert f"sigmoid={kernels['sigmoid']['float64']['picked']}" in header
    # Reports saved before the CPU model and SIMD extensions were recorded keep their header.
    old = {"cores": 2, "blas": [{"internal_api": "openblas", "version": "0.3.30", "architecture": "SkylakeX"}]}
    assert bench.machine(old) == "2 cores, BLAS openblas 0.3.30 (SkylakeX)"


def test_every_table_renders_the_same_cells_to_terminal_and_markdown(bench, run):
    _, _, written = run
    saved = json.loads(written.read_text())
    assert list(bench.TABLES) == [*bench.SECTIONS, "targets"]
    for name in bench.TABLES:
        terminal = bench.terminal_table(name, saved[name])
        title, blank, header, rule, *rows = bench.markdown_table(name, saved[name]).splitlines()
        assert blank == "" and str(terminal.title) == bench.plain(title)
        headers = [column.header for column in terminal.columns]
        assert markdown_cells(header) == headers
        assert rule == "|" + "|".join("---" for _ in headers) + "|"
        terminal_rows = [list(cells) for cells in zip(*([str(cell) for cell in c.cells] for c in terminal.columns))]
        assert rows and len(rows) == len(terminal_rows) == terminal.row_count
        assert [[bench.plain(cell) for cell in markdown_cells(row)] for row in rows] == terminal_rows
    # The terminal colours the targets' verdicts where Markdown puts a missed one in bold.
    verdicts = {str(cell): cell.style for cell in bench.terminal_table("targets", saved["targets"]).columns[3].cells}
    assert verdicts.get("no", "red") == "red" and verdicts.get("yes", "green") == "green"


def test_markdown_of_a_saved_report_parses_to_its_tables(bench, run, capsys):
    _, _, written = run
    saved = json.loads(written.read_text())
    capsys.readouterr()
    bench.main(["--markdown", str(written)])
    text = capsys.readouterr().out
    assert text.startswith(f"Run of {saved['meta']['date']}: ") and bench.machine(saved["meta"]) in text
    assert "| P1 moons 2-3-2 |" in text
    blocks, titles, lines = [], [], text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("|") and not lines[index - 1].startswith("|"):
            blocks.append([])
            titles.append(lines[index - 2])
        if line.startswith("|"):
            blocks[-1].append(line)
    assert len(blocks) == len(MARKDOWN_TABLES)
    expected_rows = [4, 4, 2, len(saved["training"]), 5, 3, 1, 2, 2, len(bench.TARGETS)]
    for block, title, (bold, width), n_rows in zip(blocks, titles, MARKDOWN_TABLES, expected_rows):
        assert title.startswith(bold)
        header, rule, *rows = block
        assert len(markdown_cells(header)) == width and rule == "|" + "---|" * width
        assert len(rows) == n_rows and all(len(markdown_cells(row)) == width for row in rows)


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
