"""Confinement: what a submission's code can see and do from inside its box.

A student's extra cell looks around from inside, the way an attacker would, and prints what it
found; the box's printed output is kept with its evidence, where the test reads it.
"""

import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.examples import load_cases
from autograder.grade import discover, grade_submissions
from autograder.settings import EngineSettings

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
CASES = {case.name: case for case in load_cases()}
QUICK = EngineSettings(jobs=2, cell_seconds=3, probe_seconds=3, submission_seconds=60,
                       secret_file=Path(tempfile.gettempdir()) / "autograder-test-secret")

LOOK_AROUND = r'''
import ctypes, gc, hashlib, json, os, resource, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
course = os.path.dirname(os.path.dirname(sys.modules["autograder"].__file__))
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return line.split()[1]
def fails(action):
    try:
        action()
    except Exception as error:
        return type(error).__name__
    return None
def connect():
    socket.create_connection(("127.0.0.1", PORT), timeout=1).sendall(b"stolen")
def raise_limit():
    resource.setrlimit(resource.RLIMIT_NPROC, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
seen = {
    "pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid(),
    "cap_eff": status("CapEff"), "no_new_privs": status("NoNewPrivs"),
    "seccomp": status("Seccomp"),
    "root": sorted(os.listdir("/")),
    "course_paths": {name: os.path.exists(os.path.join(course, name)) for name in
                     ("solutions", "autograder", "source", "release", "tests", "submitted",
                      "nbgrader_config.py", ".grading-secret", "WORKDIR")},
    "environ_block": open("/proc/self/environ", "rb").read().decode(errors="replace"),
    "processes": sorted(int(name) for name in os.listdir("/proc") if name.isdigit()),
    "fds": sorted(os.listdir("/proc/self/fd")),
    "connect": fails(connect),
    "write_usr": fails(lambda: open("/usr/lib/planted.py", "w")),
    "write_tmp": fails(lambda: open("/tmp/note.txt", "w").write("mine")),
    "unshare": libc.unshare(0x10000000), "mount": libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
    "chroot": libc.chroot(b"/tmp"), "ptrace": libc.ptrace(0, 0, None, None),
    "raise_limit": fails(raise_limit),
    "grading_modules": sorted(name for name in sys.modules if name.startswith(
        ("solutions", "autograder.graders", "autograder.scenarios", "autograder.judge",
         "autograder.secret", "pytest"))),
    "secret_strings": sum(1 for item in gc.get_objects()
                          if isinstance(item, str) and "GRADER_TOKEN" in item),
    "course_secret": any(isinstance(item, (str, bytes)) and len(item) in (32, 64)
                         and hashlib.sha256(item if isinstance(item, bytes) else item.encode())
                         .hexdigest() in SECRET_DIGESTS for item in gc.get_objects()),
}
print("SEEN " + json.dumps(seen))
'''


@pytest.fixture
def listener():
    """A loopback listener that records whatever reaches it."""
    server = socket.create_server(("127.0.0.1", 0))
    received = []

    def serve():
        server.settimeout(0.5)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            received.append(connection.recv(1 << 16))
            connection.close()

    stop = threading.Event()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join()
    server.close()


def look_around(tmp_path: Path, port: int, settings: EngineSettings) -> tuple[dict, list]:
    """Grade a correct submission whose first cell looks around; what it saw, and the results."""
    case = CASES["correct_source_solution"]
    notebook = case.write_submission(tmp_path / "submitted")
    secret = secrets.token_hex(32)
    settings.secret_file.write_text(secret)
    digests = {hashlib.sha256(value).hexdigest() for value in (secret.encode(),
                                                                 bytes.fromhex(secret))}
    source = (LOOK_AROUND.replace("PORT", str(port)).replace("WORKDIR", str(tmp_path / "work"))
              .replace("SECRET_DIGESTS", repr(digests)))
    content = json.loads(notebook.read_text())
    content["cells"].insert(0, {"cell_type": "code", "metadata": {}, "outputs": [],
                                "execution_count": None, "source": source})
    notebook.write_text(json.dumps(content))
    grading = grade_submissions(discover([tmp_path / "submitted"]), settings=settings,
                                work_dir=tmp_path / "work")
    output = (tmp_path / "work" / case.name / "evidence" / "output.txt").read_text()
    seen = json.loads(output.split("SEEN ", 1)[1].splitlines()[0])
    return seen, grading.results


def test_box_sees_nothing_of_the_course_and_has_no_privilege(tmp_path, listener, monkeypatch):
    """From inside its box, can a submission reach the course, the network, the grader's
    processes or environment, or any privilege?"""
    monkeypatch.setenv("GRADER_TOKEN", "do-not-leak")
    port, received = listener
    seen, [result] = look_around(tmp_path, port, QUICK)
    assert result.score == 10 and result.status.value == "graded"
    assert seen["pid"] == 1 and seen["uid"] != 0 and seen["gid"] != 0  # no root inside
    assert (seen["cap_eff"], seen["no_new_privs"], seen["seccomp"]) == ("0000000000000000", "1",
                                                                         "2")
    assert set(seen["root"]) <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc",
                                 "sbin", "scratch", "tmp", "usr", *Path(sys.prefix).parts[1:2],
                                 *Path(sys.base_prefix).parts[1:2]}
    assert seen["course_paths"] == dict.fromkeys(seen["course_paths"], False)
    assert "GRADER_TOKEN" not in seen["environ_block"] and seen["secret_strings"] == 0
    assert not seen["course_secret"]
    assert max(seen["processes"]) < 10  # the box's own PID namespace: no server, no grader
    assert seen["fds"] == ["0", "1", "2", "3"]  # 3: the listing itself
    assert seen["connect"] is not None and received == []
    assert seen["write_usr"] == "OSError" and seen["write_tmp"] is None
    assert [seen[call] for call in ("unshare", "mount", "chroot", "ptrace")] == [-1] * 4
    assert seen["raise_limit"] is not None
    assert seen["grading_modules"] == []


@pytest.fixture
def course_for_nobody():
    """A course folder an ordinary user (uid 65534) owns, outside root's private folders."""
    course = Path(tempfile.mkdtemp(prefix="course-"))
    os.chmod(course, 0o755)
    yield course
    shutil.rmtree(course)


def _as_nobody(command: list[str]) -> list[str]:
    """`command` run as uid 65534. Where the Python environment lies under a folder only root
    may enter (e.g. /root), a private mount namespace shows that one folder to the user."""
    hidden = next((folder for folder in reversed(Path(sys.base_prefix).parents)
                   if folder != Path("/") and not os.stat(folder).st_mode & 0o001), None)
    drop = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    if hidden is None:
        return drop + command
    inside = Path(sys.base_prefix).relative_to(hidden).parts[0]
    script = ('set -e; keep=$(mktemp -d); mount --bind "$1/$2" "$keep"; '
              'mount -t tmpfs -o mode=0755 tmpfs "$1"; mkdir "$1/$2"; '
              'mount --move "$keep" "$1/$2"; shift 2; exec "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
            str(hidden), inside, *drop, *command]


def test_environment_under_tmp_stays_visible(monkeypatch):
    """Is a Python environment that lies under /tmp (a clone made there) still readable inside
    the box, above the box's own private /tmp?"""
    environment = Path(tempfile.mkdtemp(prefix="environment-", dir="/tmp"))
    (environment / "module.py").write_text("ANSWER = 42\n")
    os.chmod(environment, 0o755)
    os.chmod(environment / "module.py", 0o644)
    monkeypatch.setattr(sandbox, "_python_paths", lambda: [str(environment)])

    def box_main(request, scratch):
        found = Path(environment, "module.py").read_text()
        Path("main.json").write_text(json.dumps({"found": found,
                                                 "tmp": sorted(os.listdir("/tmp"))}))

    job = Path(tempfile.mkdtemp(prefix="job-")) / "job"
    limits = {"submission_seconds": 30, "memory_bytes": 1 << 30, "file_bytes": 1 << 20,
              "disk_bytes": 1 << 20, "processes": 16}
    sandbox.prepare_job(job, {"limits": limits, "evidence": ["main.json"]}, [])
    try:
        os.waitpid(sandbox.spawn(job, True, None, box_main), 0)
        seen = json.loads((job / "out" / "main.json").read_text())
    finally:
        shutil.rmtree(environment)
        shutil.rmtree(job.parent)
    assert seen["found"] == "ANSWER = 42\n"
    assert seen["tmp"] == [environment.name]  # the box's own /tmp holds only the mount point


def test_ordinary_user_gets_the_same_box(course_for_nobody):
    """Graded by an ordinary user (no root), is the submission confined and graded the same?"""
    course = course_for_nobody
    for name in ("correct_source_solution", "forward_no_bias"):
        CASES[name].write_submission(course / "submitted")
    subprocess.run(["chown", "-R", "65534:65534", str(course)], check=True)
    command = [sys.executable, "-m", "autograder", "grade", "submitted", "--cell-timeout", "3",
               "--probe-timeout", "3", "--json", "grades.json", "--work-dir", "runs",
               "--secret", "secret"]
    done = subprocess.run(_as_nobody(command), cwd=course, capture_output=True, text=True,
                          timeout=300, env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO),
                                            "HOME": str(course)})
    assert done.returncode == 0, done.stderr
    report = json.loads((course / "grades.json").read_text())
    assert [(result["student"], result["score"]) for result in report] == [
        ("correct_source_solution", 10), ("forward_no_bias", 9)]
    assert all(result["sandbox"].startswith("namespaces") for result in report)
    assert "uid 65534" in report[0]["sandbox"]


def test_grading_refuses_when_no_box_can_be_made(tmp_path):
    """Where user namespaces are not allowed, does grading refuse in one line, unless
    --no-sandbox is given, which every record then carries?"""
    CASES["correct_source_solution"].write_submission(tmp_path / "submitted")
    command = [sys.executable, "-m", "autograder", "grade", "submitted", "--cell-timeout", "3",
               "--probe-timeout", "3", "--json", "grades.json", "--work-dir", "runs",
               "--secret", "secret"]
    # A user namespace of its own where no further user namespace may be made.
    script = 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"'
    no_namespaces = [shutil.which("unshare"), "--user", "--map-root-user", "sh", "-c", script,
                     "sh"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    refused = subprocess.run(no_namespaces + command, cwd=tmp_path, capture_output=True,
                             text=True, timeout=300, env=env)
    assert refused.returncode == 1
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("error: Student code cannot be confined on this machine (")
    assert "--no-sandbox" in line and not (tmp_path / "grades.json").exists()
    allowed = subprocess.run(no_namespaces + command + ["--no-sandbox"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300, env=env)
    assert allowed.returncode == 0, allowed.stderr
    [result] = json.loads((tmp_path / "grades.json").read_text())
    assert (result["score"], result["sandbox"]) == (10, "none (--no-sandbox)")
