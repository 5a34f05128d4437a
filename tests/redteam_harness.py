"""Red-team harness: grade one hostile submission among honest ones in a throwaway course, and
collect every way the host was harmed.

A red-team case is a corpus-style folder in tests/redteam/<attack>/ (see tests/redteam/README.md):
`case.json` and the hostile cell's source, named in `edits.extra_cells[].source_file`. Its
`base` names a case of tests/corpus/. Its `redteam` object says how to grade it.

Everything here watches from outside the grading run: digests of files before and after,
the processes left behind, bytes received by loopback listeners, memory and disk use while it
runs. Nothing trusts what the grading run or the student's code says about itself.
"""

import ctypes
import dataclasses
import hashlib
import json
import os
import selectors
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from autograder.assignment import ASSIGNMENT_ID, NOTEBOOK_NAME
from autograder.examples import CORPUS_DIR, ExampleCase

TESTS_DIR = Path(__file__).resolve().parent
REDTEAM_DIR = TESTS_DIR / "redteam"
PARTS = ("forward", "dataloader_loop", "batch20_trainer")
HONEST = ("correct_source_solution", "forward_no_bias")
"""The honest class every attacker is graded with, from tests/corpus/ (10/10 and 9/10)."""
LISTEN_PORTS = range(47651, 47656)
GRADESCOPE_RESULTS = Path("/autograder/results/results.json")
OUTPUTS = ("grades.json", "grades.csv", "feedback")
CLI_SECONDS = 150
"""Longest a grading command may take in a test before the test stops it (limits: 60 s)."""
FILL_PREFIX = "rt_fill_"


# --- cases --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RedTeamCase:
    """A hostile submission and how to grade it."""

    example: ExampleCase
    spec: dict

    @property
    def name(self) -> str:
        return self.example.name

    @property
    def expected(self) -> dict:
        return self.example.expected

    @property
    def acceptable(self) -> list[dict]:
        """The expected record first, then any alternative the case allows."""
        return [self.example.expected, *self.spec.get("also_acceptable", [])]

    @property
    def victims_running(self) -> bool:
        """True: the honest students run beside the attacker (`--rerun`); False: their kept
        runs from an earlier grading run are reused and must stay byte-identical."""
        return self.spec.get("victims", "kept") == "running"

    @property
    def regrade(self) -> bool:
        return bool(self.spec.get("regrade"))

    @property
    def settle_seconds(self) -> float:
        return float(self.spec.get("settle_seconds", 1))

    @property
    def unsafe_unconfined(self) -> bool:
        return bool(self.spec.get("unsafe_unconfined"))

    @property
    def cli_args(self) -> list[str]:
        return list(self.spec.get("cli_args", []))

    @property
    def monitor(self) -> str | None:
        return self.spec.get("monitor")


def load_case(folder: Path) -> RedTeamCase:
    """A red-team folder as an ExampleCase: hostile cells inlined, `base` taken from the corpus."""
    example = ExampleCase.load(folder)
    spec = json.loads((folder / "case.json").read_text())
    edits = json.loads(json.dumps(example.edits))
    for extra in edits.get("extra_cells", []):
        if "source_file" in extra:
            extra["source"] = (folder / extra.pop("source_file")).read_text()
    base = str(CORPUS_DIR / example.base) if example.base else None
    example = dataclasses.replace(example, edits=edits, base=base)
    return RedTeamCase(example, spec.get("redteam", {}))


def attack_names() -> list[str]:
    return sorted(folder.name for folder in REDTEAM_DIR.iterdir()
                  if (folder / "case.json").exists()
                  and json.loads((folder / "case.json").read_text()).get("redteam", {})
                  .get("role", "attack") == "attack")


def honest_cases() -> dict[str, ExampleCase]:
    return {name: ExampleCase.load(CORPUS_DIR / name) for name in HONEST}


# --- the throwaway course ----------------------------------------------------------------


def tracked_files(repo_root: Path) -> list[Path]:
    """The repository's tracked files (what a fresh clone holds), relative to its root."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=repo_root, check=True,
                                capture_output=True).stdout
        return [Path(name) for name in listed.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        skip = {".venv", ".git", "demo", ".autograder-runs", "__pycache__", "submitted",
                "autograded", "feedback", ".pytest_cache", ".ruff_cache"}
        return [path.relative_to(repo_root) for path in repo_root.rglob("*")
                if path.is_file() and not skip & set(path.relative_to(repo_root).parts)]


def copy_course(repo_root: Path, destination: Path) -> Path:
    """A course folder holding the repository's tracked files, and a gradebook to attack."""
    destination.mkdir(parents=True)
    for relative in tracked_files(repo_root):
        source = repo_root / relative
        if source.is_file():
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / relative)
    with sqlite3.connect(destination / "gradebook.db") as gradebook:
        gradebook.execute("CREATE TABLE placeholder (note TEXT)")
        gradebook.execute("INSERT INTO placeholder VALUES ('the course gradebook')")
    gradebook.close()
    return destination


def submission_path(course: Path, student: str) -> Path:
    return course / "submitted" / student / ASSIGNMENT_ID / NOTEBOOK_NAME


def grading_env(course: Path) -> dict[str, str]:
    """The grading command's environment: the course's own package first, headless, and no
    bytecode written by the grader (so any __pycache__ file in the course is someone else's)."""
    return dict(os.environ, PYTHONPATH=str(course), MPLBACKEND="Agg",
                PYTHONDONTWRITEBYTECODE="1")


def grade_command(extra: Iterable[str] = ()) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", "submitted", "--jobs", "2",
            "--cell-timeout", "3", "--probe-timeout", "3", "--timeout", "60",
            "--json", "grades.json", "--csv", "grades.csv", "--feedback", "feedback",
            "--work-dir", "runs", *extra]


@dataclasses.dataclass
class GradeRun:
    returncode: int | None
    seconds: float
    stdout: str
    stderr: str
    peak: float | None = None
    """The monitor's largest sample, when a monitor ran."""

    def tail(self, lines: int = 15) -> str:
        text = (self.stdout + self.stderr).strip().splitlines()
        return "\n".join(text[-lines:])


def run_grading(course: Path, extra: Iterable[str] = (),
                monitor: Callable[[], float] | None = None) -> GradeRun:
    """Run the grading command in the course; stop it after CLI_SECONDS."""
    logs = course.parent / f"grading-{time.monotonic_ns()}"
    logs.mkdir()
    sampler = Sampler(monitor) if monitor else None
    started = time.monotonic()
    with (logs / "stdout").open("w") as out, (logs / "stderr").open("w") as err:
        process = subprocess.Popen(grade_command(extra), cwd=course, env=grading_env(course),
                                   stdout=out, stderr=err)
        if sampler:
            sampler.start()
        try:
            returncode = process.wait(timeout=CLI_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            returncode = None
        finally:
            if sampler:
                sampler.stop()
    return GradeRun(returncode, time.monotonic() - started, (logs / "stdout").read_text(),
                    (logs / "stderr").read_text(), sampler.peak if sampler else None)


def clear_outputs(course: Path) -> None:
    for name in OUTPUTS:
        path = course / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


# --- digests -----------------------------------------------------------------------------


def digest_files(root: Path, keep: Callable[[Path], bool] = lambda relative: True
                 ) -> dict[str, str]:
    """sha256 of every file under root (symlinks by their target text), by relative path."""
    digests = {}
    if not root.exists():
        return digests
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not keep(relative) or path.is_dir() and not path.is_symlink():
            continue
        try:
            data = (b"symlink:" + os.readlink(path).encode() if path.is_symlink()
                    else path.read_bytes())
        except OSError as error:
            data = f"unreadable: {error}".encode()
        digests[str(relative)] = hashlib.sha256(data).hexdigest()
    return digests


def digest_listed(root: Path, files: Iterable[Path]) -> dict[str, str]:
    digests = {}
    for relative in files:
        try:
            digests[str(relative)] = hashlib.sha256((root / relative).read_bytes()).hexdigest()
        except OSError:
            digests[str(relative)] = "missing"
    return digests


def digest_changes(label: str, before: dict[str, str], after: dict[str, str]) -> list[str]:
    """One line per file changed, added or removed."""
    problems = []
    changed = sorted(name for name in before.keys() & after.keys() if before[name] != after[name])
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    for kind, names in (("changed", changed), ("new", added), ("missing", removed)):
        if names:
            shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12
                                             else "")
            problems.append(f"{label}: {len(names)} file(s) {kind}: {shown}")
    return problems


# --- processes ---------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    state: str
    start: int
    uid: int | None
    cmdline: str
    cwd: str
    environ: bytes
    namespaces: tuple[str, str]


def _read(path: str, binary: bool = False):
    try:
        with open(path, "rb" if binary else "r") as handle:
            return handle.read()
    except (OSError, ValueError):
        return b"" if binary else ""


def process_table(details: bool = True) -> dict[int, ProcessInfo]:
    """Every process visible in /proc; skipped quietly when it ends while being read."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        stat = _read(f"/proc/{pid}/stat")
        if ")" not in stat:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        uid, cmdline, cwd, environ, namespaces = None, "", "", b"", ("", "")
        if details:
            for line in _read(f"/proc/{pid}/status").splitlines():
                if line.startswith("Uid:"):
                    uid = int(line.split()[1])
            cmdline = _read(f"/proc/{pid}/cmdline", binary=True).replace(b"\0", b" ").decode(
                errors="replace").strip()
            environ = _read(f"/proc/{pid}/environ", binary=True)
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                cwd = ""
            try:
                namespaces = (os.readlink(f"/proc/{pid}/ns/mnt"),
                              os.readlink(f"/proc/{pid}/ns/pid"))
            except OSError:
                pass
        table[pid] = ProcessInfo(pid, int(fields[1]), fields[0], int(fields[19]), uid, cmdline,
                                 cwd, environ, namespaces)
    return table


def descendants(table: dict[int, ProcessInfo], root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for info in table.values():
        children.setdefault(info.ppid, []).append(info.pid)
    found, stack = set(), [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


class ProcessWatch:
    """Processes a test leaves behind.

    While it watches, the test process is a child subreaper: a process that double-forks out
    of the grading run is re-parented to the test, not to init, so it stays a descendant.
    Left behind: any process that was not there before and still lives after the grace time,
    when it descends from the test, or when its command line, working directory or environment
    names the course copy, whatever its user or its mount and PID namespaces (a confined
    worker may run as another uid in namespaces of its own). Processes that are neither are
    someone else's, and are left alone.
    """

    def __init__(self, course: Path):
        self.course = str(course)
        self.me = os.getpid()
        self.uid = os.getuid()
        self.namespaces = (os.readlink("/proc/self/ns/mnt"), os.readlink("/proc/self/ns/pid"))
        self.before = {pid: info.start for pid, info in process_table(details=False).items()}
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

    def close(self) -> None:
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)

    def _is_new(self, info: ProcessInfo) -> bool:
        return self.before.get(info.pid) != info.start

    def _why(self, info: ProcessInfo, ours: set[int]) -> str | None:
        if info.pid in ours:
            return "a descendant of the test"
        if (self.course in info.cmdline or info.cwd.startswith(self.course)
                or self.course.encode() in info.environ):
            other = info.uid != self.uid or info.namespaces != self.namespaces
            return "names the course copy" + (" (another user or namespace)" if other else "")
        return None

    def reap(self) -> None:
        """Collect the exit status of our zombie children (re-parented escapees)."""
        for info in process_table(details=False).values():
            if info.ppid == self.me and info.state == "Z":
                try:
                    os.waitpid(info.pid, os.WNOHANG)
                except ChildProcessError:
                    pass

    def leftovers(self) -> list[str]:
        """Describe every process left behind, and kill it (SIGKILL)."""
        self.reap()
        table = process_table()
        ours = descendants(table, self.me)
        left = []
        for info in table.values():
            if info.pid == self.me or not self._is_new(info) or info.state in ("Z", "X"):
                continue
            why = self._why(info, ours)
            if why:
                left.append((info, why))
        for info, _ in left:
            try:
                os.kill(info.pid, signal.SIGKILL)
            except OSError:
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(info.pid) for info, _ in left):
            self.reap()
            time.sleep(0.05)
        self.reap()
        return [f"pid {info.pid} (uid {info.uid}, {why}, state {info.state}): "
                f"{info.cmdline[:160] or '?'} [cwd {info.cwd}]" for info, why in left]


def _alive(pid: int) -> bool:
    stat = _read(f"/proc/{pid}/stat")
    return ")" in stat and stat[stat.rindex(")") + 2:][:1] not in ("Z", "X")


class MachineMemory:
    """Memory the machine has given out since this object was made, in MiB (MemTotal less
    MemAvailable): what a submission over its limit would take from everyone. The sum of the
    grading processes' sizes overcounts, since a box's processes share pages with the server."""

    def __init__(self):
        self.baseline = self.used()

    @staticmethod
    def used() -> float:
        fields = dict(line.split(":", 1) for line in _read("/proc/meminfo").splitlines())
        return (int(fields["MemTotal"].split()[0]) - int(fields["MemAvailable"].split()[0])) / 1024

    def sample(self) -> float:
        return self.used() - self.baseline


class Sampler:
    """Call a measurement every 50 ms in a thread and keep the largest value."""

    def __init__(self, measure: Callable[[], float], interval: float = 0.05):
        self.measure, self.interval, self.peak = measure, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.measure())
            except Exception:  # noqa: BLE001 - a process ending mid-read is not an error here
                pass
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# --- disk --------------------------------------------------------------------------------

FILL_PLACES = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))


def fill_files(course: Path) -> list[Path]:
    """Files the disk-filling attack names rt_fill_*, where the host can see them."""
    found = list(course.rglob(f"{FILL_PREFIX}*"))
    for place in FILL_PLACES:
        try:
            found += list(place.glob(f"{FILL_PREFIX}*"))
        except OSError:
            pass
    return found


class DiskWatch:
    """How much the host's file systems filled while grading (MiB): free space lost on the
    course's, /tmp's and /dev/shm's file systems, and the size of rt_fill_* files in view."""

    def __init__(self, course: Path):
        self.course = course
        self.free = {}
        for place in (course, *FILL_PLACES):
            try:
                device = place.stat().st_dev
            except OSError:
                continue
            self.free.setdefault(device, (place, self._free(place)))
        self.files_peak = 0.0

    @staticmethod
    def _free(place: Path) -> int:
        stat = os.statvfs(place)
        return stat.f_bavail * stat.f_frsize

    def sample(self) -> float:
        files = 0
        for path in fill_files(self.course):
            try:
                files += path.stat().st_size
            except OSError:
                pass
        self.files_peak = max(self.files_peak, files / 2**20)
        return max([0.0, *((before - self._free(place)) / 2**20
                           for place, before in self.free.values())])

    def clean(self) -> None:
        for path in fill_files(self.course):
            try:
                path.unlink()
            except OSError:
                pass


# --- loopback ----------------------------------------------------------------------------


class LoopbackListeners:
    """Listeners on 127.0.0.1 that record every connection and every byte received."""

    def __init__(self, ports: Iterable[int] = LISTEN_PORTS):
        self.selector = selectors.DefaultSelector()
        self.ports: list[int] = []
        self.connections: dict[int, int] = {}
        self.received: dict[int, int] = {}
        self.first_bytes = b""
        self._lock = threading.Lock()
        for port in ports:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind(("127.0.0.1", port))
            except OSError:
                listener.close()
                continue
            listener.listen(16)
            listener.setblocking(False)
            self.selector.register(listener, selectors.EVENT_READ, ("listen", port))
            self.ports.append(port)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self.selector.select(timeout=0.1):
                kind, port = key.data
                if kind == "listen":
                    connection, _ = key.fileobj.accept()
                    connection.setblocking(False)
                    self.selector.register(connection, selectors.EVENT_READ, ("data", port))
                    with self._lock:
                        self.connections[port] = self.connections.get(port, 0) + 1
                    continue
                try:
                    data = key.fileobj.recv(1 << 16)
                except OSError:
                    data = b""
                if data:
                    with self._lock:
                        self.received[port] = self.received.get(port, 0) + len(data)
                        self.first_bytes = self.first_bytes or data[:80]
                else:
                    self.selector.unregister(key.fileobj)
                    key.fileobj.close()

    def reset(self) -> None:
        with self._lock:
            self.connections.clear()
            self.received.clear()
            self.first_bytes = b""

    def report(self) -> list[str]:
        time.sleep(0.2)  # let the last bytes in
        with self._lock:
            if not self.connections and not self.received:
                return []
            return [f"loopback listeners on 127.0.0.1 were reached: connections per port "
                    f"{dict(sorted(self.connections.items()))}, bytes received per port "
                    f"{dict(sorted(self.received.items()))}, starting {self.first_bytes!r}"]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()
        self.selector.close()


# --- grades ------------------------------------------------------------------------------


def points_of(entry: dict) -> dict[str, float]:
    return {test.get("name"): test.get("score") for test in entry.get("tests", [])}


def matches(entry: dict, expected: dict) -> bool:
    """Does a record have the expected status and, where given, exactly these points?"""
    if entry.get("status") != expected["status"]:
        return False
    if entry.get("status") != "graded" and not str(entry.get("reason", "")).strip():
        return False
    points = points_of(entry)
    return all(points.get(part) == float(expected[part]) for part in PARTS if part in expected)


def describe(entry: dict | None) -> str:
    if entry is None:
        return "no record"
    points = points_of(entry)
    shown = ", ".join(f"{part} {points.get(part)}" for part in PARTS)
    reason = f" ({entry.get('reason')})" if entry.get("reason") else ""
    return f"{entry.get('status')}{reason}: {shown}; total {entry.get('score')}"


def expectation_text(expected: dict) -> str:
    shown = ", ".join(f"{part} {float(expected[part])}" for part in PARTS if part in expected)
    return f"{expected['status']}" + (f": {shown}" if shown else " (any points, with a reason)")


def check_report(course: Path, run: GradeRun, label: str,
                 expectations: dict[str, list[dict]]) -> list[str]:
    """Problems with a grading run's outputs: every student exactly one record, as expected."""
    problems = []
    if run.returncode != 0:
        how = ("did not finish" if run.returncode is None else f"exited {run.returncode}")
        problems.append(f"{label}: the grading command {how} after {run.seconds:.0f} s:\n"
                        f"{run.tail()}")
    try:
        report = json.loads((course / "grades.json").read_text())
        records = {entry.get("student"): entry for entry in report}
        assert len(records) == len(report), "two records for one student"
    except (OSError, ValueError, AttributeError, TypeError, AssertionError) as error:
        return [*problems, f"{label}: no usable JSON report ({error})"]
    if set(records) != set(expectations):
        problems.append(f"{label}: records for {sorted(records)}, expected one for each of "
                        f"{sorted(expectations)}")
    for student, allowed in expectations.items():
        entry = records.get(student)
        if entry is None or not any(matches(entry, expected) for expected in allowed):
            wanted = " or ".join(expectation_text(expected) for expected in allowed)
            problems.append(f"{label}: {student} got {describe(entry)}; expected {wanted}")
    problems += _check_csv(course, records, label)
    for student in expectations:
        page = course / "feedback" / f"{student}.html"
        if not page.exists():
            problems.append(f"{label}: no feedback page for {student}")
    return problems


def _check_csv(course: Path, records: dict[str, dict], label: str) -> list[str]:
    import csv

    try:
        with (course / "grades.csv").open() as handle:
            rows = {row["student"]: row for row in csv.DictReader(handle)}
    except (OSError, KeyError, csv.Error) as error:
        return [f"{label}: no usable CSV report ({error})"]
    problems = []
    for student, entry in records.items():
        row = rows.get(student)
        if row is None:
            problems.append(f"{label}: no CSV row for {student}")
        elif (row.get("status") != entry.get("status")
              or float(row.get("total") or "nan") != entry.get("score")):
            problems.append(f"{label}: the CSV says {student} {row.get('status')} "
                            f"{row.get('total')}, the JSON {describe(entry)}")
    return problems
