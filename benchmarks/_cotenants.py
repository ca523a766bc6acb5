"""Busy co-tenant processes for the benchmarks' ``--hog K``: what a shared
machine does to a library's threads."""

import subprocess
import sys

# A co-tenant for --hog: a pure-Python busy loop that also ends by itself
# when the driver is gone (its parent changes), should cleanup not run.
_HOG = (
    "import os\n"
    "p = os.getppid()\n"
    "while os.getppid() == p:\n"
    "    for _ in range(10**6):\n"
    "        pass\n"
)


def start(k):
    """K busy-looping processes, the co-tenants of ``--hog``."""
    return [
        subprocess.Popen(
            [sys.executable, "-c", _HOG],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(k)
    ]


def stop(procs):
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
