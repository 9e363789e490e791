"""Where studies run: in this process, in a pool of local processes, or on a Dask cluster.

The runner hands an executor the studies that are not in the cache, as :class:`Task` objects
(plain data: the study's file path, scale, seeds, device, dtype), and receives each finished
study as it completes, in whatever order: the runner writes it to the cache at once (so an
interrupted run, or a lost worker, loses only unfinished work) and assembles the run in the
suite's order at the end. Seeds derive from names, so where a study runs does not change a bit
of its results.

* :class:`InProcess`: one study after another in this process.
* :class:`Processes`: each study in one of N local worker processes (a :class:`LocalPool`),
  one torch and BLAS thread each. ``convcheck run``'s default (``--executor auto``): N = the
  cores, at most the studies to run, so a suite's studies run side by side (timings in
  ``docs/speed.md``). On a GPU the studies that use it run in the main process and only the
  CPU's own go to the pool.
* :class:`DaskExecutor`: each study a task on a ``dask.distributed`` cluster: a
  ``LocalCluster`` of N worker processes (``--workers N``), or an existing scheduler
  (``--scheduler ADDRESS``: dask-jobqueue on SLURM/PBS, dask-cuda's one worker per GPU,
  Kubernetes). ``--device`` is resolved on each worker (``auto`` takes that worker's GPU). A
  task that raises is reported with its study's name; a worker that dies has its task run
  again elsewhere (Dask's own retry), so the run completes.

:class:`LocalPool` is the one pool of local processes (spawned, so no thread pools are
inherited): :class:`Processes` runs studies in it, the conformance matrix its rows, the report
its figures. Inside a study, :meth:`convcheck.context.Context.map` runs independent units
(settings of a sweep) as tasks of the same cluster when the study itself runs on a Dask worker.
"""

from __future__ import annotations

import os
import platform
from concurrent.futures.process import BrokenProcessPool as BrokenPool
from dataclasses import dataclass
from typing import Iterator

from .placement import resolve_device

__all__ = ["Task", "InProcess", "Processes", "DaskExecutor", "LocalPool", "BrokenPool", "as_completed", "execute_study",
           "make_executor", "describe_failure"]


@dataclass(frozen=True)
class Task:
    name: str            # the study's name
    path: str            # its file: workers load it themselves
    scale: str
    seeds: int
    device: str          # "auto", "cpu" or "cuda": resolved where the task runs
    dtype: str           # "float64" or "float32"
    threads: int = 1
    key: str = ""        # the cache key (names the Dask task, so a resubmitted run reuses it)
    source: str = ""     # the sources' hash the key was made from (recorded with the cache entry)
    compile: str = "auto"  # the engine's compile mode (convcheck.compiling)
    declared_device: str = ""  # the study's own DEVICE ("cpu" for studies that always run there), or ""
    budget: int = 0      # seeds on demand: up to this many seeds in stages from ``seeds`` (convcheck.sequential); 0: one run
    seconds: float = 0.0  # seeds on demand under a time budget too (convcheck.sequential.run_staged); 0: none


def execute_study(task: Task) -> dict:
    """Run one study (anywhere) and return its results as plain, picklable data; an exception
    is returned as a one-line ``error`` so every executor reports failures the same way. Where
    the study runs and in what dtype is decided here, in the process that runs it
    (:func:`convcheck.placement.placement`: ``auto`` takes this worker's GPU if it has one)."""
    import time

    import torch

    from ._runtime import blas_limits
    from .store import study_record, tables_to_frame
    from .study import load_study, run_study

    torch.set_num_threads(task.threads)
    t0 = time.perf_counter()
    try:
        module = load_study(task.path)
        with blas_limits(task.threads):  # the BLAS behind numpy and scipy too, on every worker
            if task.budget:
                from .sequential import run_staged

                result = run_staged(module, task.scale, pilot=task.seeds, budget=task.budget, device=task.device,
                                    dtype=task.dtype, family=None, compile=task.compile, seconds=task.seconds or None)
            else:
                result = run_study(module, task.scale, seeds=task.seeds, device=task.device, dtype=task.dtype,
                                   family=None, compile=task.compile)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        return {"name": task.name, "error": describe_failure(exc, task.seeds)}
    stages = result.setup.get("stages") if task.budget else None
    info = study_record(module, result, scale=task.scale, seeds=stages[-1]["seeds"] if stages else task.seeds,
                        cache_key=task.key, source_hash=task.source, wall_time_s=time.perf_counter() - t0)
    return {"name": task.name, "frame": tables_to_frame(task.name, result.tables),
            "verdicts": [v.to_json() for v in result.verdicts], "info": info}


class InProcess:
    """One study after another, in this process."""

    name = "in-process"
    waits = False  # whether this process only waits while studies run (the runner then draws figures meanwhile)

    def device_of(self, device: str) -> str:
        """The device a task asking for ``device`` runs on here."""
        return resolve_device(device)

    def run(self, tasks: list[Task]) -> Iterator[dict]:
        for task in tasks:
            yield execute_study(task)

    def describe(self) -> dict:
        return {"executor": self.name, "workers": 1, "host": platform.node()}

    def close(self) -> None:
        pass


class Processes:
    """Studies in a pool of ``workers`` local processes, the longest first (the runner orders them).

    The pool starts with the first tasks (a run made from the cache starts none); with
    ``fit=True`` it has at most one worker per task, and a single task runs in this process.
    With ``gpu=True`` (a run on a GPU) the studies that use the GPU run one at a time in this
    process, and only those that declare ``DEVICE = "cpu"`` go to the pool, side by side with
    them (one card is not shared between processes; the CPU studies need not wait for it)."""

    name = "processes"

    def __init__(self, workers: int, fit: bool = False, gpu: bool = False):
        self.workers, self.fit, self.gpu, self._pool = workers, fit, gpu, None

    @property
    def waits(self) -> bool:
        """Whether this process only waits on the workers (not with ``gpu=True``: it runs the GPU's studies)."""
        return not self.gpu

    def device_of(self, device: str) -> str:
        """The device a task asking for ``device`` runs on (this machine's workers)."""
        return resolve_device(device)

    def run(self, tasks: list[Task]) -> Iterator[dict]:
        here = [t for t in tasks if self.gpu and t.declared_device != "cpu"]
        away = [t for t in tasks if t not in here]
        if self.fit:
            self.workers = min(self.workers, len(away))
        if not away or (self.fit and self.workers == 1 and not here):
            yield from InProcess().run(tasks)
            return
        if self._pool is None:
            self._pool = LocalPool(self.workers)
        futures = {self._pool.submit(execute_study, t): t for t in away}
        done, pending = set(), set(futures)

        def settle(future):  # a finished future's result, or None when its worker died (sorted out below)
            pending.discard(future)
            try:
                out = future.result()
            except BrokenPool:  # a worker died: every pending study gets this
                return None
            except Exception as exc:
                out = {"name": futures[future].name, "error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
            done.add(futures[future].name)
            return out

        try:
            for task in here:  # the GPU's studies, with what the pool finished in between
                yield from InProcess().run([task])
                for future in [f for f in pending if f.done()]:
                    if (out := settle(future)) is not None:
                        yield out
            for future in as_completed(list(pending)):
                if (out := settle(future)) is not None:
                    yield out
        except KeyboardInterrupt:  # finished studies were handed over (and cached): stop the rest now
            pool, self._pool = self._pool, None
            pool.stop()
            raise
        except BaseException:  # the caller stopped early: nothing more starts
            for f in futures:
                f.cancel()
            raise
        rest = [t for t in away if t.name not in done]
        if rest:  # the pool is gone: each remaining study alone, so only one that kills its worker fails
            self._pool.close(wait=False)
            self._pool = None
            for t in rest:
                with LocalPool(1) as solo:
                    try:
                        yield solo.submit(execute_study, t).result()
                    except BrokenPool:
                        yield {"name": t.name, "error": "its worker process died (killed, or out of memory)"}

    def describe(self) -> dict:
        return {"executor": self.name, "workers": self.workers, "host": platform.node()}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close(cancel=True)


class LocalPool:
    """A pool of ``workers`` local processes, each a fresh interpreter (started with ``spawn``: no
    thread pools or CUDA state inherited from this process): the one process pool of convcheck,
    under :class:`Processes`, the conformance matrix's rows and the report's figures.

    ``submit(fn, *args)`` returns a :class:`concurrent.futures.Future` (wait on several with
    :func:`as_completed`); a worker that dies fails every pending future with :data:`BrokenPool`.
    ``stop()`` terminates the workers at once (Ctrl-C: a worker inside a long SciPy or torch call
    would otherwise see it only when it next runs Python); ``close()`` waits for them to finish.
    Used as a context manager, it closes on exit and stops on an exception."""

    def __init__(self, workers: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from ._validation import check_int

        self.workers = check_int("workers", workers, 1)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, fn, *args):
        return self._pool.submit(fn, *args)

    def stop(self) -> None:
        """Terminate the workers now; pending futures fail."""
        pool = self._pool
        if hasattr(pool, "terminate_workers"):  # Python 3.14
            pool.terminate_workers()
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()

    def close(self, wait: bool = True, cancel: bool = False) -> None:
        """Shut the pool down: after the running tasks end (``wait``), the queued ones dropped (``cancel``)."""
        self._pool.shutdown(wait=wait, cancel_futures=cancel)

    def __enter__(self) -> "LocalPool":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.close()
        else:
            self.stop()


def as_completed(futures):
    """The futures of a :class:`LocalPool` as they finish (:func:`concurrent.futures.as_completed`)."""
    from concurrent.futures import as_completed as completed

    return completed(futures)


class DaskExecutor:
    """Studies as tasks on a ``dask.distributed`` cluster (see the module docstring)."""

    name = "dask"
    waits = True

    def __init__(self, workers: int | None = None, scheduler: str | None = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ValueError("The 'executor' parameter 'dask' needs dask.distributed: pip install -e \".[dask]\".") from None
        self._cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            # one thread per worker process: the studies' small kernels are fastest single-threaded
            self._cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self.client = Client(self._cluster)

    def device_of(self, device: str) -> str:
        """The device a task asking for ``device`` runs on: asked of a worker, not of this client
        (a laptop driving a GPU cluster resolves ``auto`` to the workers' ``cuda``)."""
        return self.client.submit(resolve_device, device, pure=False).result()

    def run(self, tasks: list[Task]) -> Iterator[dict]:
        from distributed import as_completed

        futures = {self.client.submit(execute_study, t, key=f"convcheck-{t.name}-{t.key or id(t)}", pure=False): t
                   for t in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                yield future.result()
            except Exception as exc:  # the task could not be run at all (a worker died too often, ...)
                yield {"name": task.name, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}

    def describe(self) -> dict:
        info = self.client.scheduler_info()
        return {"executor": self.name, "scheduler": info.get("address"), "workers": len(info.get("workers", {})),
                "worker_hosts": sorted({w.get("host", "?") for w in info.get("workers", {}).values()})}

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(executor: str = "in-process", workers: int | None = None, scheduler: str | None = None,
                  device: str = "cpu", threads: int = 1):
    """The executor named; ``auto`` is a pool of local processes (one per ``threads`` cores, or
    ``workers``; at most one per study to run); on a GPU the studies that use it run in this
    process, one at a time, and only the CPU's own studies go to the pool."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"The 'workers' parameter must be an int in the range [1, inf). Got {workers!r} instead.")
    if executor == "auto":
        n = workers or max(1, (os.cpu_count() or 1) // max(1, threads))
        gpu = resolve_device(device) != "cpu"
        if n < 2 and not gpu:
            return InProcess()
        return Processes(n, fit=True, gpu=gpu)
    if executor in ("in-process", "local", None):
        return InProcess()
    if executor == "processes":
        return Processes(workers or os.cpu_count() or 1)
    if executor == "dask":
        return DaskExecutor(workers, scheduler)
    raise ValueError(f"The 'executor' parameter must be one of ['auto', 'in-process', 'processes', 'dask']. "
                     f"Got {executor!r} instead.")


def describe_failure(exc: Exception, seeds: int) -> str:
    """One line for a study that raised: out-of-memory says what to change."""
    from .memory import TooManyRows

    text = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if isinstance(exc, TooManyRows):  # the engine refused before allocating: name the count that fits
        most = exc.fits * seeds // exc.rows
        return (f"out of memory: {seeds} seeds per setting make {exc.rows} rows, about {exc.need / 2**30:.3g} GiB on "
                f"{exc.device} where {exc.free / 2**30:.3g} GiB are free; at most {most} seeds fit here (--seeds {most})")
    if isinstance(exc, MemoryError) or "can't allocate memory" in str(exc) or "out of memory" in str(exc).lower():
        return f"out of memory with {seeds} seeds per setting{_most_seeds(str(exc), seeds)} (use fewer with --seeds, or a machine with more memory)"
    return text


def _most_seeds(message: str, seeds: int) -> str:
    """From an allocator's message ("tried to allocate N bytes", CUDA's "Tried to allocate 2.5 GiB"):
    one allocation of that size for ``seeds`` seeds, so with the memory free now at most about
    ``free / (size / seeds)`` seeds can fit (an upper estimate: the study needs more than that one block)."""
    import re

    from .memory import USABLE, free_bytes

    m = re.search(r"tried to allocate (\d+) bytes", message, re.I)
    size = float(m.group(1)) if m else None
    if m is None and (m := re.search(r"tried to allocate ([\d.]+) (KiB|MiB|GiB|TiB)", message, re.I)):
        size = float(m.group(1)) * 2 ** (10 * ("KMGT".index(m.group(2)[0].upper()) + 1))
    free = free_bytes("cuda" if "cuda" in message.lower() or "gpu" in message.lower() else "cpu")
    if not size or not free:
        return ""
    most = int(USABLE * free / (size / seeds))
    return f"; one block of {size / 2**30:.3g} GiB was asked for with {free / 2**30:.3g} GiB free: at most about {most} seeds fit"
