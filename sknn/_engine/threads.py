"""How many torch intra-op threads a fit or a prediction uses.

torch starts with one intra-op thread per core and keeps them all busy on
every operation, however small.  sknn's operations are small (a batch of 32
rows through a layer of 256 units is a few hundred thousand multiply-adds),
so a second thread costs more in synchronisation than it saves in
arithmetic; and on a machine where other processes hold cores, OpenMP's
threads wait for each other at every barrier: one Adam step of a small
network took 47 µs on one thread and 7.7 ms on two with another process busy
(issue 14).  The policy here chooses the count from the work of the largest
matrix product a call does, and never more than torch allows at the time
(``torch.get_num_threads()`` in the calling thread, which already follows a
user's ``OMP_NUM_THREADS`` and ``threadpoolctl.threadpool_limits``).

torch's thread count is process-wide in effect: ``torch.set_num_threads``
sets the count the matrix library uses for every thread, and the count that
threads starting later pick up.  So the scoped change below is coordinated
through one lock for the whole process: while scoped calls run, the count is
the smallest any of them asked for, and the last one to finish puts back the
largest count any of them found on entry (the process's own, which a thread
that started during a scoped call may not see); each call leaves its own
thread's count as it found it.  A call whose count is what torch has already
changes nothing at all.

Limits, all from torch keeping its count per thread *and* per process: a
thread that first uses torch while a fit elsewhere has lowered the count
starts with the lowered count (torch copies the process's count into a
thread at its first use), and a fit that ends while others run leaves the
process-wide count at theirs until the last one ends.
"""

import threading
from contextlib import contextmanager

import torch

# Multiply-adds in one matrix product that each thread should have before a
# second thread pays.  Measured on a 2-core AMD EPYC (benchmarks/README.md,
# "Threads"): two threads lost at 8M multiply-adds per product (batch 256
# through 256 -> 128) and won (0.57x) from 34M (batch 256 through 384 x 384).
MACS_PER_THREAD = 2**24

_LOCK = threading.Lock()
_ACTIVE = []  # (thread id, count asked for) of the scoped calls running now
_STATE = {"outer": None, "changed": False}


def largest_product(rows, layer_sizes):
    """Multiply-adds of the largest matrix product when ``rows`` rows pass
    through a network with these layer sizes."""
    widest = max(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    return int(rows) * widest


def policy(rows, layer_sizes, n_threads=None, ceiling=None):
    """The thread count for ``rows`` rows at a time through ``layer_sizes``:
    ``n_threads`` when given, else one thread per ``MACS_PER_THREAD``
    multiply-adds of the largest product (at least one); never more than
    ``ceiling`` (default: ``torch.get_num_threads()``)."""
    if ceiling is None:
        ceiling = torch.get_num_threads()
    if n_threads is None:
        n_threads = largest_product(rows, layer_sizes) // MACS_PER_THREAD
    return max(1, min(int(n_threads), int(ceiling)))


def _apply(n):
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
        _STATE["changed"] = True


_OPENMP = []  # threadpoolctl's controller of the OpenMP runtimes, made once


def _set_this_thread_only(n):
    """Put the OpenMP count of the calling thread alone to ``n`` (torch's own
    setter changes the process-wide count as well)."""
    if not _OPENMP:
        from threadpoolctl import ThreadpoolController

        _OPENMP.append(ThreadpoolController().select(user_api="openmp"))
    _OPENMP[0].limit(limits=n)


@contextmanager
def scoped(rows, layer_sizes, n_threads=None):
    """Run the body with the policy's thread count, then restore torch's.

    Yields the count chosen.  Safe when several threads of one process enter
    it at once (see the module's docstring)."""
    with _LOCK:
        mine = torch.get_num_threads()
        want = policy(rows, layer_sizes, n_threads, ceiling=mine)
        me = threading.get_ident()
        if not _ACTIVE:
            _STATE.update(outer=mine, changed=False)
            back = mine
        elif any(t == me for t, _ in _ACTIVE) or not _STATE["changed"]:
            back = mine  # nested in this thread's own call, or nothing lowered
        else:
            # A thread that first used torch while another call had lowered
            # the count started with the lowered count: leave it the
            # process's count instead.
            back = _STATE["outer"]
        if _ACTIVE:
            _STATE["outer"] = max(_STATE["outer"], mine)
        entry = (me, want)
        _ACTIVE.append(entry)
        _apply(min(n for _, n in _ACTIVE))
    try:
        yield want
    finally:
        with _LOCK:
            _ACTIVE.remove(entry)
            if _ACTIVE:  # what the calls still running asked for
                _apply(min(n for _, n in _ACTIVE))
            elif _STATE["changed"]:
                torch.set_num_threads(_STATE["outer"])
            if torch.get_num_threads() != back:
                _set_this_thread_only(back)
            if not _ACTIVE:
                _STATE.update(outer=None, changed=False)
