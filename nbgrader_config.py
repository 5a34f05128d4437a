"""nbgrader settings of the course: `nbgrader <command>` run from this folder reads them."""

import os

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ComputeChecksums,
    IgnorePattern,
    IncludeHeaderFooter,
    InstantiateTests,
    LimitOutput,
    LockCells,
    SaveAutoGrades,
    SaveCells,
)

from autograder.preprocessors import ClearSolutionsNamingPart, HiddenGraders

c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "mini-batch-gd"
# generate_solution writes the solved notebook next to the reference implementation
c.CourseDirectory.solution_directory = "solutions"

# The release stub names the task as the text does (autograder/lab.py, PART_TITLES), e.g.
# NotImplementedError: Task 1: `forward(x)` is not done yet.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\n"
              "raise NotImplementedError(\"{part} is not done yet: "
              "replace this line with your code.\")",
}
# nbgrader's own list, with ClearSolutions swapped for the stub that names the part.
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutionsNamingPart, ClearOutput,
    CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme,
    ComputeChecksums, CheckCellMetadata,
]
# The solved notebook is committed without outputs; the tests execute it.
c.GenerateSolution.preprocessors = [IncludeHeaderFooter, LockCells, ClearOutput, ClearMarkScheme]

# Autograde: the hidden graders run the notebook in their own sandboxed worker and score the
# test cells; nbgrader's kernel `Execute` step is left out, so student code never runs outside
# the worker. HiddenGraders also puts back test cells a student deleted (nbgrader's own
# add_missing_cells cannot place them after a locked cell), so every part gets a gradebook entry.
c.Autograde.autograde_preprocessors = [
    HiddenGraders, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
    AssignLatePenalties, CheckCellMetadata,
]

# `nbgrader validate` and `generate_solution` run the notebook in a kernel: the lab's longest
# cell takes a few seconds with figures, so a cell running past this is stuck.
c.Execute.timeout = 60
c.Execute.startup_timeout = 60
