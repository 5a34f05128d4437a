"""The one result model: checks roll up into parts, parts into a submission.

Every output (JSON, CSV, nbgrader gradebook, feedback, Gradescope) is made from these objects.
"""

import hashlib
import re
from dataclasses import dataclass, field
from enum import Enum

SAFE_STEM = re.compile(r"[\w#-][\w.#-]{0,79}")


def file_stem(student: str) -> str:
    """A file name for a student id: the id itself when it is a plain name, otherwise a
    readable version with a digest, so it is never a path and distinct ids stay distinct."""
    if SAFE_STEM.fullmatch(student):
        return student
    readable = re.sub(r"[^\w.#-]", "_", student).lstrip(".")[:60]
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{readable}-{digest}"


class Status(str, Enum):
    """How a submission's grading ended."""

    GRADED = "graded"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    INVALID = "invalid"


@dataclass(frozen=True)
class CheckResult:
    """One weighted check of a part; `message` says what to fix when points were lost."""

    name: str
    points: float
    max_points: float
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.points == self.max_points


@dataclass(frozen=True)
class PartResult:
    """One answer cell's grade (named by its grade_id), in Gradescope's test shape."""

    name: str
    max_score: float
    checks: tuple[CheckResult, ...] = ()
    reason: str = ""
    """Set when the part could not be checked at all (unreadable notebook, crash before it ran)."""

    @property
    def score(self) -> float:
        return round(sum(check.points for check in self.checks), 6)

    @property
    def output(self) -> str:
        """One line per lost point, without repeats; empty when the part got full marks."""
        lines = [self.reason] if self.reason else []
        for check in self.checks:
            if not check.passed and check.message and check.message not in lines:
                lines.append(check.message)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"name": self.name, "score": self.score, "max_score": self.max_score,
                "output": self.output}


@dataclass(frozen=True)
class SubmissionResult:
    """Everything known about one submission; `to_dict` is the JSON report's object."""

    student: str
    path: str
    status: Status
    tests: tuple[PartResult, ...]
    execution_time: float = 0.0
    reason: str = ""
    sandbox: str = ""
    """How the submission's code was confined, or that it was not (--no-sandbox)."""
    scenarios: str = ""
    """The draw id of the hidden scenarios it was graded on (`Scenarios.draw_id`)."""
    own_runs: dict = field(default_factory=dict, compare=False, hash=False)
    """What the student's own notebook run left on the public data, per part, as plain bounded
    data (lab_feedback.student_runs), for the feedback plots; not part of the JSON report."""

    @property
    def score(self) -> float:
        return round(sum(part.score for part in self.tests), 6)

    @property
    def max_score(self) -> float:
        return sum(part.max_score for part in self.tests)

    def part(self, name: str) -> PartResult:
        return next(part for part in self.tests if part.name == name)

    def to_dict(self) -> dict:
        return {
            "student": self.student,
            "path": self.path,
            "status": self.status.value,
            "reason": self.reason,
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "sandbox": self.sandbox,
            "scenarios": self.scenarios,
            "tests": [part.to_dict() for part in self.tests],
        }
