"""Read what a worker left in its scratch folder, trusting none of it.

Files are written by a process that ran student code: each is size-capped, parsed as JSON and
checked to be a dict before anyone looks inside. What is missing stays missing, with the reason
it went missing, so the graders can say why a part could not be checked.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 2 * 1024 * 1024


def read_json_file(path: Path) -> dict | None:
    """The file's JSON object, or None when it is absent, too large, or not a JSON object."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def evidence_files(part_probes: dict[str, list[str]]) -> list[str]:
    """Every file a worker may leave that the grader reads (see worker.py), plus its printed
    output for an instructor who looks into a run: the files the sandbox copies out of a box."""
    files = ["main.json", "output.txt"]
    for part, probe_ids in part_probes.items():
        files += [f"{part}/{name}.json" for name in ("section", "ended", *probe_ids)]
    return files


@dataclass(frozen=True)
class PartEvidence:
    """One part's section run and probe responses."""

    section: dict | None
    responses: dict[str, dict]
    ended: str | None
    """How the snapshot process ended: 'ok', 'timeout', 'exit N', 'killed by signal N'."""


@dataclass(frozen=True)
class Evidence:
    """Everything one worker run left behind."""

    main: dict
    parts: dict[str, PartEvidence] = field(default_factory=dict)
    worker_end: str = "ok"
    """'ok', 'timeout' (killed by the grader's hard limit) or how the worker process died."""

    @classmethod
    def read(cls, scratch: Path, part_probes: dict[str, list[str]], worker_end: str) -> "Evidence":
        parts = {}
        for part, probe_ids in part_probes.items():
            folder = scratch / part
            if not folder.is_dir():
                continue
            ended = read_json_file(folder / "ended.json") or {}
            responses = {probe_id: response for probe_id in probe_ids
                         if (response := read_json_file(folder / f"{probe_id}.json")) is not None}
            outcome = ended.get("outcome")
            parts[part] = PartEvidence(section=read_json_file(folder / "section.json"),
                                       responses=responses,
                                       ended=outcome if isinstance(outcome, str) else None)
        main = read_json_file(scratch / "main.json") or {"cells": [], "finished": False}
        return cls(main=main, parts=parts, worker_end=worker_end)
