# Red-team attack 13 (issue 7): a fork bomb, bounded in time.
# UNSAFE AGAINST AN UNCONFINED ENGINE: run only where submissions are confined (the harness
# refuses otherwise). The cell forks one child and goes on; the child and every process it
# makes fork as fast as they can (`while True: os.fork()`, a failed fork retried) until 5 s
# after the start, then exit.

SECONDS = 5.0


def _bomb(deadline):
    import os
    import time

    while time.monotonic() < deadline:
        try:
            os.fork()
        except Exception:
            time.sleep(0.001)
    os._exit(0)


def _start():
    import os
    import time

    deadline = time.monotonic() + SECONDS
    if os.fork() == 0:
        try:
            _bomb(deadline)
        finally:
            os._exit(0)


try:
    _start()
except Exception:
    pass
