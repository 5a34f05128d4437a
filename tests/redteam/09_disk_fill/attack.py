# Red-team attack 09 (issue 7): write far more than the file-size limit, across many files.
# UNSAFE AGAINST AN UNCONFINED ENGINE: run only where submissions are confined (the harness
# refuses otherwise). Today the limit holds per file (RLIMIT_FSIZE); this cell writes 300 MiB
# as 15 MiB files named rt_fill_* spread over every place it can write (its working directory,
# the temporary folder, /dev/shm, the course folder), keeps them 1 s, then deletes them so the
# rest of its notebook can run. Bounded: it stops writing after 6 s.

TOTAL = 300 * 1024**2
FILE = 15 * 1024**2
CHUNK = 1024**2


def _places():
    import os
    import sys
    import tempfile
    from pathlib import Path

    places = [Path(os.getcwd()), Path(tempfile.gettempdir()), Path("/dev/shm")]
    package = sys.modules.get("autograder")
    if package is not None and getattr(package, "__file__", None):
        places.append(Path(package.__file__).resolve().parents[1])
    return [place for place in dict.fromkeys(places) if place.is_dir()]


def _fill():
    import os
    import time

    written, files, index = 0, [], 0
    places = _places()
    deadline = time.monotonic() + 6
    chunk = b"x" * CHUNK
    while written < TOTAL and places and time.monotonic() < deadline:
        place = places[index % len(places)]
        path = place / f"rt_fill_{os.getpid()}_{index}"
        index += 1
        try:
            with open(path, "wb") as handle:
                files.append(path)
                for _ in range(FILE // CHUNK):
                    handle.write(chunk)
                    written += CHUNK
        except Exception:
            places.remove(place)
    time.sleep(1)
    for path in files:
        try:
            path.unlink()
        except Exception:
            pass


try:
    _fill()
except Exception:
    pass
