"""The benchmark measures what it says: every figure present and sane on a tiny run.

Speed is never asserted here: on a shared machine it drifts; `make bench` reports it.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from autograder import bench


def test_quantile_interpolates_between_ranks():
    assert bench.quantile([3.0], 0.95) == 3.0
    assert bench.quantile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert bench.quantile([float(value) for value in range(1, 101)], 0.95) == pytest.approx(95.05)


def test_tree_memory_counts_descendants():
    """A child holding 200 MiB shows in its parent's tree, not only in itself."""
    hold = "import time; block = bytearray(200 * 2**20); time.sleep(30)"
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; subprocess.run("
                               f"[sys.executable, '-c', {hold!r}])"], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while bench.tree_memory_bytes(parent.pid) < 200 * 2**20 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert bench.tree_memory_bytes(parent.pid) >= 200 * 2**20
        assert bench.tree_memory_bytes(os.getpid()) > bench.tree_memory_bytes(parent.pid)
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()


def test_an_ended_process_holds_no_memory():
    """A process that ends between the listing of the tree and the reading of its PSS is
    counted as what it holds then, nothing, not as the resident size it was listed with."""
    child = os.fork()
    if child == 0:
        os._exit(0)
    try:
        deadline = time.monotonic() + 10
        while not open(f"/proc/{child}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert bench._pss_bytes(child, 300 * 2**20) == 0  # a zombie
    finally:
        os.waitpid(child, 0)
    assert bench._pss_bytes(child, 300 * 2**20) == 0  # gone


def test_cases_leave_out_what_waits_or_cannot_be_read():
    cases, excluded = bench.bench_cases()
    names = {case.name for case in cases}
    assert set(bench.EXCLUDED_FAULTS) <= set(excluded)
    assert not names & set(excluded)
    assert not any(name.startswith("invalid_") for name in names)
    # stock runs only the first few: they must already mix correct work and mistakes
    assert [bench._kind(case) for case in cases[:3]] == ["correct", "mistake", "cheat"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> dict:
    """The whole benchmark on 2 notebooks, one of them the stock way; read back from its JSON."""
    out = tmp_path_factory.mktemp("bench")
    json_path = out / "bench.json"
    code = bench.main(["--n", "2", "--stock-n", "1", "--sizes", "1,2", "--repeats", "1",
                       "--out", str(out), "--json", str(json_path)])
    assert code == 0
    return json.loads(json_path.read_text())


@pytest.mark.slow
def test_every_figure_is_measured(tiny_run):
    stock, floor, ours, one, served = (tiny_run[key] for key in ("stock", "floor", "ours",
                                                                 "one", "one_served"))
    assert stock["notebooks"] == 1 and floor["notebooks"] == 2 and ours["submissions"] == 2
    for figures in (stock, floor, ours, one, served):
        assert figures["wall_s"] > 0 and figures["peak_mib"] > 0 and figures["cpu_s"] > 0
    # a grading run starts a server (torch imported) and runs notebooks: seconds of CPU; served,
    # the grade command's own tree does neither
    assert one["cpu_s"] > 1 and served["cpu_s"] < one["cpu_s"]
    # served, the grade command holds no server of its own (nor torch): a fraction of the memory
    assert 0 < served["server_peak_mib"] and served["peak_mib"] < one["peak_mib"] / 2
    for spread in (stock["per_notebook"], floor["per_notebook"], ours["per_submission"]):
        assert 0 < spread["median_s"] <= spread["p95_s"]
    assert stock["extrapolated_to_n"]["wall_s"] > stock["wall_s"]
    assert stock["figures_drawn"] > 0  # the inline backend drew, as in Jupyter
    assert sum(ours["statuses"].values()) == 2
    assert [row["n"] for row in tiny_run["growth"]] == [1, 2]
    assert all(row["wall_s"] > 0 and row["peak_mib"] > 0 for row in tiny_run["growth"])
    assert tiny_run["ratios"]["stock_over_ours"] > 0 and tiny_run["ratios"]["ours_over_floor"] > 0
    assert len(tiny_run["targets"]) == 5
    assert [target["passed"] for target in tiny_run["targets"]][-1] is None  # no N=500 here


@pytest.mark.slow
def test_floor_runs_the_code_not_a_stub(tiny_run):
    """The first notebook is correct work: both baselines ran every cell of it without an
    error, so the helper was found and, in the floor, the drawing stubs held."""
    first = tiny_run["floor"]["runs"][0]
    assert "-correct_" in first["notebook"]
    assert first["errors"] == 0
    assert tiny_run["stock"]["cells_raising"] == 0


def test_every_run_asks_the_same_hidden_questions(tmp_path):
    """The benchmark's secret is fixed, so two runs time the same hidden runs (their epochs
    change what grading costs), and its answers are kept beside it, as after a course's first
    grading run."""
    first, second = (bench.write_secret(tmp_path / name) for name in ("first", "second"))
    assert first == second
    assert 2 <= first["epochs"]["other_data"] <= 4
    assert (tmp_path / "first.answers.json").exists()
