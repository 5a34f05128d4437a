"""What the engine must know of this lab beyond its notebooks, kept out of the engine's modules.

Both lists only save time while grading: neither changes what a part is graded on, since each
part's own cells run in its snapshot (see worker.py).
"""

NO_DRAW = (
    "error_surfaces.plot_error_surfaces.plot_surface",
    "error_surfaces.plot_error_surfaces.plot_ps",
    "error_surfaces.plot_error_surfaces.final_plot",
)
"""Drawing methods of the released helper that grading skips (a figure costs ~50 ms)."""

MAIN_RUN_SKIPS = ("plot_data", "bgd_run", "sgd_run", "test_dataloader_loop", "mini5_run",
                  "plot_losses")
"""Given cells the notebook's main run leaves out: plots, self-checks and training runs whose
state the next given cell sets anew (`sgd_setup`, `mini5_setup`, `mini10_setup` each set w, b,
lr, trainloader and their LOSS list). `sgd_run` still runs in its part's snapshot, where the
graders read the state it leaves. `mini10_run` is kept: a batch-20 cell that forgets to reset
w and b starts from where it ends."""

SURFACE_PATH = ("get_surface.W", "get_surface.B")
"""Where the notebook's training loops record (w, b) before every update (`set_para_loss`):
read with the notebook's own run, so feedback can draw the student's path beside the
reference's."""

SUPPLIED_FOR_TRAINING = '''
def forward(x, *args, **kwargs):
    return w * x + b


def _restore_notebook_data():
    import torch
    generator = torch.Generator().manual_seed(1)
    fresh_x = torch.arange(-3, 3, 0.1).view(-1, 1)
    fresh_y = 1 * fresh_x - 1 + 0.1 * torch.randn(fresh_x.size(), generator=generator)
    names = globals()
    for name, fresh in (("X", fresh_x), ("Y", fresh_y)):
        old = names.get(name)
        if type(old) is torch.Tensor and old.shape == fresh.shape and not old.requires_grad:
            if not torch.equal(old, fresh):
                old.copy_(fresh)
        else:
            names[name] = fresh
    dataset = names.get("dataset")
    if hasattr(dataset, "x") and hasattr(dataset, "y"):
        dataset.x, dataset.y = names["X"], names["Y"]


_restore_notebook_data()
del _restore_notebook_data
'''
"""Run before each training part's cells (see worker.run_section): a correct `forward`, and
the notebook's data put back where the student's `forward` changed it in place. A `forward`
that takes `w` and `b` as arguments, or that damages its input `X` when given cells call it,
then costs the `forward` part its points and no training part any (see graders/RULES.md).
`forward` accepts and ignores extra arguments: a loop written for `forward(x, w, b)` is
graded on its own merits."""

PART_TITLES = {
    "forward": "Task 1: `forward(x)`",
    "dataloader_loop": "Task 2: `train_model_SGD(epochs)`",
    "batch20_trainer": "Task 3: `my_train_model(epochs)`",
}
"""Each answer cell's task as the notebook's text names it: the release stub and the feedback
use these names, never the grade_id a student does not see."""

CELL_NAMES = {
    **{part: f"your {title.split(':')[0]} cell" for part, title in PART_TITLES.items()},
    "bgd_run": "the cell `train_model_BGD(10)`",
    "sgd_setup": "the set-up cell above Task 2",
    "sgd_run": "the cell `train_model_SGD(10)`",
    "mini5_run": "the cell `train_model_Mini5(10)`",
    "mini10_run": "the cell `train_model_Mini10(10)`",
    "mini20_run": "the cell `my_train_model(10)`",
    "test_forward": "the self-check of Task 1",
    "test_dataloader_loop": "the self-check of Task 2",
    "test_batch20_trainer": "the self-check of Task 3",
}
"""How feedback names a cell the student can find (their cells carry no visible name)."""
