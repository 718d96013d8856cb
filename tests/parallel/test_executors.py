"""The three executor backends: ordering, per-item reporting, failures and lost workers.

The Dask tests start real clusters on 127.0.0.1 (one shared ``LocalCluster`` of two worker
processes for most of them); worker processes are killed on purpose to check that finished
work is kept and lost work is redone or reported.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import pickle
import signal
import subprocess
import sys
import threading
from concurrent.futures.process import BrokenProcessPool

import _executor_tasks as tasks
import pytest

from physml.parallel import (
    DaskExecutor,
    Executor,
    InlineExecutor,
    MapError,
    ProcessExecutor,
    _executors,
    make_executor,
)

SQUARES = [x * x for x in range(10)]


# --------------------------------------------------------------------------------------------
# fixtures: each pool or cluster starts once per module
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def process_executor():
    with ProcessExecutor(2) as executor:
        yield executor


@pytest.fixture(scope="module")
def dask_executor():
    import cloudpickle
    import dask

    cloudpickle.register_pickle_by_value(tasks)  # workers cannot import the tests' helper module
    # The tests below kill workers several times in a row. 15 s after each death (the default
    # distributed.deploy.lost-worker-timeout) a LocalCluster closes that worker's nanny for good if
    # no worker of its name is registered at that instant: on a slow machine the same worker can be
    # down again then, restarting after a later kill, and the cluster would shrink (a map on a
    # cluster left without workers waits forever). The nannies restart workers: let them.
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "300s"}):
        with DaskExecutor(2, timeout=30) as executor:
            yield executor
    assert executor.n_workers == 0


@pytest.fixture(params=["inline", "process", "dask"])
def executor(request) -> Executor:
    if request.param == "inline":
        return InlineExecutor()
    return request.getfixturevalue(f"{request.param}_executor")


class Recorder:
    """An ``on_result`` that records its calls and the thread they came from."""

    def __init__(self):
        self.calls: list[tuple[int, object]] = []
        self.threads: set[int] = set()

    def __call__(self, index, result):
        self.calls.append((index, result))
        self.threads.add(threading.get_ident())


# --------------------------------------------------------------------------------------------
# every backend
# --------------------------------------------------------------------------------------------
def test_map_returns_results_in_input_order_and_reports_each_item(executor):
    record = Recorder()
    results = executor.map(tasks.square, range(10), on_result=record, desc="squares")
    assert results == SQUARES
    assert sorted(record.calls) == list(enumerate(SQUARES))  # once per item, with its index
    assert record.threads == {threading.get_ident()}  # in the calling thread


def test_map_order_does_not_follow_completion_order(executor):
    # the first items take longest, so on a concurrent backend they finish last
    items = [(x, 0.3 if x < 2 else 0.0) for x in range(6)]
    record = Recorder()
    results = executor.map(tasks.slow_square_item, items, on_result=record)
    assert results == [x * x for x in range(6)]
    assert sorted(record.calls) == [(x, x * x) for x in range(6)]


def test_submit_returns_a_standard_future(executor):
    future = executor.submit(tasks.add, 2, 3, scale=4)
    assert isinstance(future, cf.Future)
    assert future.result(timeout=30) == 20
    failed = executor.submit(tasks.fail_on, (1, 1))
    assert isinstance(failed.exception(timeout=30), ValueError)
    with pytest.raises(ValueError, match="bad item 1"):
        failed.result()


def test_failing_item_is_reported_and_the_others_are_kept(executor):
    record = Recorder()
    with pytest.raises(MapError) as info:
        executor.map(tasks.fail_on, [(x, 3) for x in range(6)], on_result=record)
    err = info.value
    assert list(err.failures) == [3]
    assert isinstance(err.failures[3], ValueError)
    assert err.results == [0, 1, 4, None, 16, 25]
    assert sorted(record.calls) == [(0, 0), (1, 1), (2, 4), (4, 16), (5, 25)]
    assert str(err).startswith("1 of 6 items failed: index 3: ValueError: bad item 3")


def test_empty_map(executor):
    record = Recorder()
    assert executor.map(tasks.square, [], on_result=record) == []
    assert record.calls == []


def test_n_workers(executor):
    assert executor.n_workers == {InlineExecutor: 1, ProcessExecutor: 2, DaskExecutor: 2}[type(executor)]


def test_error_in_on_result_propagates():
    def explode(index, result):
        raise KeyError("disk full")

    with pytest.raises(KeyError, match="disk full"):
        InlineExecutor().map(tasks.square, range(3), on_result=explode)


def test_closed_executor_refuses_work():
    executor = InlineExecutor()
    with executor:
        assert executor.submit(tasks.square, 3).result() == 9
    with pytest.raises(RuntimeError, match="closed"):
        executor.map(tasks.square, [1])
    with pytest.raises(RuntimeError, match="closed"):
        executor.submit(tasks.square, 1)


# --------------------------------------------------------------------------------------------
# MapError
# --------------------------------------------------------------------------------------------
def test_map_error_message_lists_the_first_failures():
    failures = {i: ValueError(f"no {i}") for i in range(8)}
    err = MapError([None] * 10, failures)
    text = str(err)
    assert text.startswith("8 of 10 items failed: index 0: ValueError: no 0; index 1: ValueError: no 1")
    assert "index 4: ValueError: no 4" in text and "index 5" not in text
    assert text.endswith("... and 3 more")
    assert isinstance(err, RuntimeError)


def test_map_error_accepts_descriptions_and_pickles():
    err = MapError([1, None], {1: "worker lost"})
    assert str(err) == "1 of 2 items failed: index 1: worker lost"
    copy = pickle.loads(pickle.dumps(err))
    assert copy.results == [1, None] and copy.failures == {1: "worker lost"}
    assert str(copy) == str(err)


# --------------------------------------------------------------------------------------------
# process pool
# --------------------------------------------------------------------------------------------
def test_process_pool_recreated_after_a_worker_dies_once(tmp_path):
    marker = tmp_path / "died"
    items = [(x, str(marker) if x == 2 else None) for x in range(6)]
    record = Recorder()
    with ProcessExecutor(2, retries=2) as executor:
        results = executor.map(tasks.die_once, items, on_result=record)
    assert marker.exists()  # the worker running item 2 did die
    assert results == [x * x for x in range(6)]
    assert sorted(record.calls) == [(x, x * x) for x in range(6)]


def test_process_item_that_always_kills_its_worker_is_reported():
    items = [(x, x == 3) for x in range(6)]
    record = Recorder()
    with ProcessExecutor(2, retries=1) as executor:
        with pytest.raises(MapError) as info:
            executor.map(tasks.die_always, items, on_result=record)
        err = info.value
        assert list(err.failures) == [3]
        assert isinstance(err.failures[3], BrokenProcessPool)
        assert "died 2 time(s)" in str(err)
        assert err.results == [0, 1, 4, None, 16, 25]
        assert sorted(record.calls) == [(0, 0), (1, 1), (2, 4), (4, 16), (5, 25)]
        # the executor recovers for the next call
        assert executor.submit(tasks.square, 7).result(timeout=30) == 49
        assert executor.map(tasks.square, range(3)) == [0, 1, 4]


def test_process_without_retries_gives_up_at_the_first_death():
    with ProcessExecutor(1, retries=0) as executor:
        with pytest.raises(MapError) as info:
            executor.map(tasks.die_always, [(0, False), (1, True), (2, False)])
    assert list(info.value.failures) == [1]
    assert info.value.results == [0, None, 4]


def test_process_workers_use_one_thread(monkeypatch):
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    with ProcessExecutor(1) as executor:
        settings = executor.submit(tasks.thread_settings).result(timeout=30)
    assert settings == {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def test_process_executor_arguments():
    assert ProcessExecutor().n_workers == (os.cpu_count() or 1)
    with pytest.raises(ValueError, match="n_workers"):
        ProcessExecutor(0)
    with pytest.raises(ValueError, match="retries"):
        ProcessExecutor(1, retries=-1)
    with pytest.raises(TypeError, match="n_workers"):
        ProcessExecutor(1.5)


# --------------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------------
def _worker_pids(executor: DaskExecutor) -> dict[str, int]:
    return executor.client.run(os.getpid)


@pytest.mark.slow
def test_dask_map_survives_a_killed_worker(dask_executor):
    killed: list[int] = []
    record = Recorder()
    after_kill: list[int] = []

    def on_result(index, result):
        record(index, result)
        if killed:
            after_kill.append(index)
        else:
            pid = next(iter(_worker_pids(dask_executor).values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    results = dask_executor.map(tasks.slow_square, range(8), on_result=on_result)
    assert results == [x * x for x in range(8)]
    assert sorted(record.calls) == [(x, x * x) for x in range(8)]
    assert len(after_kill) == 7  # the map went on after the worker died
    dask_executor.client.wait_for_workers(2, timeout=60)  # the nanny restarted it
    assert killed[0] not in _worker_pids(dask_executor).values()
    assert dask_executor.n_workers == 2


@pytest.mark.slow
def test_dask_item_that_always_kills_its_worker_is_reported(dask_executor):
    from distributed import KilledWorker

    record = Recorder()
    with pytest.raises(MapError) as info:
        dask_executor.map(tasks.die_always, [(x, x == 2) for x in range(5)], on_result=record)
    err = info.value
    assert list(err.failures) == [2]
    assert isinstance(err.failures[2], KilledWorker)
    assert err.results == [0, 1, None, 9, 16]
    assert sorted(record.calls) == [(0, 0), (1, 1), (3, 9), (4, 16)]
    dask_executor.client.wait_for_workers(2, timeout=60)
    assert dask_executor.map(tasks.square, range(3)) == [0, 1, 4]


def test_dask_waiting_for_workers_leaves_the_local_clusters_worker_table_alone(dask_executor):
    # The LocalCluster keeps its table of workers current from the scheduler's add/remove
    # events. Waiting through the cluster (Cluster.wait_for_workers) overwrote the table with
    # snapshots, so a "remove" still in flight after a worker death hit a worker the table no
    # longer had: the cluster's watcher died with KeyError('tcp://...') and closing failed.
    cluster = dask_executor._cluster
    table = cluster.scheduler_info
    dask_executor.client.wait_for_workers(2, timeout=60)
    assert cluster.scheduler_info is table
    assert not cluster._watch_worker_status_task.done()


def test_dask_identical_items_are_all_computed(dask_executor):
    record = Recorder()
    assert dask_executor.map(tasks.square, [3, 3, 3, 3], on_result=record) == [9, 9, 9, 9]
    assert sorted(record.calls) == [(i, 9) for i in range(4)]


def test_dask_connects_to_a_running_cluster_and_leaves_it_running():
    from distributed import LocalCluster
    from distributed.core import Status

    cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                           host="127.0.0.1", dashboard_address=None,
                           scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})  # not 8787
    try:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        with DaskExecutor(scheduler=address, timeout=10) as executor:
            assert executor.n_workers == 1
            record = Recorder()
            assert executor.map(tasks.square, range(5), on_result=record) == SQUARES[:5]
            assert sorted(record.calls) == list(enumerate(SQUARES[:5]))
            assert executor.submit(tasks.add, 1, 2).result(timeout=30) == 3
        assert executor.n_workers == 0
        assert cluster.status == Status.running
        with make_executor(scheduler=address) as again:  # the cluster still serves clients
            assert isinstance(again, DaskExecutor)
            assert again.map(tasks.square, [4]) == [16]
    finally:
        cluster.close()


@pytest.mark.slow
def test_dask_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(ConnectionError, match=r"Dask scheduler at tcp://127\.0\.0\.1:1 within 1 s"):
        DaskExecutor(scheduler="tcp://127.0.0.1:1", timeout=1)


def test_dask_executor_arguments():
    with pytest.raises(ValueError, match="n_workers.*scheduler"):
        DaskExecutor(2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(TypeError, match="scheduler"):
        DaskExecutor(scheduler=8786)
    with pytest.raises(ValueError, match="n_workers"):
        DaskExecutor(0)
    with pytest.raises(ValueError, match="timeout"):
        DaskExecutor(scheduler="tcp://127.0.0.1:1", timeout=0)


# --------------------------------------------------------------------------------------------
# make_executor
# --------------------------------------------------------------------------------------------
class _FakeDask:
    def __init__(self, n_workers=None, *, scheduler=None):
        self.args = (n_workers, scheduler)


def test_make_executor_chooses_the_backend(monkeypatch):
    monkeypatch.setattr(_executors, "DaskExecutor", _FakeDask)
    assert isinstance(make_executor(), InlineExecutor)
    with make_executor(processes=3) as pool:
        assert isinstance(pool, ProcessExecutor) and pool.n_workers == 3
    assert make_executor(workers=4).args == (4, None)
    assert make_executor(scheduler="tcp://10.0.0.5:8786").args == (None, "tcp://10.0.0.5:8786")


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        (dict(workers=2, scheduler="tcp://127.0.0.1:8786"), ValueError, "workers and scheduler"),
        (dict(workers=2, processes=2), ValueError, "workers and processes"),
        (dict(workers=0), ValueError, r"workers must be in \[1, inf\), got 0"),
        (dict(processes=-1), ValueError, r"processes must be in \[1, inf\), got -1"),
        (dict(workers=1.5), TypeError, "workers must be an integer"),
        (dict(processes=True), TypeError, "processes must be an integer"),
        (dict(scheduler=8786), TypeError, "scheduler must be an address"),
        (dict(scheduler="  "), TypeError, "scheduler must be an address"),
    ],
)
def test_make_executor_validates_its_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        make_executor(**kwargs)


def test_importing_the_module_does_not_import_dask():
    code = "import sys, physml.parallel; print(sorted({'dask', 'distributed'} & set(sys.modules)))"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"
