"""Run many submissions at once, each in a worker forked from the warm server.

The server (`server.py`) has imported torch, matplotlib and IPython's input transformer once;
forking it costs milliseconds where a fresh interpreter costs seconds. The pool keeps `jobs`
workers running, enforces the hard time limit per submission, and reports each as it ends.
"""

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import GradingError
from .settings import EngineSettings


@dataclass(frozen=True)
class Job:
    key: str
    program: dict
    scratch: Path


@dataclass(frozen=True)
class Finished:
    job: Job
    worker_end: str
    """'ok', 'timeout', 'exit N' or 'killed by signal N'."""
    seconds: float


_server: subprocess.Popen | None = None


def _warm_server() -> subprocess.Popen:
    """The process's one warm server, started on first use and kept for later runs."""
    global _server
    if _server is None or _server.poll() is not None:
        env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
        _server = subprocess.Popen([sys.executable, "-m", "autograder.server"], env=env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        atexit.register(_stop, _server)
    return _server


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.stdin.close()
        server.wait(timeout=30)


def _messages(server: subprocess.Popen, pending: bytearray, timeout: float) -> list[dict]:
    """Messages the server has finished writing, waiting up to `timeout` for the first."""
    fd = server.stdout.fileno()
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return []
    chunk = os.read(fd, 1 << 16)
    if not chunk:
        raise GradingError("The grading server stopped unexpectedly; nothing was graded after it.")
    pending.extend(chunk)
    *lines, rest = pending.split(b"\n")
    pending[:] = rest
    return [json.loads(line) for line in lines]


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # the worker leads its own process group
    except ProcessLookupError:
        pass


def run_jobs(jobs: Iterable[Job], plan: dict, settings: EngineSettings,
             on_finished: Callable[[Finished], None]) -> None:
    """Run every job; call `on_finished` in this process as each one ends. If anything stops
    this (an interrupt, an error), whatever still runs is stopped too."""
    started: dict[str, tuple[int, float]] = {}  # key -> (pid, start time)
    try:
        _run_jobs(deque(jobs), plan, settings, on_finished, started)
    except BaseException:
        _abandon(started)
        raise


def _run_jobs(pending: deque[Job], plan: dict, settings: EngineSettings,
              on_finished: Callable[[Finished], None],
              started: dict[str, tuple[int, float]]) -> None:
    by_key = {job.key: job for job in pending}
    killed: set[str] = set()
    waiting = 0
    unread = bytearray()
    limits = settings.worker_limits()
    server = _warm_server()
    while pending or waiting:
        while pending and waiting < settings.jobs:
            job = pending.popleft()
            request = {"key": job.key, "program": job.program, "plan": plan,
                       "scratch": str(job.scratch), "limits": limits}
            server.stdin.write(json.dumps(request).encode() + b"\n")
            server.stdin.flush()
            waiting += 1
        for message in _messages(server, unread, timeout=0.2):
            key = message["key"]
            if "pid" in message:
                started[key] = (message["pid"], time.monotonic())
                continue
            pid, start = started.pop(key)
            _kill_group(pid)  # whatever the student's code left running
            waiting -= 1
            end = "timeout" if key in killed else message["end"]
            on_finished(Finished(job=by_key[key], worker_end=end,
                                 seconds=time.monotonic() - start))
        now = time.monotonic()
        for key, (pid, start) in started.items():
            if key not in killed and now - start > settings.submission_seconds:
                killed.add(key)
                _kill_group(pid)


def _abandon(started: dict[str, tuple[int, float]]) -> None:
    """Stop all that still runs, so nothing of an interrupted grading run writes on: the
    server's workers and their forks die with it, the groups take what students started."""
    global _server
    for pid, _ in started.values():
        _kill_group(pid)
    if _server is not None:
        _server.kill()
        _server.wait()
        _server = None
