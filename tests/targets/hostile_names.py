"""A target whose function, file and thread names are HTML and JS payloads.

Writes a module named like an ``<img onerror>`` payload (with ``;`` and spaces) into
the directory given as argv[2], renames its functions to ``<script>`` payloads and
``a;b c``, and burns CPU in them from a thread with a hostile name as well.  Every
payload sets ``window.__pwned``: a report that shows these names must leave it unset.
"""

import importlib.util
import os
import sys
import threading
import time

SCRIPT_NAME = "<script>window.__pwned='function'</script>"
PLAIN_NAME = "a;b c"
FILE_NAME = "<img src=x onerror=window.__pwned='file'> a;b c.py"
THREAD_NAME = "a;b c <img src=x onerror=window.__pwned='thread'><script>window.__pwned=1</script>"

SOURCE = """
import time

def burn(stop):
    x = 0
    while time.monotonic() < stop:
        for i in range(1000):
            x += i

def outer(stop):
    burn(stop)
"""


def _rename(fn, name):
    code = fn.__code__
    replace = {"co_name": name}
    if hasattr(code, "co_qualname"):
        replace["co_qualname"] = name
    fn.__code__ = code.replace(**replace)


def main(seconds: float, directory: str) -> None:
    path = os.path.join(directory, FILE_NAME)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(SOURCE)
    spec = importlib.util.spec_from_file_location("hostile", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _rename(module.burn, SCRIPT_NAME)
    _rename(module.outer, PLAIN_NAME)
    stop = time.monotonic() + seconds
    t = threading.Thread(target=module.outer, args=(stop,), name=THREAD_NAME)
    t.start()
    print("ready", flush=True)
    t.join()


if __name__ == "__main__":
    main(float(sys.argv[1]), sys.argv[2])
