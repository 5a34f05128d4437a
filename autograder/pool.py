"""Run many submissions at once, each in its own box started by the warm server.

The server (`server.py`) has imported torch, matplotlib and IPython's input transformer once;
forking it costs milliseconds where a fresh interpreter costs seconds. The pool writes each
job's request into a job folder the server never reads, keeps `jobs` boxes running, and holds
every clock: a box that outlives its time is ended through the server, and a server that stops
answering is killed and replaced. The submissions it was running are tried once more on the
fresh server; a second loss is recorded, and the rest of the class goes on.

Where `python -m autograder serve` keeps a warm server up (`EngineSettings.server_socket`), a
grading run connects to it instead of starting its own, and skips the seconds of start-up; a
server running other code than this grader's is not used.
"""

import atexit
import itertools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .errors import GradingError
from .evidence import read_json_file
from .program import uses_optimizers
from .serving import UNCONFINED, engine_version, peer
from .settings import EngineSettings

STARTUP_SECONDS = 120.0
"""Time a new server may take to import torch and test its first box."""
GRACE_SECONDS = 15.0
"""Time past a submission's limit for its keeper to end the box and hand the evidence over,
before the pool asks the server to kill it."""
KILL_SECONDS = 5.0
"""Time the server has to report a killed keeper before the pool takes the server for stuck."""
SILENT_SECONDS = 10.0
"""A server that says nothing for this long (it says it is alive every second) is stuck."""
SERVER_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH")
"""What the server keeps of the grader's environment. Its forks inherit its environment block,
readable in /proc/self/environ, so no token of the grader's may be in it."""
MAX_LINE_BYTES = 1 << 16
WORKER_ENDS = ("ok", "timeout")
SERVER_LOST = "lost: the grading server stopped twice while running it"


def server_environment() -> dict[str, str]:
    """What a server keeps of this process's environment (SERVER_ENVIRONMENT), headless. Boxes
    compute on one thread: torch's and NumPy's idle pool threads would only spin beside the
    other boxes (OpenBLAS's cost ~3% of a class's CPU); an OPENBLAS_ setting of the grader's
    is kept."""
    env = {name: value for name, value in os.environ.items()
           if name in SERVER_ENVIRONMENT or name.startswith(("OPENBLAS_", "MKL_"))}
    return {"OPENBLAS_NUM_THREADS": "1"} | env | {"MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}


def server_command(confined: bool, *options: str) -> list[str]:
    return [sys.executable, "-m", "autograder.server", *options,
            *([] if confined else ["--no-sandbox"])]


@dataclass(frozen=True)
class Job:
    key: str
    request: dict
    """What the keeper reads: the program, the probe plan, the limits, the evidence files."""
    helpers: tuple[Path, ...]


@dataclass(frozen=True)
class Finished:
    job: Job
    worker_end: str
    """'ok', 'timeout', 'exit N', 'killed by signal N', 'sandbox failed: ...' or SERVER_LOST."""
    seconds: float
    evidence: Path
    """The folder holding the evidence files the keeper copied out of the box."""
    attempts: int = 1
    """2 when the first server running it stopped and a fresh one ran it again."""


class ServerLost(Exception):
    """The warm server ended, wrote something that is not its protocol, or stopped answering."""


class StaleServer(Exception):
    """The kept-up server runs other code than this grader, or confines otherwise."""


class Server:
    """One warm server and its line protocol: a process of this grading run's own, or a
    connection to the server `python -m autograder serve` keeps up."""

    def __init__(self, pid: int, reader: int, writer, end: Callable[[], None], *,
                 served: bool, confined: bool):
        self.pid, self.reader, self.writer, self._end = pid, reader, writer, end
        self.served, self.confined = served, confined
        self.pending = bytearray()
        self.heard = time.monotonic()
        # Silent until then is not stuck: after its first job whose program builds an optimizer
        # the server loads them, seconds without a word, as at its start.
        self.quiet_until = 0.0
        self.started = False
        self.ended = False
        atexit.register(self.kill)

    @classmethod
    def spawn(cls, confined: bool) -> "Server":
        process = subprocess.Popen(server_command(confined), env=server_environment(),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)

        def end() -> None:
            process.kill()
            process.wait()
        return cls(process.pid, process.stdout.fileno(), process.stdin, end, served=False,
                   confined=confined)

    @classmethod
    def connect(cls, path: Path, confined: bool) -> "Server | None":
        """The kept-up server at `path`, if one of this user's listens there."""
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(str(path))
            _, uid = peer(connection)
        except OSError:
            connection.close()
            return None
        if uid != os.getuid():
            connection.close()
            return None
        writer = connection.makefile("wb")
        server: Server

        def end() -> None:
            if server.pid:  # the fork serving this run, as its first word said; boxes die too
                with suppress(OSError):
                    os.kill(server.pid, signal.SIGKILL)
            writer.close()
            connection.close()
        server = cls(0, connection.fileno(), writer, end, served=True, confined=confined)
        return server

    def wait_until_started(self) -> "Server":
        """Wait for the server's first word: ready, or why it cannot confine student code."""
        if self.started:
            return self
        try:
            first = self.messages(STARTUP_SECONDS)
        except ServerLost as lost:
            first = [{"unstarted": str(lost)}]
        if not first or "unstarted" in first[0]:
            self.kill()
            why = first[0]["unstarted"] if first else f"not in {STARTUP_SECONDS:g} s"
            raise GradingError(f"The grading server did not start: {why}.")
        if "unavailable" in first[0]:
            self.kill()
            raise GradingError(
                f"Student code cannot be confined on this machine ({first[0]['unavailable']}), "
                "so nothing was run. Pass --no-sandbox to grade without confinement, only "
                "for code you trust.")
        if self.served:
            if (first[0].get("version") != engine_version()
                    or (first[0].get("ready") == UNCONFINED) == self.confined):
                self.kill()
                raise StaleServer("it runs other code than this grader, or confines otherwise")
            self.pid = first[0].get("pid") if type(first[0].get("pid")) is int else 0
        self.started = True
        return self

    def send(self, message: dict) -> None:
        if message.get("optimizers") and not self.quiet_until:
            self.quiet_until = time.monotonic() + STARTUP_SECONDS
        try:
            self.writer.write(json.dumps(message).encode() + b"\n")
            self.writer.flush()
        except (OSError, ValueError) as error:
            raise ServerLost(f"could not write to it ({error})") from None

    def messages(self, timeout: float) -> list[dict]:
        """Lines the server has finished writing, waiting up to `timeout` for the first."""
        ready, _, _ = select.select([self.reader], [], [], timeout)
        if not ready:
            now = time.monotonic()
            if now - self.heard > SILENT_SECONDS and now > self.quiet_until:
                raise ServerLost(f"it said nothing for {SILENT_SECONDS:g} s")
            return []
        try:
            chunk = os.read(self.reader, 1 << 16)
        except OSError as error:
            raise ServerLost(f"could not read from it ({error})") from None
        if not chunk:
            raise ServerLost("it ended")
        self.heard = time.monotonic()
        self.pending.extend(chunk)
        *lines, rest = self.pending.split(b"\n")
        if len(rest) > MAX_LINE_BYTES:
            raise ServerLost("it wrote a line too long for its protocol")
        self.pending[:] = rest
        try:
            messages = [json.loads(line) for line in lines]
        except ValueError:
            raise ServerLost("it wrote something that is not its protocol") from None
        if not all(isinstance(message, dict) for message in messages):
            raise ServerLost("it wrote something that is not its protocol")
        return messages

    def kill(self) -> None:
        if not self.ended:
            self.ended = True
            self._end()


_servers: dict[bool, Server] = {}


def start_server(confined: bool, served_at: Path | None = None) -> Server:
    """The process's warm server: the kept-up one at `served_at` if one answers there, else one
    of its own, started on first use and kept for later grading runs; it imports torch while
    the caller goes on (see `wait_until_started`)."""
    server = _servers.get(confined)
    if server is None or server.ended:
        server = served_at and Server.connect(served_at, confined)
        server = _servers[confined] = server or Server.spawn(confined)
    return server


def start_server_for(settings: EngineSettings) -> Server:
    """`start_server` for a grading run with these settings."""
    return start_server(settings.confined, settings.server_socket)


def warm_server(confined: bool, served_at: Path | None = None) -> Server:
    """The process's warm server, once it is ready to start boxes."""
    try:
        return start_server(confined, served_at).wait_until_started()
    except StaleServer as stale:
        print(f"warning: not using the grading server at {served_at}: {stale}; restart "
              "`python -m autograder serve` to use it again.", file=sys.stderr)
        _servers[confined] = Server.spawn(confined)
        return _servers[confined].wait_until_started()


def keep_server_up(confined: bool, path: Path) -> int:
    """`python -m autograder serve`: keep a warm server listening at `path` until interrupted;
    grading runs of this user connect to it instead of starting their own."""
    for signum in (signal.SIGINT, signal.SIGTERM):  # a shell's background job ignores SIGINT
        signal.signal(signum, signal.default_int_handler)
    if Server.connect(path, confined) is not None:
        raise GradingError(f"A grading server already answers at {path}.")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)  # the socket starts boxes: nobody else may reach it
    path.unlink(missing_ok=True)  # left by a server that was killed
    process = subprocess.Popen(server_command(confined, "--listen", str(path)),
                               env=server_environment(), stdout=subprocess.PIPE)
    try:
        first = json.loads(process.stdout.readline() or b"{}")
        if "ready" not in first:
            why = first.get("unavailable") or f"it ended ({process.wait()})"
            raise GradingError(f"The grading server did not start: {why}.")
        print(f"Grading server ready at {path} (confinement: {first['ready']}). Grading runs "
              "started from this course use it and skip their start-up. Ctrl-C stops it.",
              flush=True)
        process.wait()
        return 0
    except KeyboardInterrupt:
        print("\nGrading server stopped.")
        return 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        path.unlink(missing_ok=True)


def stop_servers() -> None:
    while _servers:
        _servers.popitem()[1].kill()


@dataclass
class _Running:
    job: Job
    folder: Path
    attempt: int
    started: float = field(default_factory=time.monotonic)
    kill_sent: float | None = None


def run_jobs(jobs: Iterable[Job], settings: EngineSettings, work_root: Path,
             on_finished: Callable[[Finished], None]) -> None:
    """Run every job; call `on_finished` in this process as each one ends. If anything stops
    this (an interrupt, an error), every server is killed, and every box with it."""
    try:
        _run_jobs(deque((job, 1) for job in jobs), settings, work_root / ".jobs", on_finished)
    except BaseException:
        stop_servers()
        raise


def _run_jobs(pending: deque[tuple[Job, int]], settings: EngineSettings, jobs_dir: Path,
              on_finished: Callable[[Finished], None]) -> None:
    shutil.rmtree(jobs_dir, ignore_errors=True)
    tokens = (str(number) for number in itertools.count(1))
    running: dict[str, _Running] = {}
    server = warm_server(settings.confined, settings.server_socket) if pending else None

    def start_boxes() -> None:
        while pending and len(running) < settings.jobs:
            job, attempt = pending.popleft()
            token = next(tokens)
            folder = jobs_dir / token
            sandbox.prepare_job(folder, job.request, list(job.helpers))
            running[token] = _Running(job, folder, attempt)
            server.send({"job": token, "dir": str(folder), "limits": job.request["limits"],
                         "optimizers": uses_optimizers(job.request["program"])})

    while pending or running:
        try:
            start_boxes()
            for message in server.messages(timeout=0.2):
                token = message.get("job")
                if "end" in message and token in running:
                    done = running.pop(token)
                    try:
                        start_boxes()  # the next box runs while this one's evidence is read
                    finally:  # even when the server is lost starting it: this one ended
                        on_finished(Finished(done.job, _worker_end(done), _seconds(done),
                                             done.folder / "out", done.attempt))
                        shutil.rmtree(done.folder, ignore_errors=True)  # its evidence was kept
            _enforce_time(server, running, settings)
        except ServerLost as lost:
            print(f"The grading server stopped ({lost}); starting a new one and running its "
                  f"{len(running)} submissions again.", file=sys.stderr)
            server.kill()
            for token, done in running.items():
                if done.attempt > 1:
                    on_finished(Finished(done.job, SERVER_LOST, _seconds(done),
                                         done.folder / "out", done.attempt))
                else:
                    pending.appendleft((done.job, done.attempt + 1))
            running.clear()
            server = warm_server(settings.confined, settings.server_socket)


def _seconds(done: _Running) -> float:
    return time.monotonic() - done.started


def _enforce_time(server: Server, running: dict[str, _Running],
                  settings: EngineSettings) -> None:
    """The keeper ends its box at the submission's limit; past that and a grace, the server
    kills the keeper; a server that does not report it in time is stuck."""
    now = time.monotonic()
    for token, done in running.items():
        if done.kill_sent is None and now - done.started > settings.submission_seconds + \
                GRACE_SECONDS:
            server.send({"kill": token})
            done.kill_sent = now
        elif done.kill_sent is not None and now - done.kill_sent > KILL_SECONDS:
            raise ServerLost("it did not end a submission past its time limit")


def _worker_end(done: _Running) -> str:
    """How the box ended, from the keeper's record (bounded and checked like all evidence)."""
    record = read_json_file(done.folder / "out" / sandbox.RUN_RECORD) or {}
    end, error = record.get("end"), record.get("error")
    if end == "sandbox failed" and isinstance(error, str):
        return f"sandbox failed: {error[:300]}"
    if isinstance(end, str) and (end in WORKER_ENDS
                                 or end.startswith(("exit ", "killed by signal "))):
        return end[:100]
    return "timeout" if done.kill_sent is not None else "killed: its keeper left no record"
