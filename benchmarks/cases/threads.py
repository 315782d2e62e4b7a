"""Threads: 1 and 4 threads deleting through one ``intercept()``, against
1 and 4 threads through parse-only handlers."""

from __future__ import annotations

import gc
import statistics
import threading
import time
from typing import Any, Dict, List

from harness import ACCOUNT, REGION, FastSeeder, Ids, Settings, delete_answer, make_client, paired, parse_only_client

from redshift_intercept import MemoryBackend, intercept


def bench_threads(settings: Settings, keep_gc: bool) -> Dict[str, Any]:
    """Calls/s with 1 and with 4 threads, one client per thread (clients made
    up front), ``thread_calls`` deletes per thread: through one
    ``intercept()`` and one MemoryBackend, and, for comparison, through
    handlers that only parse (c3), which share no lock and no state."""
    backend = MemoryBackend()
    seeder = FastSeeder(backend)
    rs = intercept(backend=backend)
    response_dict, output_shape, _ = delete_answer(seeder.record("thread-answer"))
    clients = {"intercept": [make_client() for _ in range(4)],
               "parsing": [parse_only_client(response_dict, output_shape) for _ in range(4)]}
    ids = Ids("thread")
    rates: Dict[tuple, List[float]] = {(kind, threads): [] for kind in clients for threads in (1, 4)}

    def one_run(kind: str, threads: int) -> float:
        batches = [ids.take(settings.thread_calls) for _ in range(threads)]
        if kind == "intercept":
            for batch in batches:
                seeder.seed(batch)
        barrier = threading.Barrier(threads + 1)
        errors: List[BaseException] = []

        def work(client: Any, batch: List[str]) -> None:
            delete = client.delete_cluster_snapshot
            barrier.wait()
            try:
                for snapshot_id in batch:
                    delete(SnapshotIdentifier=snapshot_id)
            except BaseException as error:  # reported below
                errors.append(error)

        workers = [threading.Thread(target=work, args=(clients[kind][i], batches[i])) for i in range(threads)]
        for worker in workers:
            worker.start()
        gc.collect()
        if not keep_gc:
            gc.disable()
        rs.start()
        try:
            barrier.wait()
            start = time.perf_counter()
            for worker in workers:
                worker.join()
            elapsed = time.perf_counter() - start
        finally:
            rs.stop()
            gc.enable()
        if errors:
            raise errors[0]
        calls = threads * settings.thread_calls
        answered = len(rs.calls) if kind == "intercept" else calls
        if answered != calls or backend.list(ACCOUNT, REGION):
            raise RuntimeError("threads: not every delete was answered")
        rs.calls.clear()
        return calls / elapsed

    for key in rates:  # warm-up
        one_run(*key)
    for _ in range(settings.thread_repeats):
        for key in rates:
            rates[key].append(one_run(*key))
    return {kind: {"rates": {threads: statistics.median(rates[kind, threads]) for threads in (1, 4)},
                   "paired": paired(rates[kind, 4], rates[kind, 1])}
            for kind in clients}
