"""The warm fork server: a fresh interpreter that imports torch once and forks a worker per
submission. Run as `python -m autograder.server`; `pool.py` speaks to it.

It imports only the worker and the libraries the lab uses, never the graders or the reference,
so nothing of theirs is in memory to inherit. Protocol, one JSON object per line:
  stdin:  {"key": K, "program": ..., "plan": ..., "scratch": DIR, "limits": ...}
  stdout: {"key": K, "pid": PID} when the worker starts, {"key": K, "end": HOW} when it ends,
          HOW being "ok", "exit N" or "killed by signal N".
"""

import json
import os
import select
import sys

import IPython.core.inputtransformer2  # noqa: F401  (warm: worker uses it for magics)
import matplotlib.pyplot  # noqa: F401
import torch
import torch.utils.data  # noqa: F401

from . import worker


def _warm_up() -> None:
    """Load once what the lab's code would load lazily in every worker: building the first torch
    optimizer imports torch._dynamo, about 2 s."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def _start_worker(request: dict) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        worker.die_with_parent(parent)
        # The worker must not reach the server's pipes: student code could forge messages.
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.closerange(3, 1 << 16)
        worker.run_submission(request["program"], request["plan"], request["scratch"],
                              request["limits"])
        code = 0
    finally:
        os._exit(code)


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    code = os.WEXITSTATUS(status)
    return "ok" if code == 0 else f"exit {code}"


def _send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def serve() -> None:
    worker.die_with_parent(os.getppid())  # a grader that dies takes its workers with it
    _warm_up()
    watchers: dict[int, tuple[str, int]] = {}  # pidfd -> (key, pid)
    requests = sys.stdin.buffer
    open_input = True
    while open_input or watchers:
        inputs = list(watchers) + ([requests.fileno()] if open_input else [])
        ready, _, _ = select.select(inputs, [], [])
        for fd in ready:
            if fd in watchers:
                key, pid = watchers.pop(fd)
                os.close(fd)
                _, status = os.waitpid(pid, 0)
                _send({"key": key, "end": _how_it_ended(status)})
                continue
            line = requests.readline()
            if not line:
                open_input = False
                continue
            request = json.loads(line)
            pid = _start_worker(request)
            watchers[os.pidfd_open(pid)] = (request["key"], pid)
            _send({"key": request["key"], "pid": pid})


if __name__ == "__main__":
    serve()
