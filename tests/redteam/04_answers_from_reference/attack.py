# Red-team attack 04 (issue 7): read the answers, then answer every probe with them.
# The reference the graders compare against is solutions/reference.py. This cell gets it by
# `import solutions.reference`, and failing that by reading the file from the course folder,
# then replaces the worker's probe code (`autograder.probe.run_probe`) with one that computes
# the reference's answer for each request, and hides the stub cells' errors from the section
# records (`autograder.worker.NotebookRun.run_cell`). On a stub notebook: every point it would
# get comes from the stolen answers. When the reference cannot be had, nothing is replaced.

BATCH_SIZES = {"train_model_SGD": 1, "my_train_model": 20, "LOSS_SGD": 1, "LOSS_MINI20": 20}


def _steal_reference():
    import os
    import sys
    import types
    from pathlib import Path

    try:
        import solutions.reference as reference

        return reference
    except Exception:
        pass
    places = []
    package = sys.modules.get("autograder")
    if package is not None and getattr(package, "__file__", None):
        places.append(Path(package.__file__).resolve().parents[1])
    here = Path(os.getcwd()).resolve()
    places += [here, *here.parents]
    for folder in places:
        try:
            source = (folder / "solutions" / "reference.py").read_text()
        except Exception:
            continue
        module = types.ModuleType("stolen_reference")
        sys.modules["stolen_reference"] = module  # dataclasses look their module up
        exec(compile(source, "stolen_reference", "exec"), module.__dict__)
        return module
    return None


def _answering_with(reference, probe):
    import torch

    def trained(batch_size, w0, b0, epochs, x=None, y=None):
        if x is None:
            x, y = reference.make_data()
        else:
            x, y = torch.tensor(x), torch.tensor(y)
        run = reference.train(x, y, w0=w0, b0=b0, lr=0.1, batch_size=batch_size,
                              epochs=epochs)
        w = torch.tensor(run.w, requires_grad=True)
        b = torch.tensor(run.b, requires_grad=True)
        return run.losses, w, b

    def run_probe(namespace, request, student_cells):
        kind = request.get("kind")
        if kind == "forward":
            w = torch.tensor(float(request["w"]), requires_grad=True)
            b = torch.tensor(float(request["b"]), requires_grad=True)
            output = reference.forward(torch.tensor(request["x"]), w, b)
            output.sum().backward()
            return {"output": probe.describe(output), "grad_w": probe.describe(w.grad),
                    "grad_b": probe.describe(b.grad)}
        if kind == "train":
            losses, w, b = trained(BATCH_SIZES[request["function"]], request["w0"],
                                   request["b0"], request["epochs"], request.get("x"),
                                   request.get("y"))
            return {"values": {request["losses"]: probe.describe(losses),
                               "w": probe.describe(w), "b": probe.describe(b)}}
        names = request["names"]
        batch_size = BATCH_SIZES[names[0]]
        losses, w, b = trained(batch_size, -15.0, -10.0, 10)
        known = {names[0]: losses, "w": w, "b": b, "trainloader.batch_size": batch_size}
        return {"values": {name: probe.describe(known[name]) for name in names}}

    return run_probe


def _take_over_probes():
    import sys

    reference = _steal_reference()
    probe = sys.modules.get("autograder.probe")
    worker = sys.modules.get("autograder.worker")
    if reference is None or probe is None:
        return
    probe.run_probe = _answering_with(reference, probe)
    if worker is not None:
        run_cell = worker.NotebookRun.run_cell

        def quiet_run_cell(self, index):
            return {"cell": run_cell(self, index).get("cell")}

        worker.NotebookRun.run_cell = quiet_run_cell


try:
    _take_over_probes()
except Exception:
    pass
