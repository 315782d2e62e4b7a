"""delete_cluster_snapshot per call: rows a-e of the table.

a. ``intercept()``; b. botocore's ``Stubber``; c1. botocore's query parser
alone on the XML we render; c2. Stubber and parse in one loop; c3. the
parse-only interceptor (the delete's floor); d. moto, interleaved with its
own ``intercept()`` batches; e. a Stubber client that carries our handlers.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from botocore.parsers import create_parser
from botocore.stub import Stubber
from harness import (
    ACCOUNT,
    CLUSTER,
    REGION,
    Case,
    Ids,
    Settings,
    clean_session,
    delete_answer,
    deleted_response,
    make_client,
    parse_only_client,
    run_interleaved,
)

from redshift_intercept import intercept


def intercept_case(name: str, ids: Ids) -> Case:
    """a. ``intercept()`` (every Redshift client, its own MemoryBackend):
    snapshots seeded with ``rs.add_snapshot``, each deleted once."""
    rs = intercept()
    client = make_client()

    def prepare(n: int) -> List[str]:
        batch = ids.take(n)
        for snapshot_id in batch:
            rs.add_snapshot(SnapshotIdentifier=snapshot_id)
        rs.start()
        return batch

    def run(batch: List[str]) -> None:
        delete = client.delete_cluster_snapshot
        for snapshot_id in batch:
            delete(SnapshotIdentifier=snapshot_id)

    def finish() -> None:
        rs.stop()
        rs.calls.clear()
        if rs.backend.list(ACCOUNT, REGION):
            raise RuntimeError("intercept(): a snapshot survived its delete")

    return Case(name, prepare, run, finish)


def bench_main(settings: Settings, keep_gc: bool) -> Dict[str, Any]:
    ids = Ids("bench")

    # The record every other case answers with: what add_snapshot stores.
    with intercept() as seeding:
        record = seeding.add_snapshot(SnapshotIdentifier="bench-9999999")
    response = deleted_response(record)

    # b. Stubber on a client without our handlers.
    stubbed = make_client(clean_session())
    stubber = Stubber(stubbed)
    stubber.activate()

    def stub_preparer(stub: Stubber) -> Callable[[int], List[str]]:
        def prepare(n: int) -> List[str]:
            for _ in range(n):
                stub.add_response("delete_cluster_snapshot", dict(response))
            return ids.take(n)
        return prepare

    def delete_runner(client: Any) -> Callable[[List[str]], None]:
        def run(batch: List[str]) -> None:
            delete = client.delete_cluster_snapshot
            for snapshot_id in batch:
                delete(SnapshotIdentifier=snapshot_id)
        return run

    prepare_stubbed, run_stubbed = stub_preparer(stubber), delete_runner(stubbed)

    # c. botocore's query parser on the XML our interceptor renders for that record.
    response_dict, output_shape, xml_bytes = delete_answer(record)
    parser = create_parser("query")

    def run_parse(n: int) -> None:
        parse = parser.parse
        for _ in range(n):
            parse(response_dict, output_shape)

    # c2. b + c1 as one loop: a stubbed call, then the parse (information).
    def run_combined(batch: List[str]) -> None:
        delete, parse = stubbed.delete_cluster_snapshot, parser.parse
        for snapshot_id in batch:
            delete(SnapshotIdentifier=snapshot_id)
            parse(response_dict, output_shape)

    # c3. the floor (issue 11): the parse-only interceptor, a handler that only parses.
    run_parsing = delete_runner(parse_only_client(response_dict, output_shape))

    # e. Stubber on a client that carries our handlers, no interceptor active:
    # what merely importing redshift_intercept costs a call it does not answer.
    inert = make_client()
    inert_stubber = Stubber(inert)
    inert_stubber.activate()
    prepare_inert, run_inert = stub_preparer(inert_stubber), delete_runner(inert)

    # Same answer everywhere: intercepted == parse(XML) == Stubber's dict.
    with intercept() as check:
        check.backend.insert(ACCOUNT, REGION, dict(record))
        answered = make_client().delete_cluster_snapshot(SnapshotIdentifier=record["SnapshotIdentifier"])
    parsed = parser.parse(response_dict, output_shape)
    equivalent = answered["Snapshot"] == parsed["Snapshot"] == response["Snapshot"]

    cases = {
        "intercept": intercept_case("intercept", ids),
        "stubber": Case("stubber", prepare_stubbed, run_stubbed),
        "parse": Case("parse", lambda n: n, run_parse),
        "combined": Case("combined", prepare_stubbed, run_combined),
        "parsing": Case("parsing", ids.take, run_parsing),
        "inert": Case("inert", prepare_inert, run_inert),
    }
    run_interleaved(list(cases.values()), settings.repeats, settings.batch, keep_gc)
    return {"cases": cases, "xml_bytes": xml_bytes, "equivalent": equivalent}


def bench_moto(settings: Settings, keep_gc: bool) -> Optional[Dict[str, Case]]:
    """d. moto, interleaved with its own intercept() batches of the same size,
    so that moto / intercept is paired like the main ratios."""
    try:
        from moto import mock_aws
    except ImportError:
        print("moto: not installed (pip install moto); moto rows skipped", flush=True)
        return None
    ids = Ids("moto")
    reference = intercept_case("intercept", Ids("moto-ref"))  # made before the mock starts
    with mock_aws():
        client = make_client(clean_session(), endpoint=None)  # moto answers the real endpoint
        client.create_cluster(ClusterIdentifier=CLUSTER, NodeType="ra3.xlplus", MasterUsername="awsuser",
                              MasterUserPassword="Passw0rd1", ClusterType="multi-node", NumberOfNodes=2)

        def prepare(n: int) -> List[str]:
            batch = ids.take(n)
            for snapshot_id in batch:
                client.create_cluster_snapshot(SnapshotIdentifier=snapshot_id, ClusterIdentifier=CLUSTER)
            return batch

        def run(batch: List[str]) -> None:
            delete = client.delete_cluster_snapshot
            for snapshot_id in batch:
                answer = delete(SnapshotIdentifier=snapshot_id)
            if answer["Snapshot"]["SnapshotIdentifier"] != batch[-1]:
                raise RuntimeError("moto answered another snapshot")

        case = Case("moto", prepare, run)
        run_interleaved([reference, case], settings.moto_repeats, settings.moto_batch, keep_gc)
    return {"moto": case, "intercept": reference}
