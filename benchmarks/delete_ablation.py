"""What the parts of an intercepted delete cost inside real calls, by ablation.

Each case is a real ``intercept()`` delete through a boto3 client with one
part swapped out, timed in batches interleaved round by round with the
delete's floor (c3, the parse-only interceptor), so that every ratio is
paired. The swaps are not correct behaviour, only measurements:

- ``no event``: the delete records no ``REDSHIFT-EVENT-2011`` in the event log;
- ``same XML``: the first rendered answer is reused, so there is no render
  per call and botocore parses the same bytes object every time, as c3 does;
- ``render, same XML``: the render still runs, but its XML is dropped for
  the reused one;
- ``copied XML``: no render; a fresh copy of the reused bytes is parsed.

A part's cost in a call is its case's distance from ``intercept()``; tight
loops (``profile_delete.py``) show far smaller numbers for the same parts.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict, List, Optional

from harness import (
    Case,
    FastSeeder,
    Ids,
    delete_answer,
    isolate_environment,
    make_client,
    paired,
    parse_only_client,
    run_interleaved,
)

import redshift_intercept._hooks as hooks
import redshift_intercept._rules.delete as delete_rule
from redshift_intercept import intercept


def intercepted(name: str, ids: Ids, swap: Optional[Callable[[], Callable[[], None]]] = None) -> Case:
    """A real intercepted delete; ``swap()`` patches a part for the timed
    batch and returns what undoes it."""
    rs = intercept()
    client = make_client()
    seeder = FastSeeder(rs.backend)

    def prepare(n: int) -> List[str]:
        batch = ids.take(n)
        seeder.seed(batch)
        rs.start()
        return batch

    def run(batch: List[str]) -> None:
        undo = swap() if swap is not None else None
        try:
            delete = client.delete_cluster_snapshot
            for snapshot_id in batch:
                delete(SnapshotIdentifier=snapshot_id)
        finally:
            if undo is not None:
                undo()

    def finish() -> None:
        rs.stop()
        rs.calls.clear()

    return Case(name, prepare, run, finish)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args(argv)
    isolate_environment()
    ids = Ids("ablation")
    with intercept() as seeding:
        record = seeding.add_snapshot(SnapshotIdentifier="ablation-template")
    response_dict, output_shape, _ = delete_answer(record)
    floor_client = parse_only_client(response_dict, output_shape)

    real_render, real_event = hooks.render_success, delete_rule.record_event
    reused: Dict[int, bytes] = {}

    def same_xml(model: Any, result: Any, request_id: str) -> bytes:
        if 0 not in reused:
            reused[0] = real_render(model, result, request_id)
        return reused[0]

    def patch(render: Optional[Callable[..., bytes]] = None, event: Optional[Callable[..., None]] = None):
        def swap() -> Callable[[], None]:
            if render is not None:
                hooks.render_success = render  # type: ignore[assignment]
            if event is not None:
                delete_rule.record_event = event  # type: ignore[assignment]

            def undo() -> None:
                hooks.render_success, delete_rule.record_event = real_render, real_event  # type: ignore[assignment]
            return undo
        return swap

    def floor_run(batch: List[str]) -> None:
        delete = floor_client.delete_cluster_snapshot
        for snapshot_id in batch:
            delete(SnapshotIdentifier=snapshot_id)

    cases = [
        intercepted("intercept()", ids),
        intercepted("no event", ids, patch(event=lambda *_: None)),
        intercepted("same XML", ids, patch(render=same_xml)),
        intercepted("render, same XML", ids,
                    patch(render=lambda m, r, i: (real_render(m, r, i), same_xml(m, r, i))[1])),
        intercepted("copied XML", ids, patch(render=lambda m, r, i: bytes(bytearray(same_xml(m, r, i))))),
        Case("c3 (floor)", ids.take, floor_run),
    ]
    run_interleaved(cases, args.rounds, args.batch, keep_gc=False)
    floor = cases[-1]
    print(f"delete, median us per call of {args.rounds} rounds x {args.batch}, and paired ratio to the floor")
    for case in cases:
        print(f"  {case.name:<20} {case.median:8.1f} us   x{paired(case.samples, floor.samples):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
