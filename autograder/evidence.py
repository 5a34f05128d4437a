"""Read what a worker left in its scratch folder, trusting none of it.

Every file was written by a process that ran student code. Each is read within bounds (size,
depth, no symbolic links, see untrusted.py) and checked against the shape an honest worker
writes (see worker.py and probe.py): types, lengths, allowed keys. Text is cut and cleaned on
the way in. A file that breaks the shape is malformed: its place holds a MALFORMED marker, so
the graders can say that part could not be checked, and `Evidence.malformed` lists it for the
record's status. What is missing stays missing, so the graders can say why.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .untrusted import Refusal, RefusedFile, clean_text, read_json

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TEXT = 300
"""Longest text kept from a worker (an error message, a line of code, a type name)."""
MAX_RECORDS = 10_000
MAX_ITEMS = 2000
"""Longest list described item by item (probe.MAX_ITEMS)."""
MAX_VALUES = 100
MAX_DIMENSIONS = 64
MAX_INTEGER = 2**63
MALFORMED = "malformed"
"""Key of the marker standing in for a file that broke the shape; never a key of valid data."""


class Malformed(ValueError):
    """A worker's file is not what an honest worker writes; the message says where."""


def read_json_file(path: Path) -> dict | None:
    """The file's JSON object, or None when it is absent, unreadable, too large or too deep,
    or not a JSON object."""
    try:
        data = read_json(path, MAX_FILE_BYTES)
    except RefusedFile:
        return None
    return data if isinstance(data, dict) else None


def evidence_files(part_probes: dict[str, list[str]]) -> list[str]:
    """Every file a worker may leave that the grader reads (see worker.py), plus its printed
    output for an instructor who looks into a run: the files the sandbox copies out of a box."""
    files = ["main.json", "output.txt"]
    for part, probe_ids in part_probes.items():
        files += [f"{part}/{name}.json" for name in ("section", "ended", *probe_ids)]
    return files


Check = Callable[[object, str], object]
"""Validates a value found at a place (named for messages); returns it, its text cleaned."""


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise Malformed(f"{where} is not text")
    return clean_text(value, MAX_TEXT)


def _flag(value: object, where: str) -> bool:
    if type(value) is not bool:
        raise Malformed(f"{where} is not true or false")
    return value


def _true(value: object, where: str) -> bool:
    if value is not True:
        raise Malformed(f"{where} is not true")
    return value


def _count(value: object, where: str) -> int:
    if type(value) is not int or not 0 <= value < MAX_INTEGER:
        raise Malformed(f"{where} is not a count")
    return value


def _line(value: object, where: str) -> int | None:
    return None if value is None else _count(value, where)


def _list_of(check: Check, longest: int) -> Check:
    def checked(value: object, where: str) -> list:
        if not isinstance(value, list) or len(value) > longest:
            raise Malformed(f"{where} is not a list of at most {longest}")
        return [check(item, f"{where}[{index}]") for index, item in enumerate(value)]

    return checked


def _object(value: object, where: str, required: dict[str, Check],
            optional: dict[str, Check] | None = None) -> dict:
    """A JSON object with every required key, no key outside required and optional ones."""
    optional = optional or {}
    if not isinstance(value, dict):
        raise Malformed(f"{where} is not an object")
    if not required.keys() <= value.keys() or not value.keys() <= required.keys() | optional:
        raise Malformed(f"{where} does not have the keys {', '.join(required) or 'expected'}")
    checks = {**required, **optional}
    return {key: checks[key](item, f"{where}.{key}") for key, item in value.items()}


def _numbers(value: object, where: str) -> object:
    """A number or a boolean, or (a tensor's values) lists of numbers nested to any shape."""
    if isinstance(value, list):
        return [_numbers(item, where) for item in value]
    if type(value) not in (int, float, bool):
        raise Malformed(f"{where} is not a number or a list of numbers")
    return value


def _has_shape(value: object, shape: list[int]) -> bool:
    if not shape:
        return not isinstance(value, list)
    return (isinstance(value, list) and len(value) == shape[0]
            and all(_has_shape(item, shape[1:]) for item in value))


def _description(value: object, where: str, nested: bool = False) -> dict:
    """What probe.describe makes of a value: its type and, for known types, its contents."""
    optional = {"value": _numbers, "shape": _list_of(_count, MAX_DIMENSIONS), "dtype": _text,
                "requires_grad": _flag, "error": _text}
    if not nested:
        optional.update(length=_count, items=_list_of(_item, MAX_ITEMS))
    described = _object(value, where, {"type": _text}, optional)
    if "value" in described and "shape" in described and not _has_shape(described["value"],
                                                                          described["shape"]):
        raise Malformed(f"{where}.value is not shaped as {where}.shape says")
    return described


def _item(value: object, where: str) -> dict:
    return _description(value, where, nested=True)


def _values(value: object, where: str) -> dict:
    if not isinstance(value, dict) or len(value) > MAX_VALUES:
        raise Malformed(f"{where} is not an object of at most {MAX_VALUES} values")
    return {clean_text(name, MAX_TEXT): _description(item, f"{where}[...]")
            for name, item in value.items()}


def _error(value: object, where: str) -> dict:
    return _object(value, where, {"type": _text, "message": _text},
                   {"cell": _text, "line": _line, "code": _text})


def _record(value: object, where: str) -> dict:
    return _object(value, where, {"cell": _text},
                   {"timeout": _true, "error": _error, "skipped": _true})


def _main(value: object, where: str) -> dict:
    return _object(value, where, {"cells": _list_of(_record, MAX_RECORDS), "finished": _flag})


def _section(value: object, where: str) -> dict:
    return _object(value, where, {"cells": _list_of(_record, MAX_RECORDS)})


def _ended(value: object, where: str) -> dict:
    return _object(value, where, {"outcome": _text})


RESPONSES: dict[frozenset[str], Check] = {
    frozenset({"output", "grad_w", "grad_b"}): _description,
    frozenset({"output", "grad_w", "grad_b", "input_after", "call"}): lambda value, where: (
        _text(value, where) if where.endswith(".call") else _description(value, where)),
    frozenset({"values"}): _values,
    frozenset({"error"}): _error,
    frozenset({"lost"}): _text,
    frozenset({"skipped"}): _text,
}
"""Every answer a probe may give (forward; state or train; an error; a probe that died)."""


def _response(value: object, where: str) -> dict:
    shape = frozenset(value) if isinstance(value, dict) else None
    if shape not in RESPONSES:
        raise Malformed(f"{where} is not one of the probe answers")
    return {key: RESPONSES[shape](item, f"{where}.{key}") for key, item in value.items()}


class _Reader:
    """Reads a scratch folder's files, collecting what was malformed."""

    def __init__(self) -> None:
        self.malformed: list[str] = []

    def read(self, folder: int, name: str, check: Check, label: str,
             empty: dict | None = None) -> dict | None:
        """The checked content of `name` in the open `folder`; None when absent. When present
        but unusable: `empty` with a MALFORMED marker, and a line in `malformed`."""
        try:
            return check(read_json(name, MAX_FILE_BYTES, dir_fd=folder), "$")
        except RefusedFile as refused:
            if refused.refusal is Refusal.MISSING:
                return None
            problem = f"the file is {refused.refusal.value}"
        except Malformed as error:
            problem = str(error)
        return {**(empty or {}), MALFORMED: self.note(label, problem)}

    def note(self, label: str, problem: str) -> str:
        """Keep a malformed file's line; returns the problem for its marker."""
        self.malformed.append(f"{label}: {problem}")
        return problem


def _open_folder(path: str | Path, parent: int | None = None) -> int | None:
    """A folder opened without following a symbolic link; None when absent. Malformed when it
    is there but not a folder of its own: a link could make another submission's files this
    one's."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                       dir_fd=parent)
    except FileNotFoundError:
        return None
    except OSError:
        raise Malformed("not a folder (a symbolic link, or a file)") from None


NO_MAIN = {"cells": [], "finished": False}
"""main.json as it is before the worker ran any cell."""


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
    malformed: tuple[str, ...] = ()
    """Each file that broke the shape, and why: "forward/p1.json: the file is too large"."""

    @classmethod
    def read(cls, scratch: Path, part_probes: dict[str, list[str]], worker_end: str) -> "Evidence":
        reader = _Reader()
        parts, main = {}, None
        try:
            scratch_fd = _open_folder(scratch)
        except Malformed as error:
            reader.note("the scratch folder", str(error))
            scratch_fd = None
        if scratch_fd is not None:
            try:
                for part, probe_ids in part_probes.items():
                    if (evidence := _read_part(reader, scratch_fd, part, probe_ids)) is not None:
                        parts[part] = evidence
                main = reader.read(scratch_fd, "main.json", _main, "main.json", NO_MAIN)
            finally:
                os.close(scratch_fd)
        return cls(main=main or dict(NO_MAIN), parts=parts, worker_end=worker_end,
                   malformed=tuple(reader.malformed))


def _read_part(reader: _Reader, scratch: int, part: str,
               probe_ids: list[str]) -> PartEvidence | None:
    """The part's evidence; None when the worker never reached the part."""
    try:
        folder = _open_folder(part, scratch)
    except Malformed as error:
        return PartEvidence({"cells": [], MALFORMED: reader.note(part, str(error))}, {}, None)
    if folder is None:
        return None
    try:
        ended = reader.read(folder, "ended.json", _ended, f"{part}/ended.json") or {}
        section = reader.read(folder, "section.json", _section, f"{part}/section.json",
                              {"cells": []})
        responses = {probe_id: response for probe_id in probe_ids
                     if (response := reader.read(folder, f"{probe_id}.json", _response,
                                                 f"{part}/{probe_id}.json")) is not None}
    finally:
        os.close(folder)
    return PartEvidence(section=section, responses=responses, ended=ended.get("outcome"))
