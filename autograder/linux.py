"""The few Linux system calls the sandbox and the warm server need that Python's `os` module
does not offer.

Each wrapper raises OSError with the call's name on failure. Numbers are the kernel's ABI
(x86_64 and aarch64); on other machines `SUPPORTED` is False and the sandbox says so.
"""

import ctypes
import errno
import os
import platform
import struct

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                        ctypes.c_ulong]
_libc.syscall.restype = ctypes.c_long
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]

MACHINE = platform.machine()
# name -> (x86_64 number, aarch64 number)
_SYSCALLS = {
    "pivot_root": (155, 41), "ptrace": (101, 117), "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271), "mount": (165, 40), "umount2": (166, 39),
    "chroot": (161, 51), "unshare": (272, 97), "setns": (308, 268), "clone": (56, 220),
    "clone3": (435, 435), "keyctl": (250, 219), "add_key": (248, 217),
    "request_key": (249, 218), "bpf": (321, 280), "perf_event_open": (298, 241),
    "userfaultfd": (323, 282), "open_tree": (428, 428), "move_mount": (429, 429),
    "fsopen": (430, 430), "fsconfig": (431, 431), "fsmount": (432, 432), "fspick": (433, 433),
    "mount_setattr": (442, 442), "io_uring_setup": (425, 425), "kexec_load": (246, 104),
    "init_module": (175, 105), "finit_module": (313, 273), "delete_module": (176, 106),
    "reboot": (169, 142), "name_to_handle_at": (303, 264), "open_by_handle_at": (304, 265),
    "swapon": (167, 224), "swapoff": (168, 225), "acct": (163, 89),
    "settimeofday": (164, 170), "sethostname": (170, 161), "setdomainname": (171, 162),
    "quotactl": (179, 60), "capset": (126, 91),
}
_ARCH = {"x86_64": (0, 0xC000003E), "aarch64": (1, 0xC00000B7)}
SUPPORTED = MACHINE in _ARCH

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWTIME = 0x00000080
NAMESPACE_FLAGS = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                   | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWTIME)

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
MADV_COLLAPSE = 25
HUGE_PAGE_SIZE_FILE = "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"

# NOROOT, NO_SETUID_FIXUP, KEEP_CAPS_LOCKED, NO_CAP_AMBIENT_RAISE, each with its lock bit.
LOCKED_SECUREBITS = 0b11101111


def _check(result: int, call: str) -> int:
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{call}: {os.strerror(error)}")
    return result


def prctl(option: int, arg: int = 0) -> int:
    return _check(_libc.prctl(option, arg, 0, 0, 0), f"prctl({option})")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def _encode(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def mount(source: str | None, target: str, fstype: str | None, flags: int,
          data: str | None = None) -> None:
    _check(_libc.mount(_encode(source), _encode(target), _encode(fstype), flags, _encode(data)),
           f"mount {target}")


def umount(target: str) -> None:
    _check(_libc.umount2(os.fsencode(target), MNT_DETACH), f"umount {target}")


def collapse_into_huge_pages() -> int:
    """Back this process's private writable memory with huge pages (2 MiB) where the kernel can
    (MADV_COLLAPSE, Linux 6.1 and later, transparent huge pages not "never"): forking then copies
    one page-table entry per huge page instead of 512, and a child's exit frees as many fewer.
    Best effort: returns the bytes collapsed, 0 where nothing could be."""
    try:
        with open(HUGE_PAGE_SIZE_FILE) as size_file:
            huge = int(size_file.read())
        with open("/proc/self/maps") as maps:
            regions = [line.split() for line in maps]
    except (OSError, ValueError):
        return 0
    collapsed = 0
    for fields in regions:
        if fields[1] != "rw-p" or (len(fields) > 5 and fields[5] != "[heap]"):
            continue  # file mappings, stacks and guard pages stay as they are
        start, end = (int(address, 16) for address in fields[0].split("-"))
        start, end = -(-start // huge) * huge, end // huge * huge
        if end > start and _libc.madvise(start, end - start, MADV_COLLAPSE) == 0:
            collapsed += end - start
    return collapsed


def syscall_number(name: str) -> int:
    return _SYSCALLS[name][_ARCH[MACHINE][0]]


def pivot_root(new_root: str, put_old: str) -> None:
    _check(_libc.syscall(syscall_number("pivot_root"), os.fsencode(new_root),
                         os.fsencode(put_old)), "pivot_root")


def drop_capabilities() -> None:
    """No capability now or after any exec: bounding set, ambient set, securebits, capset."""
    prctl(PR_SET_SECUREBITS, LOCKED_SECUREBITS)
    capability = 0
    while True:
        try:
            prctl(PR_CAPBSET_DROP, capability)
        except OSError as error:
            if error.errno == errno.EINVAL:  # past the last capability this kernel knows
                break
            raise
        capability += 1
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = struct.pack("Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(24)  # two empty {effective, permitted, inheritable}
    _check(_libc.syscall(syscall_number("capset"), header, data), "capset")


# Syscalls no student needs and an escape would: namespaces, mounts, tracing, kernel keys,
# BPF, io_uring (which bypasses this filter), modules.
BLOCKED = ("ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root",
           "chroot", "unshare", "setns", "keyctl", "add_key", "request_key", "bpf",
           "perf_event_open", "userfaultfd", "open_tree", "move_mount", "fsopen", "fsconfig",
           "fsmount", "fspick", "mount_setattr", "io_uring_setup", "kexec_load", "init_module",
           "finit_module", "delete_module", "reboot", "name_to_handle_at", "open_by_handle_at",
           "swapon", "swapoff", "acct", "settimeofday", "sethostname", "setdomainname",
           "quotactl")


def _bpf(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def seccomp_filter() -> bytes:
    """The BPF program: blocked calls fail with EPERM, clone with a namespace flag too, clone3
    with ENOSYS (so libc falls back to clone), any other architecture or ABI kills."""
    load, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    eperm, enosys = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
    numbers = [syscall_number(name) for name in BLOCKED]
    program = [_bpf(load, 4), _bpf(jeq, _ARCH[MACHINE][1], jt=1), _bpf(ret, kill),
               _bpf(load, 0)]
    if MACHINE == "x86_64":  # the x32 ABI numbers its calls from 0x40000000
        program += [_bpf(jge, 0x40000000, jf=1), _bpf(ret, kill)]
    for number in numbers:
        program += [_bpf(jeq, number, jf=1), _bpf(ret, eperm)]
    program += [_bpf(jeq, syscall_number("clone3"), jf=1), _bpf(ret, enosys),
                _bpf(jeq, syscall_number("clone"), jf=3),
                _bpf(load, 16),  # low 32 bits of clone's flags argument
                _bpf(jset, NAMESPACE_FLAGS, jf=1), _bpf(ret, eperm),
                _bpf(ret, allow)]
    return b"".join(program)


def install_seccomp() -> None:
    program = seccomp_filter()
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("HxxxxxxP", len(program) // 8, ctypes.addressof(buffer))
    fprog_buffer = ctypes.create_string_buffer(fprog, len(fprog))
    prctl(PR_SET_NO_NEW_PRIVS, 1)  # lets an unprivileged process install a filter, and no exec
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog_buffer), 0, 0),
           "prctl(PR_SET_SECCOMP)")
