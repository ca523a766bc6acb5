"""Install torch's CPU build on a machine without an NVIDIA GPU, before
``pip install -e .`` would pull PyPI's default Linux build (CUDA: the torch
wheel alone is over 500 MB, with its nvidia-* packages several GB).

    python tools/install_torch.py && pip install -e .

* torch already importable, or an NVIDIA GPU present (``nvidia-smi`` or
  ``/dev/nvidiactl``), or not Linux (PyPI's macOS and Windows wheels are the
  CPU build already): nothing to do; pip's default applies.
* Otherwise it asks pip which torch versions it can see, through this
  machine's own pip configuration (index, mirrors, local wheels) plus
  PyTorch's CPU index as an extra index (tried once, briefly: a machine that
  reaches only its package index goes on without it), and installs the
  newest CPU build (``X.Y.Z+cpu``) not older than sknn's lower bound.
* No CPU build visible at all: it says so and leaves the choice to pip
  (PyPI's default build), exit status 0, so the command goes on.

Options: ``--dry-run`` prints the pip command instead of running it.
"""

import os
import re
import shutil
import subprocess
import sys

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
MINIMUM = (2, 11)  # sknn's torch>=2.11 (pyproject.toml)
PROBE = ["--retries", "0", "--timeout", "15"]


def _pip(*args):
    return [sys.executable, "-m", "pip", *args]


def _has_torch():
    probe = [sys.executable, "-c", "import torch"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def _has_nvidia_gpu():
    return shutil.which("nvidia-smi") is not None or os.path.exists("/dev/nvidiactl")


def _version_key(v):
    return tuple(int(x) for x in re.findall(r"\d+", v.split("+")[0])[:3])


def newest_cpu_build():
    """The newest ``+cpu`` torch version pip can see, or None."""
    out = subprocess.run(
        _pip("index", "versions", "torch", "--extra-index-url", CPU_INDEX, *PROBE),
        capture_output=True,
        text=True,
    ).stdout
    m = re.search(r"^Available versions: (.*)$", out, re.MULTILINE)
    if not m:
        return None
    cpu = [
        v.strip()
        for v in m.group(1).split(",")
        if v.strip().endswith("+cpu") and _version_key(v) >= MINIMUM
    ]
    return max(cpu, key=_version_key, default=None)


def main(argv):
    dry = "--dry-run" in argv
    if _has_torch():
        print("install_torch: torch is already installed; nothing to do.")
        return 0
    if not sys.platform.startswith("linux"):
        print("install_torch: not Linux; pip's default torch is the CPU build.")
        return 0
    if _has_nvidia_gpu():
        print("install_torch: NVIDIA GPU found; leaving pip's default (CUDA) build.")
        return 0
    version = newest_cpu_build()
    if version is None:
        print(
            "install_torch: no CPU build of torch is visible from here "
            f"(neither {CPU_INDEX} nor this machine's pip sources have one); "
            "pip will install PyPI's default build (with CUDA, several GB)."
        )
        return 0
    cmd = _pip("install", f"torch=={version}", "--extra-index-url", CPU_INDEX, *PROBE)
    print("install_torch: " + " ".join(cmd[2:]), flush=True)
    if dry:
        return 0
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
