"""Four workers contend for one lock; each holds it while it computes, the others wait.

Half the workers take the lock with ``with``, half with ``acquire()``/``release()``,
so that both spellings are seen.  The main thread waits in ``join``.
"""

import sys
import threading
import time

LOCK = threading.Lock()


def critical_work() -> int:
    acc = 0
    for i in range(20000):
        acc = (acc + i * i) % 1000003
    return acc


def worker_with(stop: float) -> None:
    while time.monotonic() < stop:
        with LOCK:
            critical_work()


def worker_acquire(stop: float) -> None:
    while time.monotonic() < stop:
        LOCK.acquire()
        try:
            critical_work()
        finally:
            LOCK.release()


def main(seconds: float) -> None:
    stop = time.monotonic() + seconds
    workers = [
        threading.Thread(target=fn, args=(stop,), name=f"worker-{i}")
        for i, fn in enumerate((worker_with, worker_acquire, worker_with, worker_acquire))
    ]
    for w in workers:
        w.start()
    print("ready", flush=True)
    for w in workers:
        w.join()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0)
