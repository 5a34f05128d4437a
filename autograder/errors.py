"""The engine's own errors."""


class GradingError(Exception):
    """Base class of the errors this package raises on purpose."""

    __test__ = False


class InvalidSubmission(GradingError):
    """The file cannot be read as a notebook; the message says why, for the student."""


class CourseError(GradingError):
    """The course's own files (source, release, submitted folders) are not usable; the message
    is one line for the instructor, saying what to do."""
