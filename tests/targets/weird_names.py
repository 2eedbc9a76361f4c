"""A target whose function, file and thread names are hostile to text formats.

Writes a module whose file name contains ``;``, spaces, ``<``, ``>``, quotes and
non-ASCII into the directory given as argv[2], loads it, renames its function's
code object, and burns CPU in it from a thread with an equally odd name.
"""

import importlib.util
import os
import sys
import threading
import time

FUNC_NAME = "hot;path <b>\"quoted\"</b> 'single' é中文🔥"
FILE_NAME = 'odd dir;name <x> "q" ü.py'
THREAD_NAME = 'wörker;thread <script>alert("x")</script> ✓'

SOURCE = """
import time

def burn(stop):
    x = 0
    while time.monotonic() < stop:
        for i in range(1000):
            x += i
"""


def main(seconds: float, directory: str) -> None:
    path = os.path.join(directory, FILE_NAME)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(SOURCE)
    spec = importlib.util.spec_from_file_location("oddmodule", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    code = module.burn.__code__
    replace = {"co_name": FUNC_NAME}
    if hasattr(code, "co_qualname"):
        replace["co_qualname"] = FUNC_NAME
    module.burn.__code__ = code.replace(**replace)
    stop = time.monotonic() + seconds
    t = threading.Thread(target=module.burn, args=(stop,), name=THREAD_NAME)
    t.start()
    print("ready", flush=True)
    t.join()


if __name__ == "__main__":
    main(float(sys.argv[1]), sys.argv[2])
