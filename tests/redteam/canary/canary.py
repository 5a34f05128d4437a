# Confinement canary (not an attack): does a submission see the grading command?
# A confined submission runs in its own PID namespace and cannot see the grader's process. The
# harness grades this notebook once, beside the honest students: when the cell finds a process
# running `autograder grade` (or cannot tell), it replaces forward with one that leaves out the
# bias, so its forward part gets 0.5 instead of 2. The unsafe attacks (memory, disk, signals,
# fork bomb) run only when this canary got full marks.


def _canary_sees_grader():
    import os

    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                args = handle.read().split(b"\0")
        except OSError:
            continue
        if b"autograder" in args and b"grade" in args:
            return True
    return False


try:
    _canary_sees = _canary_sees_grader()
except Exception:
    _canary_sees = True
if _canary_sees:
    exec("def forward(x):\n    return w * x\n")
