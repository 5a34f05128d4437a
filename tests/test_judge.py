"""The judge: one pytest session for the class, judging each submission as its run ends."""

import subprocess
import sys
import threading
import time

import pytest

from autograder.assignment import load_assignment
from autograder.evidence import Evidence
from autograder.judge import GRADERS_DIR, NOT_RUN_DIRECTLY, Case, Judge
from autograder.scenarios import draw_scenarios

WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def assignment():
    return load_assignment()


@pytest.fixture(scope="module")
def make_case(tmp_path_factory):
    """A case whose run left nothing: every check is judged, and lost, on it."""
    scenarios = draw_scenarios(b"judge test secret")
    plan = scenarios.probe_plan()
    probe_ids = {item["part"]: [probe["id"] for probe in item["probes"]]
                 for item in plan["parts"]}
    evidence = Evidence.read(tmp_path_factory.mktemp("empty"), probe_ids, "exit 1")

    def make(key: str) -> Case:
        return Case(key=key, evidence=evidence, program={"cells": [], "sections": []},
                    scenarios=scenarios)
    return make


def _wait(condition) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_case_is_judged_while_later_runs_still_go(assignment, make_case):
    """Are a submission's checks made before the next submission's run has ended?"""
    with Judge(["first", "second"], assignment) as session:
        session.add(make_case("first"))
        first_parts = session.plugin.checks["first"]
        assert _wait(lambda: len(first_parts) == len(assignment.parts)), \
            "the first case was not judged before the second arrived"
        assert session.plugin.checks["second"] == {}
        session.add(make_case("second"))
        checks = session.checks()
    assert set(checks) == {"first", "second"}
    for parts in checks.values():
        assert sum(check.max_points for part in parts.values() for check in part) == \
            assignment.max_score


def test_a_submission_left_unjudged_costs_the_others_nothing(assignment, make_case):
    """A submission the grader could not read (skipped) gets no checks; the rest are judged."""
    with Judge(["unread", "read"], assignment) as session:
        session.skip("unread")
        session.add(make_case("read"))
        checks = session.checks()
    assert set(checks) == {"read"}


def test_leaving_early_ends_the_session(assignment, make_case):
    """An interrupt while runs go must not leave the judge's thread waiting for ever."""
    before = set(threading.enumerate())
    with pytest.raises(KeyboardInterrupt):
        with Judge(["never", "arrives"], assignment):
            raise KeyboardInterrupt
    started = [thread for thread in threading.enumerate() if thread not in before]
    for thread in started:
        thread.join(WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in started)


def test_the_graders_refuse_to_run_without_the_judge(tmp_path):
    """pytest run on the graders directly says how they are meant to run."""
    finished = subprocess.run([sys.executable, "-m", "pytest", str(GRADERS_DIR), "-q", "-x",
                               "-p", "no:cacheprovider", "--rootdir", str(GRADERS_DIR)],
                              capture_output=True, text=True, cwd=tmp_path,
                              timeout=WAIT_SECONDS)
    assert finished.returncode != 0
    assert NOT_RUN_DIRECTLY.split(",")[0] in finished.stdout
