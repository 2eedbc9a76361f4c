"""Starts COUNT threads (default 1,000): all wait on an event, two of them spin.

Every thread is started (and blocked) before "ready" is printed, so the target has
its full thread count when a profiler attaches; then the two spinners are released.
"""

import sys
import threading
import time


def waiter(stop: threading.Event) -> None:
    stop.wait()


def spinner(go: threading.Event, stop: threading.Event) -> None:
    go.wait()
    while not stop.is_set():
        sum(i * i for i in range(2000))


def main(count: int, seconds: float) -> None:
    threading.stack_size(256 * 1024)  # 1,000 default 8 MiB stacks are only address space
    go, stop = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=spinner, args=(go, stop), name=f"spinner-{i}") for i in (0, 1)
    ]
    threads += [
        threading.Thread(target=waiter, args=(stop,), name=f"waiter-{i}") for i in range(count - 2)
    ]
    for t in threads:
        t.start()
    print("ready", flush=True)
    go.set()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
        float(sys.argv[2]) if len(sys.argv) > 2 else 60.0,
    )
