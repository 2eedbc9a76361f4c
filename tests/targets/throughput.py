"""CPU-bound work that prints how many units it finished in each 0.5 s bucket."""

import sys
import time


def unit() -> int:
    x = 0
    for i in range(2000):
        x += i * i % 7
    return x


def main(seconds: float) -> None:
    print("ready", flush=True)
    start = time.monotonic()
    bucket_end = start + 0.5
    done = 0
    while True:
        unit()
        done += 1
        now = time.monotonic()
        if now >= bucket_end:
            print(f"{now - start:.3f} {done}", flush=True)
            done = 0
            bucket_end += 0.5
            if now - start >= seconds:
                break


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
