"""Judge step: run the hidden pytest graders over the evidence of many submissions at once.

One pytest session per grading run: every grader test is parametrized by submission, so the
cost of starting pytest is paid once for the class. Each test is one weighted check; the plugin
collects its points and, when it fails, its assertion message: the sentence the student reads.
"""

import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from .assignment import Assignment
from .errors import GradingError
from .evidence import Evidence
from .results import CheckResult
from .scenarios import Scenarios

GRADERS_DIR = Path(__file__).parent / "graders"
PLUGIN_NAME = "autograder-judge"
INTERNAL_ERROR = ("The grader could not finish this check (an error on our side, not yours); "
                  "your instructor will look at it.")


@dataclass(frozen=True)
class Case:
    """A submission's evidence, with the program it ran (to name cells in messages) and the
    hidden scenarios its probes asked."""

    key: str
    evidence: Evidence
    program: dict
    scenarios: Scenarios


class JudgePlugin:
    """pytest plugin: feeds each case to the graders and records every check's outcome."""

    def __init__(self, cases: list[Case]):
        self.cases = {case.key: case for case in cases}
        self.checks: dict[str, dict[str, list[CheckResult]]] = {key: {} for key in self.cases}
        self.problems: list[str] = []

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(n): the points a grader check is worth")
        # A lost check's sentence is its assertion message: a formatted traceback with source,
        # pytest's default for a failure, took two thirds of judging. (`--tb` itself belongs to
        # the terminal plugin, which judging leaves out.)
        config.option.tbstyle = "no"

    def pytest_generate_tests(self, metafunc):
        if "case" in metafunc.fixturenames:
            metafunc.parametrize("case", list(self.cases.values()), ids=list(self.cases))

    def pytest_collectreport(self, report):
        if report.failed:
            self.problems.append(report.longreprtext)

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
        case = item.callspec.params["case"]
        name = item.originalname.removeprefix("test_")
        self.checks[case.key].setdefault(item.module.PART, []).append(
            CheckResult(name=name, points=0.0 if report.failed else points,
                        max_points=points, message=message))


def judge(cases: list[Case], assignment: Assignment) -> dict[str, dict[str, list[CheckResult]]]:
    """Every case's checks, grouped by part. Raises GradingError if the graders are broken."""
    if not cases:
        return {}
    plugin = JudgePlugin(cases)
    # No installed plugin takes part in judging; loading them all costs half a second.
    args = [str(GRADERS_DIR), "-c", os.devnull, "--rootdir", str(GRADERS_DIR), "-s",
            "-p", "no:cacheprovider", "--import-mode=importlib", "-p", "no:terminal",
            "--disable-plugin-autoload"]
    exit_code = pytest.main(args, plugins=[plugin])
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        plugin.problems.append(f"pytest ended with {exit_code!r}")
    if plugin.problems:
        raise GradingError("The hidden graders could not run:\n" + "\n".join(plugin.problems))
    for key, parts in plugin.checks.items():
        for part in assignment.parts:
            total = sum(check.max_points for check in parts.get(part.name, []))
            if abs(total - part.points) > 1e-9:
                raise GradingError(f"The checks of {part.name} are worth {total} points; "
                                   f"the notebook gives the part {part.points}.")
    return plugin.checks
