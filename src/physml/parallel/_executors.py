"""One interface, three backends: run a function over many items inline, in a process pool or on Dask.

Every executor offers :meth:`Executor.submit` (one call, a :class:`concurrent.futures.Future`)
and :meth:`Executor.map` (many calls, results in input order). ``map`` reports each finished
item to the caller as soon as it arrives (``on_result``), so finished work can be saved at
once; when some items fail, the others still run to completion and a :class:`MapError`
carries both the finished results and the failures.

Heavy modules (``dask``, ``distributed``) are imported only when a Dask executor is made.
"""

from __future__ import annotations

import abc
import concurrent.futures as cf
import logging
import multiprocessing
import os
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import TYPE_CHECKING, Any

from physml._core import check_int, check_real, progress
from physml.parallel._cluster import ClusterError, ClusterSpec

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["DaskExecutor", "Executor", "InlineExecutor", "MapError", "ProcessExecutor", "make_executor"]

#: How many failures ``str(MapError)`` spells out before summarising the rest.
_SHOWN_FAILURES = 5
#: Environment variables that cap the threads of numerical libraries in worker processes.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------
class MapError(RuntimeError):
    """Some items of a map failed; finished results are kept.

    Parameters
    ----------
    results : list
        One entry per input item, in input order: the item's result, or ``None`` where
        the item failed.
    failures : dict of int to BaseException
        The failed items: input index -> the exception it raised (or an exception
        describing why it could not be computed, e.g. its worker process died).

    Attributes
    ----------
    results : list
    failures : dict of int to BaseException
    """

    def __init__(self, results: list[Any], failures: dict[int, BaseException | str]):
        self.results = list(results)
        self.failures = dict(sorted(failures.items()))
        super().__init__(self._message())

    def _message(self) -> str:
        shown = list(self.failures.items())[:_SHOWN_FAILURES]
        parts = [f"index {i}: {_describe(exc)}" for i, exc in shown]
        more = len(self.failures) - len(shown)
        if more:
            parts.append(f"... and {more} more")
        return f"{len(self.failures)} of {len(self.results)} items failed: " + "; ".join(parts)

    def __str__(self) -> str:
        return self._message()

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.results, self.failures))


def _describe(exc: BaseException | str, limit: int = 200) -> str:
    if isinstance(exc, BaseException):
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    else:
        text = str(exc)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# the interface
# --------------------------------------------------------------------------------------------
class Executor(abc.ABC):
    """Runs functions on some backend; see :func:`make_executor`.

    Subclasses implement :attr:`n_workers`, :meth:`submit` and ``_completions`` (a generator
    of ``(index, ok, result_or_exception)`` in completion order); :meth:`map` is shared.
    Executors are context managers (closed on exit) and are not thread-safe.
    """

    _closed: bool = False

    @property
    @abc.abstractmethod
    def n_workers(self) -> int:
        """Number of workers that run items concurrently."""

    @abc.abstractmethod
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        """Schedule ``fn(*args, **kwargs)`` and return a :class:`concurrent.futures.Future`."""

    @abc.abstractmethod
    def _completions(self, fn: Callable[[Any], Any], items: list[Any]) -> Iterator[tuple[int, bool, Any]]:
        """Run ``fn`` on every item; yield ``(index, ok, result or exception)`` as items finish.

        Closing the generator early must stop (or cancel) the work still pending.
        """

    def map(
        self,
        fn: Callable[[Any], Any],
        items: Iterable[Any],
        *,
        on_result: Callable[[int, Any], None] | None = None,
        desc: str | None = None,
    ) -> list[Any]:
        """Call ``fn(item)`` for every item and return the results in input order.

        Parameters
        ----------
        fn : callable
            A function of one argument. For the process and Dask backends it and its
            results must be picklable (a module-level function).
        items : iterable
            The arguments; consumed into a list first.
        on_result : callable, optional
            ``on_result(index, result)`` is called in the calling process as each item
            finishes (in completion order, once per successful item), so the caller can
            persist finished work immediately. An exception it raises stops the map (work
            not yet started is cancelled) and propagates.
        desc : str, optional
            Label of the progress bar (shown on a terminal only).

        Returns
        -------
        list
            ``fn(item)`` for each item, in the order of ``items``.

        Raises
        ------
        MapError
            If any item failed (raised, or could not be computed because its worker died
            too often). Every other item runs to completion first; ``MapError.results``
            holds their results and ``MapError.failures`` the exceptions by index.
        """
        self._check_open()
        items = list(items)
        results: list[Any] = [None] * len(items)
        failures: dict[int, BaseException] = {}
        if not items:
            return results
        stream = self._completions(fn, items)
        bar = progress(stream, total=len(items), desc=desc)
        try:
            for index, ok, value in bar:
                if ok:
                    results[index] = value
                    if on_result is not None:
                        on_result(index, value)
                else:
                    failures[index] = value
        finally:
            bar.close()  # type: ignore[attr-defined]
            stream.close()  # type: ignore[attr-defined]
        if failures:
            raise MapError(results, failures)
        return results

    def close(self) -> None:
        """Release the executor's resources; it cannot be used afterwards. Idempotent."""
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"{type(self).__name__} is closed")

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# inline
# --------------------------------------------------------------------------------------------
class InlineExecutor(Executor):
    """Run every item sequentially in the calling process (``n_workers == 1``).

    Exceptions raised by ``fn`` in :meth:`map` are collected into :class:`MapError` like
    the other backends do, after every item has been tried.
    """

    @property
    def n_workers(self) -> int:
        return 1

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        """Call ``fn(*args, **kwargs)`` now; the returned future is already done."""
        self._check_open()
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()
        try:
            value = fn(*args, **kwargs)
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(value)
        return future

    def _completions(self, fn: Callable[[Any], Any], items: list[Any]) -> Iterator[tuple[int, bool, Any]]:
        for index, item in enumerate(items):
            try:
                value = fn(item)
            except Exception as exc:
                yield index, False, exc
            else:
                yield index, True, value

    def __repr__(self) -> str:
        return "InlineExecutor()"


# --------------------------------------------------------------------------------------------
# local process pool
# --------------------------------------------------------------------------------------------
def _init_worker() -> None:
    """Initializer of :class:`ProcessExecutor` workers: one thread per numerical library."""
    for name in _THREAD_VARIABLES:
        os.environ[name] = "1"
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    if "numpy" in sys.modules:  # its BLAS read the variables at import: limit it now
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            return
        threadpool_limits(limits=1)


def _worker_died(future: cf.Future) -> bool:
    """Whether a finished pool future failed because the pool broke (or was cancelled with it)."""
    return future.cancelled() or isinstance(future.exception(), BrokenProcessPool)


class ProcessExecutor(Executor):
    """A pool of local worker processes (:class:`concurrent.futures.ProcessPoolExecutor`).

    Workers are started with the ``"spawn"`` method (safe with threads and PyTorch) and
    limited to one thread each for OpenMP, MKL, OpenBLAS and PyTorch, so ``n_workers``
    processes use ``n_workers`` cores.

    Parameters
    ----------
    n_workers : int, optional
        Number of worker processes (default: ``os.cpu_count()``).
    retries : int
        How many times :meth:`map` resubmits an item whose worker process died (killed
        by the operating system, a segfault, ``os._exit``), default 2. After a worker
        death the pool is recreated; the unfinished items that were running are rerun one
        at a time, so that an item which kills its worker every time is identified and
        reported in :class:`MapError` (as a ``BrokenProcessPool``) without taking the
        others down with it. Finished results are always kept.

    Notes
    -----
    :meth:`map` keeps at most ``n_workers`` items in flight. Futures returned by
    :meth:`submit` fail with ``BrokenProcessPool`` if a worker dies; the next call
    recreates the pool.
    """

    def __init__(self, n_workers: int | None = None, *, retries: int = 2):
        if n_workers is None:
            n_workers = os.cpu_count() or 1
        self._n_workers = check_int(n_workers, "n_workers", low=1)
        self.retries = check_int(retries, "retries", low=0)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def n_workers(self) -> int:
        return self._n_workers

    def _get_pool(self) -> ProcessPoolExecutor:
        self._check_open()
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._n_workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
            )
        return self._pool

    def _discard_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> cf.Future:
        try:
            return self._get_pool().submit(fn, *args, **kwargs)
        except BrokenProcessPool:  # a worker died since the last call: start afresh
            self._discard_pool()
            return self._get_pool().submit(fn, *args, **kwargs)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        """Run ``fn(*args, **kwargs)`` in a worker process."""
        return self._submit(fn, *args, **kwargs)

    def _completions(self, fn: Callable[[Any], Any], items: list[Any]) -> Iterator[tuple[int, bool, Any]]:
        queue = deque(range(len(items)))  # not yet tried
        suspects: deque[int] = deque()  # were running when a worker died: rerun one at a time
        deaths = [0] * len(items)
        inflight: dict[cf.Future, int] = {}
        try:
            while queue or suspects or inflight:
                if suspects:
                    if not inflight:
                        index = suspects.popleft()
                        inflight[self._submit(fn, items[index])] = index
                else:
                    while queue and len(inflight) < self._n_workers:
                        index = queue.popleft()
                        inflight[self._submit(fn, items[index])] = index
                done, _ = cf.wait(inflight, return_when=cf.FIRST_COMPLETED)
                if any(_worker_died(f) for f in done):
                    # the pool is broken: every other item in flight fails now too
                    done, _ = cf.wait(inflight)
                lost: list[int] = []
                for future in done:
                    index = inflight.pop(future)
                    if _worker_died(future):
                        lost.append(index)
                    elif future.exception() is None:
                        yield index, True, future.result()
                    else:
                        yield index, False, future.exception()
                if not lost:
                    continue
                self._discard_pool()
                for index in sorted(lost):
                    deaths[index] += 1
                    if deaths[index] > self.retries:
                        error = BrokenProcessPool(
                            f"the worker process running this item died {deaths[index]} time(s) "
                            f"(killed by the system, out of memory, or crashed); gave up after "
                            f"{self.retries} retr{'y' if self.retries == 1 else 'ies'}"
                        )
                        yield index, False, error
                    else:
                        suspects.append(index)
        finally:
            for future in inflight:
                future.cancel()

    def close(self) -> None:
        """Shut the pool down (waiting for running calls to finish)."""
        if self._closed:
            return
        super().close()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __repr__(self) -> str:
        return f"ProcessExecutor(n_workers={self._n_workers}, retries={self.retries})"


# --------------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------------
class DaskExecutor(Executor):
    """Run items on a Dask cluster: a local one it starts, or an existing one it connects to.

    Parameters
    ----------
    n_workers : int, optional
        Workers of the local cluster (default: ``os.cpu_count()``). Not allowed with
        ``scheduler``.
    scheduler : str, optional
        Address of the scheduler of a running cluster, e.g. ``"tcp://10.0.0.5:8786"``
        (one started with ``dask-jobqueue`` on SLURM, or ``dask scheduler``). The executor
        connects a client to it and never shuts that cluster down. Without it, a
        :class:`distributed.LocalCluster` of worker processes listening on 127.0.0.1 (no
        dashboard) is started and closed with the executor.
    threads_per_worker : int
        Threads of each local worker (default 1).
    memory_limit : str, int or float
        Memory limit of each local worker, as accepted by ``LocalCluster`` (default
        ``"auto"``: the machine's memory shared among the workers).
    timeout : float
        Seconds to wait for the connection to ``scheduler`` (and for local workers to
        start) before giving up; default 10.
    cluster : ClusterSpec, optional
        Start a batch cluster (Slurm, PBS, SGE, LSF, HTCondor) through dask-jobqueue
        with this :class:`~physml.parallel.ClusterSpec` and run on its jobs; the cluster
        keeps ``spec.jobs`` jobs alive (a killed job is replaced) and is closed, its jobs
        cancelled, with the executor. Not allowed with ``n_workers`` or ``scheduler``.
        Tasks wait in the batch queue like any job: the executor does not wait for the
        jobs to start.

    Raises
    ------
    ConnectionError
        If the scheduler at ``scheduler`` cannot be reached within ``timeout``.

    Notes
    -----
    When a worker process dies, the scheduler reruns its tasks elsewhere (a local
    cluster's nanny also restarts the worker). A task whose workers die more than
    ``distributed.scheduler.allowed-failures`` times (default 3) fails with
    ``KilledWorker``. Since a death counts against every task the worker held, :meth:`map`
    reruns such items one at a time before giving up, so only the item that really kills
    its worker is reported in :class:`MapError`; the results of every other item are kept.
    Functions and items must be importable or picklable on the workers (``physml`` installed
    there).
    """

    def __init__(
        self,
        n_workers: int | None = None,
        *,
        scheduler: str | None = None,
        threads_per_worker: int = 1,
        memory_limit: str | int | float | None = "auto",
        timeout: float = 10.0,
        cluster: Any = None,
    ):
        timeout = check_real(timeout, "timeout", low=0, low_open=True)
        threads_per_worker = check_int(threads_per_worker, "threads_per_worker", low=1)
        self._cluster: Any = None
        self._client: Any = None
        self.spec = None
        if cluster is not None:
            if not isinstance(cluster, ClusterSpec):
                raise TypeError(f"cluster must be a ClusterSpec, got {type(cluster).__name__}")
            if n_workers is not None or scheduler is not None:
                raise ValueError("give cluster alone: it starts its own scheduler and workers")
            self._start_batch(cluster)
            return
        if scheduler is not None:
            if n_workers is not None:
                raise ValueError(
                    "give either n_workers (start a local cluster) or scheduler (connect to a "
                    f"running one), not both; got n_workers={n_workers!r}, scheduler={scheduler!r}"
                )
            self.scheduler = _check_address(scheduler)
            self._client = _connect(self.scheduler, timeout)
            return
        if n_workers is None:
            n_workers = os.cpu_count() or 1
        n_workers = check_int(n_workers, "n_workers", low=1)
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # no dashboard; its small HTTP server gets a free loopback port, not 8787
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            memory_limit=memory_limit,
            silence_logs=logging.ERROR,
        )
        try:
            # Connect by address, not Client(cluster): a client that holds the cluster object
            # hands wait_for_workers to Cluster.wait_for_workers, which overwrites the cluster's
            # worker table with scheduler snapshots while the scheduler's add/remove events are
            # still in flight. A worker death then leaves a "remove" for a worker the table no
            # longer has: the cluster's watcher dies with KeyError('tcp://...'), re-raised by
            # cluster.close(); a lost "add" makes the cluster retire the restarted worker's nanny.
            client = Client(cluster.scheduler_address, security=cluster.security, set_as_default=False)
            try:
                client.wait_for_workers(n_workers, timeout=max(timeout, 60.0))
            except BaseException:
                client.close()
                raise
        except BaseException:
            cluster.close()
            raise
        self._cluster = cluster
        self._client = client
        self.scheduler = cluster.scheduler_address

    def _start_batch(self, spec: Any) -> None:
        from distributed import Client

        cluster = spec.start()
        try:
            self._client = Client(cluster.scheduler_address, security=cluster.security, set_as_default=False)
            try:
                self._client.wait_for_workers(1, timeout=spec.start_timeout)
            except TimeoutError:
                raise ClusterError(
                    f"--cluster {spec.system}: no batch job started within {spec.start_timeout:g} s "
                    "(the queue may be full, or the jobs fail as they start: see their output files, "
                    "--cluster-logs); the submitted jobs were cancelled"
                ) from None
        except BaseException:
            if self._client is not None:
                self._client.close()
                self._client = None
            cluster.close()
            raise
        self._cluster = cluster
        self.spec = spec
        self.scheduler = cluster.scheduler_address

    @property
    def client(self) -> Any:
        """The :class:`distributed.Client` in use."""
        return self._client

    @property
    def n_workers(self) -> int:
        """Workers connected to the scheduler now (0 once closed)."""
        if self._closed or self._client is None:
            return 0
        return len(self._client.nthreads())

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        """Run ``fn(*args, **kwargs)`` on the cluster; the Dask future is wrapped in a standard one."""
        self._check_open()
        dask_future = self._client.submit(fn, *args, key=_task_key(fn), pure=False, **kwargs)
        return _wrap(dask_future)

    def _as_finished(self, futures: list[Any]) -> Iterator[Any]:
        """The Dask futures as they finish. On a batch cluster, a :class:`ClusterError` when no
        worker has been connected for the spec's ``start_timeout`` while work is pending (every
        job ended and none came back): waiting on would wait forever."""
        from distributed import as_completed

        finished = as_completed(futures, loop=self._client.loop)
        if self.spec is None:
            yield from finished
            return
        idle_since = None
        while not finished.is_empty():
            if finished.has_ready():
                idle_since = None
                yield from finished.next_batch(block=False)
                continue
            if self.n_workers > 0:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > self.spec.start_timeout:
                raise ClusterError(
                    f"--cluster {self.spec.system}: no worker for {self.spec.start_timeout:g} s while "
                    "work was pending (the batch jobs ended and none started again; see their output files, "
                    "--cluster-logs); finished work is kept: rerun with --resume"
                )
            time.sleep(0.2)

    def _completions(self, fn: Callable[[Any], Any], items: list[Any]) -> Iterator[tuple[int, bool, Any]]:
        from distributed import KilledWorker

        prefix = _task_key(fn)
        futures = {
            f"{prefix}-{index}": (index, self._client.submit(fn, item, key=f"{prefix}-{index}", pure=False))
            for index, item in enumerate(items)
        }
        killed: list[int] = []
        try:
            for future in self._as_finished([f for _, f in futures.values()]):
                index, _ = futures.pop(future.key)
                ok, value = _outcome(future)
                del future  # let the cluster forget the task once its result is here
                if not ok and isinstance(value, KilledWorker):
                    killed.append(index)  # maybe only a bystander of another task's crash
                    continue
                yield index, ok, value
        finally:
            if futures:
                self._client.cancel([f for _, f in futures.values()])
        # A worker's death counts against every task it held, so an innocent item queued beside
        # one that kills its worker can be marked KilledWorker too. Rerun those items one at a
        # time: the innocent ones now finish, the culprit fails again on its own. When two items
        # in a row kill their workers even alone, the deaths are systematic (a function the
        # workers cannot load, too little memory per job): the rest are reported with that
        # error instead of each costing allowed-failures more workers (batch jobs, on a cluster).
        alone_failures, last = 0, None
        for index in killed:
            if alone_failures >= 2:
                yield index, False, last
                continue
            future = self._client.submit(fn, items[index], key=f"{prefix}-{index}-alone", pure=False)
            try:
                for _ in self._as_finished([future]):
                    pass
            except BaseException:
                self._client.cancel([future])
                raise
            ok, value = _outcome(future)
            del future
            alone_failures = alone_failures + 1 if not ok and isinstance(value, KilledWorker) else 0
            last = value
            yield index, ok, value

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started it."""
        if self._closed:
            return
        super().close()
        try:
            if self._client is not None:
                self._client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()

    def __repr__(self) -> str:
        if self.spec is not None:
            return f"DaskExecutor({self.spec.describe()} at {self.scheduler})"
        kind = "local cluster" if self._cluster is not None else "cluster"
        return f"DaskExecutor({kind} at {self.scheduler})"


def _check_address(scheduler: Any) -> str:
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise TypeError(f"scheduler must be an address string like 'tcp://host:8786', got {scheduler!r}")
    return scheduler.strip()


def _connect(address: str, timeout: float) -> Any:
    from distributed import Client

    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except OSError as exc:  # includes TimeoutError and refused connections
        raise ConnectionError(
            f"could not connect to the Dask scheduler at {address} within {timeout:g} s: {exc}"
        ) from exc


def _task_key(fn: Callable[..., Any]) -> str:
    name = getattr(fn, "__name__", None) or type(fn).__name__
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "task"
    return f"physml-{name}-{uuid.uuid4().hex}"


def _outcome(future: Any) -> tuple[bool, Any]:
    """``(True, result)`` or ``(False, exception)`` of a finished Dask future."""
    try:
        if future.status == "cancelled":
            return False, cf.CancelledError(f"task {future.key} was cancelled")
        if future.status == "error":
            return False, future.exception()
        # finished, or its result was lost with a worker: result() waits for the recomputation
        return True, future.result()
    except Exception as exc:  # e.g. the result could not be fetched or unpickled
        return False, exc


def _wrap(dask_future: Any) -> cf.Future:
    """A :class:`concurrent.futures.Future` that follows ``dask_future``."""
    future = _DaskBackedFuture(dask_future)

    def done(f: Any) -> None:
        ok, value = _outcome(f)
        try:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        except cf.InvalidStateError:  # cancelled meanwhile
            pass
        future._dask_future = None  # the result is here: let the cluster forget the task

    dask_future.add_done_callback(done)
    return future


class _DaskBackedFuture(cf.Future):
    """Holds a reference to its Dask future (which keeps the task alive) and cancels it."""

    def __init__(self, dask_future: Any):
        super().__init__()
        self._dask_future = dask_future

    def cancel(self) -> bool:
        dask_future = self._dask_future
        if self.done() or dask_future is None:
            return False
        dask_future.cancel()
        return super().cancel()


# --------------------------------------------------------------------------------------------
# factory
# --------------------------------------------------------------------------------------------
def make_executor(
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    processes: int | None = None,
    cluster: Any = None,
) -> Executor:
    """The executor for the command-line options ``--workers``, ``--scheduler`` and ``--processes``.

    Parameters
    ----------
    workers : int, optional
        Start a Dask :class:`distributed.LocalCluster` with this many worker processes.
    scheduler : str, optional
        Connect to the Dask scheduler at this address (e.g. ``"tcp://host:8786"``).
    processes : int, optional
        Use a local process pool of this size.
    cluster : ClusterSpec, optional
        Start a batch cluster (``--cluster slurm --jobs N``) and run on its jobs.

    Returns
    -------
    Executor
        :class:`DaskExecutor` if ``scheduler``, ``workers`` or ``cluster`` is given, else
        :class:`ProcessExecutor` if ``processes`` is given, else :class:`InlineExecutor`.

    Raises
    ------
    ValueError
        If more than one of ``workers``, ``scheduler`` and ``processes`` is given, or a
        count is below 1.
    TypeError
        If a count is not an integer or ``scheduler`` not a string.
    """
    options = {"workers": workers, "scheduler": scheduler, "processes": processes, "cluster": cluster}
    given = [name for name, value in options.items() if value is not None]
    if len(given) > 1:
        raise ValueError(
            f"give at most one of workers, scheduler, processes and cluster; got {' and '.join(given)} "
            "(workers starts a local Dask cluster, scheduler connects to a running one, "
            "processes uses a local process pool, cluster submits batch jobs)"
        )
    if cluster is not None:
        return DaskExecutor(cluster=cluster)
    if workers is not None:
        workers = check_int(workers, "workers", low=1)
    if processes is not None:
        processes = check_int(processes, "processes", low=1)
    if scheduler is not None:
        return DaskExecutor(scheduler=_check_address(scheduler))
    if workers is not None:
        return DaskExecutor(workers)
    if processes is not None:
        return ProcessExecutor(processes)
    return InlineExecutor()
