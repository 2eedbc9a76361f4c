"""Maps fresh anonymous memory and touches every page, over and over (page faults)."""

import mmap
import sys
import time

SIZE = 32 << 20
PAGE = mmap.PAGESIZE


def main(seconds: float) -> None:
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        m = mmap.mmap(-1, SIZE)
        for off in range(0, SIZE, PAGE):
            m[off] = 1
        m.close()
        time.sleep(0.01)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0)
