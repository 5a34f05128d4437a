"""The graders' one shared fixture, `case`: a submission's evidence, supplied by the judge."""

import pytest

from autograder.judge import supplied_case


@pytest.fixture
def case(request):
    """The submission a check is asked of, handed over by the judge as its run ends."""
    return supplied_case(request)
