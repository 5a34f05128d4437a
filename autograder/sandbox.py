"""Confine step: run one submission in a box of its own, where it can read no answer and touch
nothing but its own scratch folder.

The warm server forks a *keeper* per submission; the keeper builds the box and forks the
*worker*, the first process of the box, which runs the student's code:

    server (trusted) --fork--> keeper (trusted) --fork--> worker = PID 1 of the box (untrusted)

- User, mount, PID, network, IPC and UTS namespaces (`unshare(2)`). The box's user (uid 1000
  inside, never root) is mapped to an unprivileged user (65534 when grading as root, the
  grader's own user otherwise), and the worker drops every capability, locks the securebits,
  sets no_new_privs and installs a seccomp filter before any student code runs: it cannot
  mount, chroot, ptrace, make new namespaces or raise its limits back.
- File system: a fresh root holding read-only binds of the system and Python environment, a
  minimal /dev, the box's own /proc, and one size-capped tmpfs for `/scratch` (the working
  folder, with its own copy of the released helper files) and `/tmp`. Nothing of the course,
  the graders, the reference, other submissions or the work folder is mounted.
- Processes: the worker is PID 1 of its namespace, so every process it starts dies with it; it
  sees no process outside. Memory and processes are counted per box in a cgroup where the
  grader can make one (v1 or v2), with per-process rlimits as the floor everywhere.
- Network: a namespace of its own with no interface up, loopback included.

The keeper stays outside the box's PID namespace (the box cannot see or signal it) and is not
dumpable (the box cannot trace it). When the worker ends, the keeper copies the evidence files
the grader expects, bounded and without following links, into the job's `out/` folder, then
writes `out/run.json`: how the worker ended.
"""

import errno
import json
import os
import resource
import select
import signal
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import linux

BOX_UID_WHEN_ROOT = 65534
"""Grading as root, the box runs as this unprivileged user (`nobody` on most systems)."""
INSIDE_ID = 1000
"""The box's user and group as the box sees them: not root, inside or out."""
SCRATCH = "/scratch"
RUN_RECORD = "run.json"
EVIDENCE_FILE_BYTES = 2 * 1024 * 1024
OUTPUT_BYTES = 64 * 1024
"""The worker's printed output is kept up to this size, for an instructor who looks into a run."""
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
                "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                "/etc/alternatives", "/etc/fonts", "/etc/nsswitch.conf")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
BOX_ENVIRONMENT = {"HOME": "/tmp", "USER": "student", "LOGNAME": "student", "TMPDIR": "/tmp",
                   "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                   "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                   "MPLCONFIGDIR": "/tmp"}
NAMESPACES = (linux.CLONE_NEWUSER | linux.CLONE_NEWNS | linux.CLONE_NEWPID | linux.CLONE_NEWNET
              | linux.CLONE_NEWIPC | linux.CLONE_NEWUTS)
HANDSHAKE_SECONDS = 10.0


class SandboxUnavailable(Exception):
    """This machine cannot confine a submission; the message says why, in one line."""


@dataclass(frozen=True)
class Limits:
    """What bounds one box; see EngineSettings for each one's meaning and default."""

    submission_seconds: float
    memory_bytes: int
    file_bytes: int
    disk_bytes: int
    processes: int

    @classmethod
    def from_request(cls, limits: dict) -> "Limits":
        return cls(**{name: limits[name] for name in cls.__dataclass_fields__})


def _ids() -> tuple[int, int]:
    """The user and group the box's root is mapped to, outside the box: an unprivileged one
    when grading as root (where this namespace knows it), else the grader's own."""
    if os.geteuid() == 0 and all(_known(BOX_UID_WHEN_ROOT, f"/proc/self/{name}")
                                 for name in ("uid_map", "gid_map")):
        return BOX_UID_WHEN_ROOT, BOX_UID_WHEN_ROOT
    return os.geteuid(), os.getegid()


def _known(id_: int, id_map: str) -> bool:
    """Whether this process's user namespace maps `id_` (lines: inside, outside, count)."""
    for line in Path(id_map).read_text().splitlines():
        inside, _, count = map(int, line.split())
        if inside <= id_ < inside + count:
            return True
    return False


# --- cgroups: memory and processes counted for the whole box ------------------------------

@dataclass(frozen=True)
class Cgroup:
    """One box's control groups (one folder per v1 controller, or one v2 folder), made by the
    server before the keeper forks and removed once the box is gone."""

    folders: tuple[Path, ...]
    version: int

    @classmethod
    def for_job(cls, token: str) -> "Cgroup | None":
        base = _cgroup_base()
        if base is None:
            return None
        version, roots = base
        name = f"autograder-{os.getpid()}-{token}"
        return cls(tuple(root / name for root in roots), version)

    def create(self, limits: Limits) -> None:
        if self.version == 2:
            control = self.folders[0].parent / "cgroup.subtree_control"
            if not {"memory", "pids"} <= set(control.read_text().split()):
                control.write_text("+memory +pids")
        for folder in self.folders:
            folder.mkdir(exist_ok=True)
        if self.version == 1:
            memory, pids = self.folders
            (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            swap = memory / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(str(limits.memory_bytes))
            (pids / "pids.max").write_text(str(limits.processes))
        else:
            [folder] = self.folders
            (folder / "memory.max").write_text(str(limits.memory_bytes))
            (folder / "memory.swap.max").write_text("0")
            (folder / "pids.max").write_text(str(limits.processes))

    @staticmethod
    def remove_stale() -> None:
        """Remove the empty cgroups of servers that are gone (killed before they could)."""
        base = _cgroup_base()
        for root in base[1] if base else ():
            for folder in root.glob("autograder-*-*"):
                server = folder.name.split("-")[1]
                if server.isdigit() and not Path(f"/proc/{server}").exists():
                    try:
                        folder.rmdir()
                    except OSError:
                        pass

    def join(self) -> None:
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> bool:
        """Remove the folders once the box's processes are gone; False while some remain."""
        for folder in self.folders:
            try:
                folder.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                return False
        return True


def _cgroup_base() -> tuple[int, tuple[Path, ...]] | None:
    """Where this process may make cgroups for its boxes, or None: on v2, beside its own cgroup
    (which holds processes, so no box may go under it) when the parent offers the memory and
    pids controllers and is writable; on v1, in the memory and pids hierarchies when writable
    (as root)."""
    root = Path("/sys/fs/cgroup")
    if (root / "cgroup.controllers").exists():
        own = _own_cgroup_v2()
        if own is None:
            return None
        parent = (root / own.lstrip("/")).parent if own.strip("/") else root
        try:
            offered = set((parent / "cgroup.controllers").read_text().split())
        except OSError:
            return None
        if {"memory", "pids"} <= offered and os.access(parent, os.W_OK):
            return 2, (parent,)
        return None
    folders = (root / "memory", root / "pids")
    if all(os.access(folder, os.W_OK) for folder in folders):
        return 1, folders
    return None


def _own_cgroup_v2() -> str | None:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return line[3:]
    return None


def describe() -> str:
    """One line saying how boxes are confined on this machine, for every record."""
    base = _cgroup_base()
    counted = (f"memory and processes per box (cgroup v{base[0]})" if base else
               "memory and processes per process only (no cgroup this user may create)")
    uid, _ = _ids()
    return (f"namespaces (user, mount, pid, net, ipc, uts), uid {uid}, no capabilities, "
            f"seccomp, {counted}")


# --- the server side: fork a keeper, map its user ------------------------------------------

def prepare_job(job_dir: Path, request: dict, helpers: list[Path]) -> None:
    """The job folder the keeper reads (in the grader): the request, the helper files, and
    `out/`, the one folder the keeper writes, owned by the box's user."""
    job_dir.mkdir(parents=True)
    (job_dir / "request.json").write_text(json.dumps(request))
    (job_dir / "helpers").mkdir()
    for path in helpers:
        (job_dir / "helpers" / path.name).write_bytes(path.read_bytes())
    (job_dir / "out").mkdir(mode=0o700)
    os.chown(job_dir / "out", *_ids())


def spawn(job_dir: Path, confined: bool, cgroup: "Cgroup | None",
          box_main: Callable[[dict, str], None]) -> int:
    """Fork the keeper of one job (in the server); returns its pid once the box's user is
    mapped. `box_main(request, scratch)` is what the worker runs inside."""
    unshared, unshared_writer = os.pipe()
    mapped_reader, mapped = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            os.close(unshared)
            os.close(mapped)
            code = _keeper(job_dir, confined, cgroup, box_main, parent, unshared_writer,
                           mapped_reader)
        finally:
            os._exit(code)
    os.close(unshared_writer)
    os.close(mapped_reader)
    try:
        if confined:
            ready, _, _ = select.select([unshared], [], [], HANDSHAKE_SECONDS)
            if ready and os.read(unshared, 1) == b"u":
                _map_user(pid)
                os.write(mapped, b"m")
    except OSError:
        pass  # the keeper finds no mapping, writes why in its record and ends
    finally:
        os.close(unshared)
        os.close(mapped)
    return pid


def _map_user(pid: int) -> None:
    uid, gid = _ids()
    proc = Path(f"/proc/{pid}")
    (proc / "setgroups").write_text("deny")
    (proc / "uid_map").write_text(f"{INSIDE_ID} {uid} 1\n")
    (proc / "gid_map").write_text(f"{INSIDE_ID} {gid} 1\n")


# --- the keeper: build the box, run the worker, hand the evidence over ---------------------

def die_with_parent(parent: int) -> None:
    """In a fresh fork: be killed when `parent` ends, so nothing outlives an abandoned run."""
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the line above
        os._exit(70)


def _keeper(job_dir: Path, confined: bool, cgroup: "Cgroup | None", box_main, server: int,
            unshared_writer: int, mapped_reader: int) -> int:
    die_with_parent(server)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # never the server's pipes: the box could speak for the server
        os.dup2(null, fd)
    os.closerange(3, min(unshared_writer, mapped_reader))
    os.closerange(max(unshared_writer, mapped_reader) + 1, 1 << 16)
    out = os.open(job_dir / "out", os.O_RDONLY | os.O_DIRECTORY)
    request = json.loads((job_dir / "request.json").read_bytes())
    helpers = {path.name: path.read_bytes() for path in sorted((job_dir / "helpers").iterdir())}
    limits = Limits.from_request(request["limits"])
    record: dict = {}
    try:
        if cgroup is not None:
            cgroup.join()
        if confined:
            sources = _enter_namespaces(unshared_writer, mapped_reader)
            scratch = _mount_box(sources, limits)
        else:
            os.mkdir(job_dir / "scratch", 0o700)
            scratch = os.open(job_dir / "scratch", os.O_RDONLY | os.O_DIRECTORY)
        record["end"] = _run_worker(request, helpers, limits, confined, scratch, box_main)
        _copy_evidence(scratch, request["evidence"], out)
    except SandboxUnavailable as error:
        record = {"end": "sandbox failed", "error": str(error)[:500]}
    except Exception as error:  # noqa: BLE001 - any failure to build the box is the record
        record = {"end": "sandbox failed", "error": f"{type(error).__name__}: {error}"[:500]}
    _write_file(out, RUN_RECORD, json.dumps(record).encode())
    return 0


def _enter_namespaces(unshared_writer: int, mapped_reader: int) -> dict[str, int]:
    """Enter the box's namespaces as the box's user; returns the mount sources, opened while
    this process is still its own user (the box's user may not reach their paths)."""
    _adjust_oom_score("-1000")  # the box's processes, not their keeper, are the ones to kill
    try:
        linux.unshare(NAMESPACES)
    except OSError as error:
        raise SandboxUnavailable(
            f"this system does not let the grader create namespaces ({error.strerror}); allow "
            "user namespaces (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone, "
            "or AppArmor's restriction on Ubuntu) or grade as root") from None
    sources = _open_sources()  # after unshare: a bind needs a source in this mount namespace
    os.write(unshared_writer, b"u")
    os.close(unshared_writer)
    ready, _, _ = select.select([mapped_reader], [], [], HANDSHAKE_SECONDS)
    if not ready or os.read(mapped_reader, 1) != b"m":
        raise SandboxUnavailable("the grading server could not map the box's user")
    os.close(mapped_reader)
    # Become the box's user: the namespace's capabilities stay (its creator was never its root,
    # so no setuid rule drops them) until the worker drops them, and files belong to that user.
    os.setresgid(INSIDE_ID, INSIDE_ID, INSIDE_ID)
    os.setresuid(INSIDE_ID, INSIDE_ID, INSIDE_ID)
    linux.prctl(linux.PR_SET_DUMPABLE, 0)  # the box cannot trace or read its keeper
    return sources


def _adjust_oom_score(value: str) -> None:
    """Where the kernel lets us (lowering needs CAP_SYS_RESOURCE), steer the out-of-memory killer
    of the box's cgroup to the student's processes."""
    try:
        Path("/proc/self/oom_score_adj").write_text(value)
    except OSError:
        pass


def _run_worker(request: dict, helpers: dict[str, bytes], limits: Limits, confined: bool,
                scratch: int, box_main) -> str:
    """Fork the worker, wait for it within the submission's time, return how it ended."""
    setup_reader, setup_writer = os.pipe()
    keeper = os.pidfd_open(os.getpid())  # the worker's PID namespace cannot name its keeper
    pid = os.fork()
    if pid == 0:
        try:
            os.close(setup_reader)
            linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
            if select.select([keeper], [], [], 0)[0]:  # the keeper ended before the line above
                os._exit(71)
            os.close(keeper)
            _build_box(helpers, limits, confined, scratch, setup_writer)
        except BaseException as error:  # noqa: BLE001 - the keeper reports it
            _tell(setup_writer, f"{type(error).__name__}: {error}")
            os._exit(71)
        code = 70
        try:
            box_main(request, os.getcwd())
            code = 0
        finally:
            os._exit(code)
    os.close(setup_writer)
    os.close(keeper)
    problem = _read_setup(setup_reader)
    end = wait_for(pid, limits.submission_seconds)
    if problem:
        raise SandboxUnavailable(problem)
    return end


def how_it_ended(status: int) -> str:
    """A wait status in words: 'ok', 'exit N' or 'killed by signal N'."""
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    code = os.WEXITSTATUS(status)
    return "ok" if code == 0 else f"exit {code}"


def wait_for(pid: int, seconds: float, kill: Callable[[int, int], None] = os.kill, *,
             _pidfd_open=os.pidfd_open, _select=select.select, _close=os.close,
             _waitpid=os.waitpid) -> str:
    """Wait for a child; past `seconds`, `kill(pid, SIGKILL)` it: 'timeout', or how it ended.
    The calls are bound when this module loads, before any student code could replace them."""
    watcher = _pidfd_open(pid)
    try:
        ready, _, _ = _select([watcher], [], [], seconds)
    finally:
        _close(watcher)
    if not ready:
        kill(pid, signal.SIGKILL)
    _, status = _waitpid(pid, 0)
    return how_it_ended(status) if ready else "timeout"


def _tell(fd: int, message: str) -> None:
    try:
        os.write(fd, message.encode(errors="replace")[:500])
        os.close(fd)
    except OSError:
        pass


def _read_setup(fd: int) -> str:
    """The worker's setup error, or '' once it closed the pipe to run the student's code. The
    pipe is closed before any student code runs, so nothing the student writes reaches it."""
    chunks = []
    while True:
        chunk = os.read(fd, 512)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)[:500].decode(errors="replace")


def _python_paths() -> list[str]:
    paths = {os.path.realpath(path) for path in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return sorted(paths)


def _open_sources() -> dict[str, int]:
    """O_PATH descriptors of everything bound read-only into the box, by the path it gets."""
    sources = {}
    for path in [*SYSTEM_PATHS, *DEVICES, *_python_paths()]:
        if os.path.islink(path):
            sources[path] = -1  # recreated as the same link inside
            continue
        try:
            sources[path] = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
    return sources


def _build_box(helpers: dict[str, bytes], limits: Limits, confined: bool, scratch: int,
               setup_writer: int) -> None:
    """In the worker, before any student code: enter the box's root, write the helper files,
    set the limits, drop every privilege."""
    if confined:
        _enter_box()
        _adjust_oom_score("1000")
        linux.prctl(linux.PR_SET_DUMPABLE, 1)  # the keeper's setting is not the box's: its own
        # /proc/self files belong to it again, as in any process
    else:
        os.fchdir(scratch)
    for name, data in helpers.items():
        Path(name).write_bytes(data)
    output = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    os.environ.clear()
    os.environ.update(BOX_ENVIRONMENT)
    for limit, value in ((resource.RLIMIT_AS, limits.memory_bytes),
                         (resource.RLIMIT_FSIZE, limits.file_bytes),
                         (resource.RLIMIT_NPROC, limits.processes),
                         (resource.RLIMIT_CPU, int(limits.submission_seconds) + 1),
                         (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(limit, (value, value))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit raises OSError
    os.close(setup_writer)
    os.closerange(3, 1 << 16)
    if confined:
        linux.drop_capabilities()
        linux.install_seccomp()


BOX_ROOT = "/tmp"
"""Where the keeper builds the box's root, in its private mount namespace."""


def _mount_box(sources: dict[str, int], limits: Limits) -> int:
    """In the keeper: the box's root with the system and Python read-only, a minimal /dev, one
    capped tmpfs for /scratch and /tmp. Returns a descriptor of the scratch folder, the keeper's
    way back to the evidence after the box is gone."""
    linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    root = BOX_ROOT
    linux.mount("tmpfs", root, "tmpfs", linux.MS_NOSUID, "size=4m,mode=0755")
    writable = f"{root}/.rw"
    os.mkdir(writable)
    linux.mount("tmpfs", writable, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV,
                f"size={limits.disk_bytes},mode=0755")
    # The writable folders first: a Python environment under /tmp (a clone made there) is bound
    # on top of the box's own /tmp, not hidden under it. Parents before children.
    for name, mode in (("scratch", 0o755), ("tmp", 0o1777)):
        os.mkdir(f"{writable}/{name}", mode)
        os.chmod(f"{writable}/{name}", mode)
        os.makedirs(f"{root}/{name}", exist_ok=True)
        linux.mount(f"{writable}/{name}", f"{root}/{name}", None, linux.MS_BIND)
    for path, fd in sorted(sources.items()):
        target = root + path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if fd < 0:
            os.symlink(os.readlink(path), target)
            continue
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            os.makedirs(target, exist_ok=True)
        else:
            open(target, "w").close()
        _bind_read_only(f"/proc/self/fd/{fd}", target, device=path in DEVICES)
        os.close(fd)
    linux.umount(writable)
    os.rmdir(writable)
    os.mkdir(f"{root}/proc")
    return os.open(f"{root}/scratch", os.O_RDONLY | os.O_DIRECTORY)


def _enter_box() -> None:
    """In the worker, PID 1 of the box's namespace: its own /proc, then the box's root."""
    root = BOX_ROOT
    linux.mount("proc", f"{root}/proc", "proc",
                linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
    os.chdir(root)
    os.mkdir(".old")
    linux.pivot_root(".", ".old")
    linux.umount("/.old")
    os.rmdir("/.old")
    linux.mount(None, "/", None, linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY
                | linux.MS_NOSUID)
    os.chdir(SCRATCH)


def _bind_read_only(source: str, target: str, device: bool) -> None:
    linux.mount(source, target, None, linux.MS_BIND | linux.MS_REC)
    flags = linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY | linux.MS_NOSUID
    try:
        linux.mount(None, target, None, flags | (0 if device else linux.MS_NODEV))
    except OSError as error:
        # A flag the original mount has locked (nodev, noexec) must be kept: retry with all.
        if error.errno != errno.EPERM:
            raise
        linux.mount(None, target, None, flags | linux.MS_NODEV | linux.MS_NOEXEC)


# --- evidence: out of the box, bounded, never following a link -----------------------------

def _read_inside(scratch: int, relative: str, limit: int) -> bytes | None:
    """A regular file's first `limit` bytes, reached without following any link, or None."""
    *folders, name = relative.split("/")
    fd = os.dup(scratch)
    try:
        for folder in folders:
            inner = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
        file = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        if not stat.S_ISREG(os.fstat(file).st_mode):
            return None
        chunks, left = [], limit
        while left > 0 and (chunk := os.read(file, min(left, 1 << 16))):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(file)


def _write_file(out: int, relative: str, data: bytes) -> None:
    *folders, name = relative.split("/")
    fd = os.dup(out)
    try:
        for folder in folders:
            try:
                os.mkdir(folder, 0o700, dir_fd=fd)
            except FileExistsError:
                pass
            inner = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
        file = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600,
                       dir_fd=fd)
        try:
            os.write(file, data)
        finally:
            os.close(file)
    finally:
        os.close(fd)


def _copy_evidence(scratch: int, files: list[str], out: int) -> None:
    """Copy the files the grader reads; one byte over the cap tells the grader it was too big."""
    for relative in files:
        limit = OUTPUT_BYTES if relative == "output.txt" else EVIDENCE_FILE_BYTES + 1
        data = _read_inside(scratch, relative, limit)
        if data is not None:
            _write_file(out, relative, data)
