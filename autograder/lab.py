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
"""Where the notebook's training loops record (w, b) each epoch (`set_para_loss`): read with
the notebook's own run, so feedback can draw the student's path beside the reference's."""
