# Red-team attack 11 (issue 7): write Gradescope's results file from a notebook cell.
# On Gradescope the autograder reports /autograder/results/results.json; this cell writes one
# giving itself full marks. Fails silently when it cannot.

RESULTS = "/autograder/results/results.json"


def _write_results():
    import json
    import os

    tests = [{"name": name, "score": points, "max_score": points, "output": ""}
             for name, points in (("forward", 2.0), ("dataloader_loop", 4.0),
                                  ("batch20_trainer", 4.0))]
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as handle:
        json.dump({"score": 10.0, "tests": tests}, handle)


try:
    _write_results()
except Exception:
    pass
