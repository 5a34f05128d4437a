"""The warm fork server: a fresh interpreter that imports torch once and starts one confined box
per submission (see `sandbox.py`). Run as `python -m autograder.server [--no-sandbox]`;
`pool.py` speaks to it.

It imports only the worker and the libraries the lab uses, never the graders or the reference,
and it never reads a submission: the grader writes each job's request into the job's folder,
which only that job's keeper reads. So no process forked from here holds anything of another
student. Protocol, one JSON object per line:
  stdin:  {"job": J, "dir": DIR, "limits": {...}, "optimizers": BOOL} starts a job (its program
          may build a torch optimizer: see `worker.load_optimizers`); {"kill": J} ends one early
  stdout: first {"ready": DESCRIPTION} or {"unavailable": REASON}; then {"job": J, "end": HOW}
          when a job's keeper ended ("ok", "exit N", "killed by signal N"), and {"alive": true}
          each second it has nothing else to say. The keeper's own record of how the box ended
          is `out/run.json` in the job's folder.

With `--listen SOCKET` (what `python -m autograder serve` starts) it stays up between grading
runs: once warm, it prints its first word, then forks a fresh server for each grading run that
connects to the Unix socket, speaking the same protocol there. Only its own user may connect.
"""
# ruff: noqa: E402 - collection is off before the imports below
import gc

if __name__ == "__main__":
    # Until the server settles (_settle_for_forks): collecting while torch and the rest load
    # costs a sixth of the start and frees little (9 000 objects, kept frozen instead).
    gc.disable()

import json
import os
import select
import signal
import socket
import sys
import tempfile
from pathlib import Path

import IPython.core.inputtransformer2  # noqa: F401  (warm: worker uses it for magics)
import matplotlib.pyplot  # noqa: F401
import numpy.random  # noqa: F401  (warm: worker.prepare seeds it)
import torch.utils.data  # noqa: F401  (warm: torch, and the DataLoader the lab uses)

from . import linux, sandbox, worker
from .serving import UNCONFINED, engine_version, peer

HEARTBEAT_SECONDS = 1.0
"""How often an idle server says it is alive: the pool takes a silent server for stuck."""
VERSION = engine_version()
"""The code this server runs, read when it started: a server kept up for hours must not
describe code changed on disk since as its own."""


def _run_box(request: dict, scratch: str) -> None:
    worker.run_submission(request["program"], request["plan"], scratch, request["limits"])


def _self_test(confined: bool) -> str | None:
    """Why a box cannot be built here, or None when an empty one runs and ends cleanly."""
    limits = {"submission_seconds": 30, "memory_bytes": 1 << 30, "file_bytes": 1 << 20,
              "disk_bytes": 1 << 20, "processes": 16}
    try:
        with tempfile.TemporaryDirectory(prefix="autograder-selftest-") as folder:
            job = Path(folder) / "job"
            sandbox.prepare_job(job, {"limits": limits, "evidence": []}, [])
            pid = sandbox.spawn(job, confined, None, lambda request, scratch: None)
            os.waitpid(pid, 0)
            record = json.loads((job / "out" / sandbox.RUN_RECORD).read_text())
    except (OSError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    if record.get("end") == "ok":
        return None
    return record.get("error") or record.get("end")


def _send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _ready(confined: bool) -> dict:
    """The first word: how boxes are confined, the code this runs and who to end if stuck."""
    return {"ready": sandbox.describe() if confined else UNCONFINED,
            "version": VERSION, "pid": os.getpid()}


def _start(confined: bool) -> bool:
    """Test a box; say why not and return False where boxes cannot be made."""
    sandbox.Cgroup.remove_stale()
    problem = _self_test(confined)
    if problem:
        _send({"unavailable": problem})
        return False
    _settle_for_forks()
    return True


def _settle_for_forks() -> None:
    """Make the warm process cheap to fork, which each box does several times (7 forks a
    submission). Every object made so far is moved out of the garbage collector's reach, so a
    fork's collections never write to, and so copy, the pages holding them; and the memory is
    backed by huge pages where the kernel allows. Collection, off while the server loads,
    resumes for what the boxes make."""
    gc.freeze()
    gc.enable()
    linux.collapse_into_huge_pages()


def _load_optimizers() -> None:
    """Load torch's optimizers (see `worker.load_optimizers`) once, collection off as at the
    start, and settle again: every later box inherits them."""
    gc.disable()
    if worker.load_optimizers():
        _settle_for_forks()
    gc.enable()


def serve(confined: bool) -> None:
    """Serve the grading run that started this process, on stdin and stdout."""
    sandbox.die_with_parent(os.getppid())  # a grader that dies takes its boxes with it
    if _start(confined):
        _send(_ready(confined))
        _serve_jobs(confined)


def listen(confined: bool, path: str) -> None:
    """Serve every grading run that connects to the socket at `path`, each from a fork."""
    listener_pid = os.getpid()
    sandbox.die_with_parent(os.getppid())  # ending `autograder serve` ends every served run
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C there ends this quietly
    worker.load_optimizers()  # kept up for instant grading: no served run waits on it
    if not _start(confined):
        return
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_mask = os.umask(0o077)
    try:
        listener.bind(path)
    finally:
        os.umask(old_mask)
    listener.listen()
    _send(_ready(confined))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # served runs are reaped by the kernel
    while True:
        connection, _ = listener.accept()
        if peer(connection)[1] != os.getuid() or os.fork() != 0:
            connection.close()
            continue
        listener.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sandbox.die_with_parent(listener_pid)
        for fd in (0, 1):
            os.dup2(connection.fileno(), fd)
        connection.close()
        _send(_ready(confined))
        _serve_jobs(confined)
        os._exit(0)


def _serve_jobs(confined: bool) -> None:
    """Start a box for each job asked for, until the grading run hangs up; then end what it
    left running: nobody is left to collect it."""
    running: dict[str, int] = {}  # job -> keeper pid
    watchers: dict[int, tuple[str, sandbox.Cgroup | None]] = {}  # pidfd -> (job, cgroup)
    leftover: list[sandbox.Cgroup] = []
    requests = sys.stdin.fileno()
    pending = b""
    open_input = True
    while open_input or watchers:
        inputs = list(watchers) + ([requests] if open_input else [])
        ready, _, _ = select.select(inputs, [], [], HEARTBEAT_SECONDS)
        leftover = [cgroup for cgroup in leftover if not cgroup.remove()]
        if not ready:
            _send({"alive": True})
        for fd in ready:
            if fd in watchers:
                job, cgroup = watchers.pop(fd)
                os.close(fd)
                _, status = os.waitpid(running.pop(job), 0)
                if cgroup is not None and not cgroup.remove():
                    leftover.append(cgroup)
                _send({"job": job, "end": sandbox.how_it_ended(status)})
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                open_input = False
                for pid in running.values():
                    os.kill(pid, signal.SIGKILL)
                continue
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                message = json.loads(line)
                if "kill" in message:
                    if message["kill"] in running:
                        os.kill(running[message["kill"]], signal.SIGKILL)
                    continue
                job = message["job"]
                if message.get("optimizers"):
                    _load_optimizers()
                cgroup = sandbox.Cgroup.for_job(job)
                if cgroup is not None:
                    cgroup.create(sandbox.Limits.from_request(message["limits"]))
                pid = sandbox.spawn(Path(message["dir"]), confined, cgroup, _run_box)
                running[job] = pid
                watchers[os.pidfd_open(pid)] = (job, cgroup)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if "--listen" in arguments:
        listen("--no-sandbox" not in arguments, arguments[arguments.index("--listen") + 1])
    else:
        serve("--no-sandbox" not in arguments)
