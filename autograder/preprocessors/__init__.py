"""nbgrader preprocessors of this course, wired in through nbgrader_config.py."""

from .clear_solutions_naming_part import ClearSolutionsNamingPart
from .hidden_graders import HiddenGraders

__all__ = ["ClearSolutionsNamingPart", "HiddenGraders"]
