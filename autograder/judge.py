"""Judge step: run the hidden pytest graders over the evidence of many submissions.

One pytest session per grading run: every grader test is parametrized by submission, so the
cost of starting pytest is paid once for the class. Each test is one weighted check; the plugin
collects its points and, when it fails, its assertion message: the sentence the student reads.

The session runs in a thread of its own while the notebooks still run (`Judge`): a submission's
checks wait until its run ends and are judged then, so little is left to judge when the last
run ends, and pytest starts while the grading server does.
"""

import os
import sys
import threading
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .assignment import Assignment
from .errors import GradingError
from .evidence import Evidence
from .results import CheckResult
from .scenarios import Scenarios

GRADERS_DIR = Path(__file__).parent / "graders"
IDLE_PLUGINS = ("terminal", "cacheprovider", "logging", "warnings", "unraisableexception",
                "threadexception", "faulthandler", "stepwise", "junitxml", "doctest",
                "legacypath", "pastebin", "debugging", "setuponly", "setupplan")
"""pytest's own plugins judging has no use for: most wrap every check (a class has thousands),
and those that watch threads would watch the grader's own, which runs the boxes meanwhile. A
check's sentence is its assertion message: neither the terminal's output nor pytest's rewriting
of `assert` statements takes part (graders raise their sentences: `observations.expect`)."""
INTERNAL_ERROR = ("The grader could not finish this check (an error on our side, not yours); "
                  "your instructor will look at it.")
NOT_RUN_DIRECTLY = ("The hidden graders run through `python -m autograder grade`, which gives "
                    "them the submissions to judge.")


@dataclass(frozen=True)
class Case:
    """A submission's evidence, with the program it ran (to name cells in messages) and the
    hidden scenarios its probes asked."""

    key: str
    evidence: Evidence
    program: dict
    scenarios: Scenarios


class _Cases:
    """Cases handed over from one thread as runs end, waited for in another."""

    def __init__(self):
        self._cases: dict[str, Case | None] = {}
        self._closed = False
        self._change = threading.Condition()

    def add(self, key: str, case: Case | None) -> None:
        with self._change:
            self._cases[key] = case
            self._change.notify_all()

    def close(self) -> None:
        """No case comes any more: whoever still waits gets None."""
        with self._change:
            self._closed = True
            self._change.notify_all()

    def wait_for(self, key: str) -> Case | None:
        with self._change:
            self._change.wait_for(lambda: key in self._cases or self._closed)
            return self._cases.get(key)

    def judged(self) -> set[str]:
        with self._change:
            return {key for key, case in self._cases.items() if case is not None}


_PLUGIN = pytest.StashKey["JudgePlugin"]()


class JudgePlugin:
    """pytest plugin: feeds each case to the graders and records every check's outcome."""

    def __init__(self, keys: list[str]):
        self.keys = keys
        self.cases = _Cases()
        self.checks: dict[str, dict[str, list[CheckResult]]] = {key: {} for key in keys}
        self.problems: list[str] = []

    def pytest_configure(self, config):
        config.stash[_PLUGIN] = self
        config.addinivalue_line("markers", "points(n): the points a grader check is worth")

    def pytest_generate_tests(self, metafunc):
        if "case" in metafunc.fixturenames:
            metafunc.parametrize("case", self.keys, ids=self.keys, indirect=True)

    def pytest_collection_modifyitems(self, items):
        """Every check of a submission together, in the order runs end, so judging keeps up
        with them instead of waiting for the last before its second check."""
        order = {key: position for position, key in enumerate(self.keys)}
        items.sort(key=lambda item: order.get(_key(item), len(order)))

    def pytest_collectreport(self, report):
        if report.failed:
            self.problems.append(report.longreprtext)

    @pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
    def pytest_runtest_makereport_of_lost_check(self, item, call):
        """A lost check's report is its sentence: pytest's own formats the traceback first, the
        larger part of judging a check that fails. Anything else gets pytest's report."""
        if call.when != "teardown" and call.excinfo and call.excinfo.errisinstance(AssertionError):
            return pytest.TestReport(item.nodeid, item.location, {}, "failed",
                                     str(call.excinfo.value), call.when, duration=call.duration,
                                     start=call.start, stop=call.stop)
        return None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and report.failed):
            self._record(item, call, report)

    def _record(self, item, call, report) -> None:
        marker = item.get_closest_marker("points")
        if marker is None:
            self.problems.append(f"{item.nodeid} has no points marker")
            return
        points = float(marker.args[0])
        message = ""
        if report.failed:
            error = call.excinfo.value
            if isinstance(error, AssertionError):
                message = str(error.args[0]) if error.args else ""
                message = message.split("\nassert ")[0]
            else:
                message = INTERNAL_ERROR
                traceback.print_exception(error, file=sys.stderr)
        name = item.originalname.removeprefix("test_")
        self.checks[_key(item)].setdefault(item.module.PART, []).append(
            CheckResult(name=name, points=0.0 if report.failed else points,
                        max_points=points, message=message))


def _key(item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("case") if callspec else None


def supplied_case(request) -> Case:
    """The graders' `case` fixture: the submission a check is asked of, once its run ended. A
    submission whose run left nothing to judge (the grader failed reading it) is skipped."""
    plugin = request.config.stash.get(_PLUGIN, None)
    if plugin is None or not hasattr(request, "param"):
        pytest.fail(NOT_RUN_DIRECTLY)
    case = plugin.cases.wait_for(request.param)
    if case is None:
        pytest.skip("nothing to judge")
    return case


class Judge:
    """The graders' session for a class, judging each submission as its case is handed over.
    Use as a context manager: leaving it early (an interrupt, an error) lets the session end."""

    def __init__(self, keys: Iterable[str], assignment: Assignment):
        self.assignment = assignment
        self.plugin = JudgePlugin(list(keys))
        self._ended: pytest.ExitCode | BaseException | None = None
        self._thread = threading.Thread(target=self._session, name="judge", daemon=True)

    def __enter__(self) -> "Judge":
        if self.plugin.keys:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.plugin.cases.close()

    def _session(self) -> None:
        # No installed plugin takes part either; loading them all costs half a second.
        args = [str(GRADERS_DIR), "-c", os.devnull, "--rootdir", str(GRADERS_DIR), "-s",
                "--import-mode=importlib", "--assert=plain", "--disable-plugin-autoload",
                *(f"-pno:{name}" for name in IDLE_PLUGINS)]
        try:
            self._ended = pytest.main(args, plugins=[self.plugin])
        except BaseException as error:  # noqa: BLE001 - reported by checks(), in the caller
            self._ended = error

    def add(self, case: Case) -> None:
        self.plugin.cases.add(case.key, case)

    def skip(self, key: str) -> None:
        """Nothing will be judged for `key`: its record was made otherwise."""
        self.plugin.cases.add(key, None)

    def checks(self) -> dict[str, dict[str, list[CheckResult]]]:
        """Every handed-over case's checks, grouped by part, once all are judged. Raises
        GradingError if the graders are broken."""
        self.plugin.cases.close()
        if not self.plugin.keys:
            return {}
        self._thread.join()
        problems = self.plugin.problems
        if isinstance(self._ended, BaseException):
            problems.append("".join(traceback.format_exception(self._ended)))
        elif self._ended not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            problems.append(f"pytest ended with {self._ended!r}")
        if problems:
            raise GradingError("The hidden graders could not run:\n" + "\n".join(problems))
        judged = self.plugin.cases.judged()
        checks = {key: parts for key, parts in self.plugin.checks.items() if key in judged}
        for parts in checks.values():
            for part in self.assignment.parts:
                total = sum(check.max_points for check in parts.get(part.name, []))
                if abs(total - part.points) > 1e-9:
                    raise GradingError(f"The checks of {part.name} are worth {total} points; "
                                       f"the notebook gives the part {part.points}.")
        return checks

