"""A server kept up between grading runs (`python -m autograder serve`): this user's grading runs
use it and grade exactly as with a server of their own; a run of other code does not use it;
nobody else can reach it."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from autograder import pool
from autograder.examples import load_cases
from autograder.grade import discover, grade_submissions
from autograder.settings import EngineSettings

pytestmark = pytest.mark.slow
CASES = {case.name: case for case in load_cases()}
QUICK = EngineSettings(jobs=2, cell_seconds=3, probe_seconds=3, submission_seconds=60,
                       secret_file=Path(tempfile.gettempdir()) / "autograder-test-secret")
HONEST = {"correct_source_solution": 10, "forward_no_bias": 9}
KEEP_UP = "import sys; from pathlib import Path; from autograder.pool import keep_server_up; " \
          "sys.exit(keep_server_up(True, Path(sys.argv[1])))"


@pytest.fixture
def served(request):
    """A kept-up server listening in a folder others may pass through (as a course folder may
    be), running a copy of the engine's code there; stopped with Ctrl-C (SIGINT) afterwards."""
    home = Path(tempfile.mkdtemp(prefix="autograder-serve-"))
    home.chmod(0o711)
    shutil.copytree(Path(pool.__file__).parent, home / "code" / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    path = home / "serve" / "socket"
    env = dict(os.environ, PYTHONPATH=str(home / "code"))
    # Started as a shell's background job is, with SIGINT ignored: Ctrl-C must still stop it.
    process = subprocess.Popen([sys.executable, "-c", KEEP_UP, str(path)],
                               stdout=subprocess.PIPE, text=True, env=env,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert "Grading server ready" in process.stdout.readline()
    pool.stop_servers()
    yield path
    pool.stop_servers()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert not path.exists()
    shutil.rmtree(home)


@pytest.fixture
def submitted(tmp_path) -> Path:
    for name in HONEST:
        CASES[name].write_submission(tmp_path / "submitted")
    return tmp_path / "submitted"


def scores(submitted: Path, settings: EngineSettings) -> dict[str, float]:
    grading = grade_submissions(discover([submitted]), settings=settings,
                                work_dir=submitted.parent / "work", rerun=True)
    assert {result.status.value for result in grading.results} == {"graded"}
    return {result.student: result.score for result in grading.results}


def test_grading_runs_use_the_kept_up_server(served, submitted):
    """Do two grading runs in a row use the kept-up server, and grade right?"""
    settings = replace(QUICK, server_socket=served)
    assert scores(submitted, settings) == HONEST
    assert pool.warm_server(True, served).served
    assert scores(submitted, settings) == HONEST


def test_server_of_other_code_is_not_used(served, submitted, monkeypatch, capfd):
    """Does a grader whose code differs from the kept-up server's start its own, and say so?"""
    monkeypatch.setattr(pool, "engine_version", lambda: "other code")
    assert scores(submitted, replace(QUICK, server_socket=served)) == HONEST
    assert not pool.warm_server(True, served).served
    assert "not using the grading server" in capfd.readouterr().err


def test_server_describes_the_code_it_runs_not_the_files_on_disk(served, submitted, capfd):
    """Is a kept-up server whose files changed on disk after it started still taken for the code
    it runs (the grader's, here), not for the changed files?"""
    engine_file = served.parent.parent / "code" / "autograder" / "lab.py"
    engine_file.write_text(engine_file.read_text() + "# changed after the server started\n")
    assert scores(submitted, replace(QUICK, server_socket=served)) == HONEST
    assert pool.warm_server(True, served).served
    assert "not using the grading server" not in capfd.readouterr().err


def test_second_server_at_the_same_place_is_refused(served):
    """Is a second `serve` at a place where one answers refused with a clear error?"""
    done = subprocess.run([sys.executable, "-c", KEEP_UP, str(served)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and "already answers" in done.stderr


def _connect_as_nobody(path: Path) -> str:
    """What another user gets from the socket: an error name, or the server's first line."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(10)
            connection.connect(str(path))
            seen = connection.recv(1 << 16).decode() or "closed"
        except OSError as error:
            seen = type(error).__name__
        os.write(writer, seen.encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    with os.fdopen(reader) as seen:
        return seen.read()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_other_users_cannot_reach_the_server(served):
    """Another user can neither open the socket's folder nor, were it open, be served."""
    assert _connect_as_nobody(served) == "PermissionError"
    served.parent.chmod(0o755)
    served.chmod(0o777)
    seen = _connect_as_nobody(served)
    assert seen == "closed", f"another user was answered: {seen[:200]}"
