"""What the grader's pool and the warm server both need to know of each other, and nothing
else: the server imports this, never the pool (whose settings name the course secret's file).
"""

import socket
import struct
from pathlib import Path

from .answers import code_version

UNCONFINED = "none (--no-sandbox)"
"""How a server that confines nothing describes its boxes."""


def engine_version() -> str:
    """A digest of the engine's code: a kept-up server is used only by the code it runs."""
    return code_version(sorted(Path(__file__).parent.glob("*.py")))


def peer(connection: socket.socket) -> tuple[int, int]:
    """The process and the user at the other end of a Unix socket, as the kernel says."""
    pid, uid, _ = struct.unpack("3i", connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return pid, uid
