"""The grader holds every clock: a killed, stopped or babbling warm server costs at most the
submissions it was running, which are run once more on a fresh server."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from autograder import pool
from autograder.examples import CORPUS_DIR, ExampleCase, load_cases
from autograder.grade import discover, grade_submissions
from autograder.settings import EngineSettings

pytestmark = pytest.mark.slow
CASES = {case.name: case for case in load_cases()}
QUICK = EngineSettings(jobs=2, cell_seconds=3, probe_seconds=3, submission_seconds=60,
                       secret_file=Path(tempfile.gettempdir()) / "autograder-test-secret")
HONEST = {"correct_source_solution": 10, "forward_no_bias": 9, "loss_recorded_per_batch": 9}


@pytest.fixture
def submitted(tmp_path) -> Path:
    for name in HONEST:
        CASES[name].write_submission(tmp_path / "submitted")
    return tmp_path / "submitted"


def boxes_of(server: int) -> list[str]:
    """The keepers the server has started and not yet reaped."""
    try:
        return Path(f"/proc/{server}/task/{server}/children").read_text().split()
    except OSError:
        return []


def grade_while(submitted: Path, harm) -> dict[str, tuple[str, float, str]]:
    """Grade the class while `harm(server pid)` runs once the first box has started (a server
    harmed before it runs anything is simply replaced)."""
    pool.stop_servers()
    server = pool.warm_server(confined=True)

    def harm_soon():
        deadline = time.monotonic() + 60
        while not boxes_of(server.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        harm(server.pid)

    thread = threading.Thread(target=harm_soon)
    thread.start()
    grading = grade_submissions(discover([submitted]), settings=QUICK,
                                work_dir=submitted.parent / "work")
    thread.join()
    return {result.student: (result.status.value, result.score, result.reason)
            for result in grading.results}


def assert_everyone_graded_honestly(results: dict) -> None:
    assert {student: score for student, (_, score, _) in results.items()} == HONEST
    assert {status for status, _, _ in results.values()} == {"graded"}


def test_killed_server_costs_nothing(submitted, capfd):
    """Is every submission graded right when the warm server is killed mid-run?"""
    results = grade_while(submitted, lambda pid: os.kill(pid, signal.SIGKILL))
    assert_everyone_graded_honestly(results)
    assert "The grading server stopped (it ended)" in capfd.readouterr().err
    assert any("run again" in reason for _, _, reason in results.values())


def test_stopped_server_is_replaced(submitted, capfd):
    """Is a warm server that stops answering (SIGSTOP) replaced, and the class graded?"""
    started = time.monotonic()
    results = grade_while(submitted, lambda pid: os.kill(pid, signal.SIGSTOP))
    assert_everyone_graded_honestly(results)
    assert "said nothing for" in capfd.readouterr().err
    assert time.monotonic() - started < 60


def test_garbage_from_the_server_is_not_trusted(submitted, capfd):
    """Does a line that is not the protocol, written into the server's output, stop nothing?"""

    def babble(pid):
        with open(f"/proc/{pid}/fd/1", "wb") as output:
            output.write(b"garbage {not json\n")

    results = grade_while(submitted, babble)
    assert_everyone_graded_honestly(results)
    assert "not its protocol" in capfd.readouterr().err


def printed_by_extra_cell(tmp_path: Path, cells: dict[str, str]) -> dict[str, str]:
    """Grade the correct solution once per student, each with its own extra cell after
    `forward`; what each run printed (kept with the run), and each score."""
    for student, cell in cells.items():
        ExampleCase(student, CORPUS_DIR / "correct_source_solution", student, {}, {},
                    {"extra_cells": [{"after": "forward", "source": cell}]},
                    None).write_submission(tmp_path / "submitted")
    grading = grade_submissions(discover([tmp_path / "submitted"]), settings=QUICK,
                                work_dir=tmp_path / "work")
    assert {result.student: result.score for result in grading.results} == dict.fromkeys(
        cells, 10)
    return {student: (tmp_path / "work" / student / "evidence" / "output.txt").read_text()
            for student in cells}


def test_the_server_loads_optimizers_once_for_the_programs_that_build_one(tmp_path):
    """Building the first torch optimizer loads torch._dynamo (about 2 s): the server loads it
    before the box of a program that mentions an optimizer, never for one that does not."""
    pool.stop_servers()  # a fresh server: one that ran another test's optimizer has them
    look = ("import gc, sys\nprint('dynamo loaded:', 'torch._dynamo' in sys.modules)\n"
            "print('collecting:', gc.isenabled())\n")
    printed = printed_by_extra_cell(tmp_path, {
        "plain": look, "with_optimizer": look + "# torch.optim.SGD would go here\n"})
    assert "dynamo loaded: False" in printed["plain"]
    assert "dynamo loaded: True" in printed["with_optimizer"]
    # the server loads with collection off; every box collects its garbage
    assert all("collecting: True" in output for output in printed.values())


def test_boxes_fork_from_a_settled_server(tmp_path):
    """The warm server moves its objects out of the garbage collector's reach before any box
    forks from it (a fork's collections would otherwise copy every page they visit): a cell of
    the notebook sees them frozen. The extra cell prints; its output is kept with the run."""
    output = printed_by_extra_cell(tmp_path, {
        "settled": "import gc\nprint('frozen objects:', gc.get_freeze_count())\n"})["settled"]
    frozen = int(output.split("frozen objects:")[1].split()[0])
    assert frozen > 100_000  # torch, matplotlib and the engine: every object the server made


def test_boxes_compute_on_one_thread(tmp_path):
    """NumPy's BLAS starts its pool of threads again in each box that multiplies matrices, and
    they spin beside the other boxes: a box's NumPy computes on the box's one thread."""
    output = printed_by_extra_cell(tmp_path, {"threads": (
        "import numpy\nnumpy.ones((400, 400)) @ numpy.ones((400, 400))\n"
        "print([line.split()[1] for line in open('/proc/self/status')"
        " if line.startswith('Threads:')])\n")})["threads"]
    assert "['1']" in output


def test_boxes_open_no_profiler_label_per_batch(tmp_path):
    """torch's DataLoader opens a profiler label (`record_function`) for every batch, a tenth of
    a box's time while no profiler runs: a box has a no-op in its place, which a notebook can
    still use as torch's, as a context manager and as a decorator."""
    output = printed_by_extra_cell(tmp_path, {"labels": (
        "import torch\nfrom torch.utils.data import DataLoader\n"
        "label = torch.autograd.profiler.record_function\n"
        "with label('cell'):\n    batches = len(list(DataLoader(list(range(5)), batch_size=2)))\n"
        "decorated = label('function')(lambda: 7)\n"
        "print('label:', label.__module__, batches, decorated())\n")})["labels"]
    assert "label: autograder.worker 3 7" in output


def test_huge_pages_back_the_warm_memory_where_the_kernel_allows():
    """`linux.collapse_into_huge_pages` puts private memory into 2 MiB pages: forking then
    copies one page-table entry for each instead of 512."""
    try:
        mode = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        pytest.skip("this kernel has no transparent huge pages")
    kernel = tuple(int(part) for part in re.findall(r"\d+", os.uname().release)[:2])
    if "[never]" in mode or kernel < (6, 1):
        pytest.skip(f"huge pages cannot be asked for here (kernel {os.uname().release}, "
                    f"transparent huge pages {mode.strip()})")
    code = ("from autograder import linux\n"
            "memory = bytearray(64 << 20)\n"
            "print(linux.collapse_into_huge_pages())\n"
            "print(open('/proc/self/smaps_rollup').read())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(pool.__file__).parent.parent).stdout
    collapsed, rollup = out.split("\n", 1)
    assert int(collapsed) >= 32 << 20
    huge_kib = int(rollup.split("AnonHugePages:")[1].split()[0])
    assert huge_kib >= 32 << 10


class FakeServer:
    """Ends every job it is sent at once; the first one made is lost when asked to start a
    second job, right after it reported the first one's end."""

    made = 0

    def __init__(self):
        FakeServer.made += 1
        self.lost_on_second_send = FakeServer.made == 1
        self.sent, self.ends = [], []

    def send(self, message):
        if "job" in message and "dir" in message:
            if self.lost_on_second_send and self.sent:
                raise pool.ServerLost("could not write to it (test)")
            self.sent.append(message)
            self.ends.append({"job": message["job"], "end": "ok"})

    def messages(self, timeout):
        ends, self.ends = self.ends, []
        return ends

    def kill(self):
        pass


def test_a_box_that_ended_is_collected_when_the_server_is_lost_starting_the_next(
        tmp_path, monkeypatch):
    """The pool starts the next box before reading the evidence of the one that ended: a server
    lost in between still costs that one nothing, and every job ends exactly once."""
    FakeServer.made = 0
    monkeypatch.setattr(pool, "warm_server", lambda *args: FakeServer())
    jobs = [pool.Job(f"student{number}", {"limits": {}, "program": {"cells": []},
                                          "evidence": []}, ()) for number in range(3)]
    finished = []
    pool.run_jobs(jobs, replace(QUICK, jobs=1), tmp_path, finished.append)
    assert sorted(done.job.key for done in finished) == ["student0", "student1", "student2"]
    assert [done.attempts for done in finished] == [1, 2, 1]


def test_a_server_loading_optimizers_is_not_taken_for_stuck():
    """Silence past SILENT_SECONDS means stuck, except after the first job whose program builds
    an optimizer: the server then loads them, saying nothing for seconds, as at its start."""
    reader, writer = os.pipe()  # nothing is ever written: a silent server
    with open(os.devnull, "wb") as requests:
        server = pool.Server(0, reader, requests, lambda: None, served=False, confined=True)
        server.heard -= pool.SILENT_SECONDS + 1
        with pytest.raises(pool.ServerLost, match="said nothing"):
            server.messages(timeout=0)
        server.send({"job": "1", "dir": "/nowhere", "limits": {}, "optimizers": True})
        assert server.messages(timeout=0) == []
    os.close(reader)
    os.close(writer)
