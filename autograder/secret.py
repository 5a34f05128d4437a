"""The course secret: the hidden scenarios are drawn from it (`scenarios.draw_scenarios`), so
reading this repository tells a student their ranges, not their values.

Made on first use in the course folder, git-ignored, and read on every later run: the same
secret draws the same scenarios, so a re-grade reproduces every grade. It stays in the grader
process; only what is drawn from it reaches a worker.
"""

import os
import re
import secrets
from contextlib import suppress
from pathlib import Path

from .assignment import REPO_ROOT
from .errors import GradingError

SECRET_FILE_NAME = ".grading-secret"
DEFAULT_SECRET_FILE = REPO_ROOT / SECRET_FILE_NAME
SECRET_BYTES = 32
SECRET_TEXT = re.compile(r"[0-9a-fA-F]{32,}")
"""What a secret file holds: hex digits, at least 128 bits' worth (one line, as written)."""


def course_secret(path: Path) -> bytes:
    """The secret held in `path`; made there first when no such file exists yet."""
    try:
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            _create(path)
            text = path.read_text(encoding="ascii")
    except (OSError, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or "it is not a text file"
        raise GradingError(f"Cannot read the grading secret {path}: {reason}.") from None
    if not SECRET_TEXT.fullmatch(text.strip()):
        raise GradingError(f"The grading secret {path} does not hold at least 32 hex digits; "
                           "restore it from your backup (a new one draws new scenarios).")
    return text.strip().encode()


def kept_answers_file(secret_file: Path) -> Path:
    """Where the answers to the scenarios a secret draws are kept (`answers.py`): beside it, as
    private as it is, since they give the hidden expected values away as well."""
    return secret_file.with_name(secret_file.name + ".answers.json")


def _create(path: Path) -> None:
    """Write a new secret, readable by its owner only, never over one another run has just
    made: it appears whole or not at all (written aside, then linked into place)."""
    aside = path.with_name(f"{path.name}.{os.getpid()}.new")
    try:
        if not path.parent.is_dir():
            raise GradingError(f"Cannot make the grading secret {path}: the folder "
                               f"{path.parent} does not exist.")
        aside.unlink(missing_ok=True)  # left by a run that died here under the same pid
        descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(SECRET_BYTES) + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another grading run made one at the same moment: both use that one
    except OSError as error:
        raise GradingError(f"Cannot make the grading secret {path}: {error.strerror}.") from None
    finally:
        with suppress(OSError):
            aside.unlink()
