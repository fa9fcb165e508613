"""Which BLAS PyTorch runs on, and a refusal to compare against the slow one.

Debian's python3-torch is built against the generic libblas.so.3, which the
alternatives system points at whichever BLAS is installed: the netlib
reference BLAS (about 6 GFLOP/s on a core that does 90 with OpenBLAS) when
nothing better is, OpenBLAS or BLIS when one of them is. PyTorch sends part of
its work there (matrix products, and the 1x1 convolutions it runs through its
own im2col on one thread), so a comparison against PyTorch on the reference
BLAS would flatter trainbench by an order of magnitude. Import this module
after torch and call require_fast_blas().
"""
import ctypes
import os
import sys


def _mappings():
    """(start, end, path) of every file mapped into this process."""
    out = []
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6:
                lo, hi = (int(x, 16) for x in fields[0].split("-"))
                out.append((lo, hi, fields[5]))
    return out


def sgemm_library():
    """The real path of the library whose sgemm_ PyTorch's CPU library binds
    to (looked up from libtorch_cpu's own handle), or None if not found."""
    maps = _mappings()
    torch_cpu = [p for _, _, p in maps if os.path.basename(p).startswith("libtorch_cpu")]
    if not torch_cpu:
        return None
    try:
        addr = ctypes.cast(ctypes.CDLL(torch_cpu[0]).sgemm_, ctypes.c_void_p).value
    except (OSError, AttributeError):
        return None
    for lo, hi, path in maps:
        if lo <= addr < hi:
            return os.path.realpath(path)
    return None


def require_fast_blas(script):
    """The path of PyTorch's BLAS ("unknown" if it cannot be found); exits with
    one line naming the fix if it is the netlib reference BLAS."""
    lib = sgemm_library()
    if lib is not None and os.sep + "blas" + os.sep in lib and not os.environ.get("TRAINBENCH_ANY_BLAS"):
        sys.exit(f"{script}: PyTorch's BLAS is the netlib reference ({lib}), an order of "
                 "magnitude slower than OpenBLAS; install Debian's libopenblas0, or set "
                 "TRAINBENCH_ANY_BLAS=1 to measure it anyway")
    return lib or "unknown"
