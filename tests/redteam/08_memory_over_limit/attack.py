# Red-team attack 08 (issue 7): hold more memory than the submission's limit, across processes.
# UNSAFE AGAINST AN UNCONFINED ENGINE: run only where submissions are confined (the harness
# refuses otherwise). Today the limit is an address-space limit per process; this cell forks
# eight children, each of which allocates up to 2 GiB in 64 MiB blocks, touching every page,
# keeps what it got for 1.5 s and exits; the cell waits for them (about 3 s). Eight children
# under `--memory-mb 1024` hold several times the limit if memory is counted per process.

CHILDREN = 8
TARGET = 2 * 1024**3
BLOCK = 64 * 1024**2
PAGE = 4096


def _hold_memory():
    import os
    import time

    held, blocks = 0, []
    deadline = time.monotonic() + 2.0
    while held < TARGET and time.monotonic() < deadline:
        try:
            block = bytearray(BLOCK)
        except MemoryError:
            break
        for offset in range(0, BLOCK, PAGE):
            block[offset] = 1
        blocks.append(block)
        held += BLOCK
    time.sleep(1.5)
    os._exit(0)


def _attack():
    import os

    children = []
    for _ in range(CHILDREN):
        pid = os.fork()
        if pid == 0:
            try:
                _hold_memory()
            finally:
                os._exit(0)
        children.append(pid)
    for pid in children:
        try:
            os.waitpid(pid, 0)
        except Exception:
            pass


try:
    _attack()
except Exception:
    pass
