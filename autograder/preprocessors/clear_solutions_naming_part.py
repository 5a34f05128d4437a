"""Release step: replace each solution region with a stub that names its part."""

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import ClearSolutions

from ..lab import PART_TITLES


class ClearSolutionsNamingPart(ClearSolutions):
    """nbgrader's ClearSolutions, with `{part}` in `code_stub` filled with the cell's task as
    the notebook's text names it (lab.PART_TITLES), else its grade_id.

    A student who runs an unfinished cell then reads which task is still open, e.g.
    ``NotImplementedError: Task 1: `forward(x)` is not done yet``.
    """

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict,
                        cell_index: int) -> tuple[NotebookNode, ResourcesDict]:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        part = PART_TITLES.get(grade_id, grade_id)
        template = self.code_stub
        self.code_stub = {language: stub.replace("{part}", part)
                          for language, stub in template.items()}
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        finally:
            self.code_stub = template
