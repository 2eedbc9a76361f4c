"""``python -m kernels.opencl probe`` | ``calibrate TIER``: print JSON on stdout.

``probe`` prints ``{"devices": [...], "unavailable_reason": str | null}`` and exits 0 even
when there is no OpenCL at all (the reason says why). ``calibrate TIER`` prints the
calibration dict, or ``{"error": "..."}`` with exit status 1.
"""

from __future__ import annotations

import json
import sys

USAGE = "usage: python -m kernels.opencl probe | calibrate opencl:<platform>:<device>"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["probe"]:
        from kernels.opencl import probe_report

        print(json.dumps(probe_report(), indent=1))
        return 0
    if len(args) == 2 and args[0] == "calibrate":
        from kernels.opencl import calibrate

        try:
            result = calibrate(args[1])
        except Exception as exc:
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
            return 1
        print(json.dumps(result, indent=1))
        return 0
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
