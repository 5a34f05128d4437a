"""nbgrader settings of the course: `nbgrader <command>` run from this folder reads them."""

import os

from nbgrader.preprocessors import (
    CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput, ComputeChecksums,
    IncludeHeaderFooter, InstantiateTests, LockCells, SaveCells,
)

from autograder.preprocessors import ClearSolutionsNamingPart

c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "mini-batch-gd"
# generate_solution writes the solved notebook next to the reference implementation
c.CourseDirectory.solution_directory = "solutions"

# The release stub names the task, e.g. NotImplementedError: Task 'forward' is not done yet.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\n"
              "raise NotImplementedError(\"Task '{part}' is not done yet: replace this line with your code.\")",
}
# nbgrader's own list, with ClearSolutions swapped for the stub that names the part.
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutionsNamingPart, ClearOutput,
    CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme,
    ComputeChecksums, CheckCellMetadata,
]
# The solved notebook is committed without outputs; the tests execute it.
c.GenerateSolution.preprocessors = [IncludeHeaderFooter, LockCells, ClearOutput, ClearMarkScheme]

# The whole lab runs in about 10 s with figures; a cell running longer than this is stuck.
c.Execute.timeout = 120
c.Execute.startup_timeout = 60
