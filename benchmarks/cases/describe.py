"""describe_cluster_snapshots: a page of 100 (rows f-i) and a paginated
listing (rows j-l)."""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from botocore.parsers import create_parser
from botocore.stub import Stubber
from harness import (
    ACCOUNT,
    CLUSTER,
    DESCRIBE,
    PAGE,
    REGION,
    REQUEST_ID,
    Case,
    FastSeeder,
    Ids,
    Settings,
    clean_session,
    make_client,
    page_interceptor,
    parse_input,
    parse_only_client,
    run_interleaved,
    without_metadata,
)

from redshift_intercept import MemoryBackend, intercept
from redshift_intercept._dispatch import Caller
from redshift_intercept._rules import view
from redshift_intercept._wire import render_success

# ---------------------------------------------------------------- a page of 100


def page_result(rs: Any, snapshot_ids: List[str], marker: Optional[str]) -> Dict[str, Any]:
    """One describe page built from the stored records: each record as a
    response shows it (``view``), in the order given, and the Marker."""
    scope = rs._service.scope(Caller(ACCOUNT, REGION))
    get = rs.backend.get
    result: Dict[str, Any] = {"Snapshots": [view(scope, get(ACCOUNT, REGION, i)) for i in snapshot_ids]}
    if marker is not None:
        result["Marker"] = marker
    return result


def describe_page_case(name: str, rs: Any) -> Case:
    """``describe_cluster_snapshots(MaxRecords=100)`` through ``rs``: a page of 100."""
    client = make_client()

    def prepare(n: int) -> int:
        rs.start()
        return n

    def run(n: int) -> None:
        describe = client.describe_cluster_snapshots
        for _ in range(n):
            answer = describe(MaxRecords=PAGE)
        if len(answer["Snapshots"]) != PAGE or "Marker" not in answer:
            raise RuntimeError("intercept(): the page is not 100 snapshots and a Marker")

    def finish() -> None:
        rs.stop()
        rs.calls.clear()

    return Case(name, prepare, run, finish)


def bench_describe_page(settings: Settings, keep_gc: bool) -> Dict[str, Any]:
    """f-h. A page of 100 full snapshots: intercept() against the Stubber
    answering the same page, the parse of the exact XML we render for it,
    their sum (the floor), the floor as one loop and as an interceptor."""
    rs = page_interceptor("page")
    client = make_client()
    with rs:
        answered = without_metadata(client.describe_cluster_snapshots(MaxRecords=PAGE))
    rs.calls.clear()
    result = page_result(rs, [s["SnapshotIdentifier"] for s in answered["Snapshots"]], answered.get("Marker"))
    model = client.meta.service_model.operation_model(DESCRIBE)
    output_shape = model.output_shape
    xml = render_success(model, result, REQUEST_ID)
    response_dict = parse_input(DESCRIBE, xml)
    parser = create_parser("query")
    parsed = without_metadata(parser.parse(response_dict, output_shape))
    equivalent = len(result["Snapshots"]) == PAGE and answered == parsed == result

    # g. Stubber on a client without our handlers, answering the same page.
    stubbed = make_client(clean_session())
    stubber = Stubber(stubbed)
    stubber.activate()

    def prepare_stubbed(n: int) -> int:
        for _ in range(n):  # validated against the output shape here, untimed
            stubber.add_response("describe_cluster_snapshots", dict(result))
        return n

    def run_stubbed(n: int) -> None:
        describe = stubbed.describe_cluster_snapshots
        for _ in range(n):
            describe(MaxRecords=PAGE)

    # h1. botocore's query parser on that XML.
    def run_parse(n: int) -> None:
        parse = parser.parse
        for _ in range(n):
            parse(response_dict, output_shape)

    # h2. the floor as one loop.
    def run_combined(n: int) -> None:
        describe, parse = stubbed.describe_cluster_snapshots, parser.parse
        for _ in range(n):
            describe(MaxRecords=PAGE)
            parse(response_dict, output_shape)

    # h3. the floor as an interceptor: a handler that only parses the page.
    parsing = parse_only_client(response_dict, output_shape, DESCRIBE)

    def run_parsing(n: int) -> None:
        describe = parsing.describe_cluster_snapshots
        for _ in range(n):
            describe(MaxRecords=PAGE)

    cases = {
        "intercept": describe_page_case("intercept", rs),
        "stubber": Case("stubber", prepare_stubbed, run_stubbed),
        "parse": Case("parse", lambda n: n, run_parse),
        "combined": Case("combined", prepare_stubbed, run_combined),
        "parsing": Case("parsing", lambda n: n, run_parsing),
    }
    run_interleaved(list(cases.values()), settings.page_repeats, settings.page_batch, keep_gc)
    return {"cases": cases, "xml_bytes": len(xml), "equivalent": equivalent,
            "fields": len(result["Snapshots"][0])}


def bench_describe_moto(settings: Settings, keep_gc: bool) -> Optional[Dict[str, Any]]:
    """i. moto answering a page of 100 (it holds exactly 100, the automated
    snapshot its create_cluster makes and 99 manual ones: moto ignores
    MaxRecords), interleaved with intercept() page batches of the same size."""
    try:
        from moto import mock_aws
    except ImportError:
        print("moto: not installed; moto describe rows skipped", flush=True)
        return None
    reference = describe_page_case("intercept", page_interceptor("moto-page-ref"))  # before the mock
    with mock_aws():
        client = make_client(clean_session(), endpoint=None)
        client.create_cluster(ClusterIdentifier=CLUSTER, NodeType="ra3.xlplus", MasterUsername="awsuser",
                              MasterUserPassword="Passw0rd1", ClusterType="multi-node", NumberOfNodes=2)
        # create_cluster made an automated snapshot: fill up to exactly 100.
        missing = PAGE - len(client.describe_cluster_snapshots()["Snapshots"])
        start = time.perf_counter()
        for snapshot_id in Ids("moto-page").take(missing):
            client.create_cluster_snapshot(SnapshotIdentifier=snapshot_id, ClusterIdentifier=CLUSTER)
        create_us = (time.perf_counter() - start) / missing * 1e6
        fields = max(len(s) for s in client.describe_cluster_snapshots(MaxRecords=PAGE)["Snapshots"])

        def run(n: int) -> None:
            describe = client.describe_cluster_snapshots
            for _ in range(n):
                answer = describe(MaxRecords=PAGE)
            if len(answer["Snapshots"]) != PAGE:
                raise RuntimeError("moto did not answer 100 snapshots")

        case = Case("moto", lambda n: n, run)
        run_interleaved([reference, case], settings.moto_page_repeats, settings.moto_page_batch, keep_gc)
        # Does moto paginate? Hold one snapshot more than a page, ask for a page.
        client.create_cluster_snapshot(SnapshotIdentifier="moto-page-extra", ClusterIdentifier=CLUSTER)
        over = client.describe_cluster_snapshots(MaxRecords=PAGE)
    return {"moto": case, "intercept": reference, "create_us": create_us, "fields": fields,
            "paginates": len(over["Snapshots"]) == PAGE and "Marker" in over,
            "over_count": len(over["Snapshots"])}


# ---------------------------------------------------------------- a paginated listing


def bench_listing(settings: Settings, keep_gc: bool) -> Dict[str, Any]:
    """j-k. A full listing of ``listing_size`` snapshots with boto3's
    paginator (PageSize 100) through intercept(), against the floor per page
    (the Stubber answering the same pages + the parse of the exact XML we
    render for each page), every page of the listing, summed."""
    size = settings.listing_size
    backend = MemoryBackend()
    seeder = FastSeeder(backend)
    start = time.perf_counter()
    seeder.seed_over_time(Ids("listing").take(size))
    seeding = time.perf_counter() - start
    rs = intercept(backend=backend)
    client = make_client()
    config = {"PageSize": PAGE}
    paginator = client.get_paginator("describe_cluster_snapshots")

    # Untimed: the listing once (it also warms intercept() up), its pages
    # rebuilt from the records, rendered and checked.
    start = time.perf_counter()
    with rs:
        pages = [without_metadata(page) for page in paginator.paginate(PaginationConfig=config)]
    first_listing = time.perf_counter() - start
    rs.calls.clear()
    results = [page_result(rs, [s["SnapshotIdentifier"] for s in page["Snapshots"]], page.get("Marker"))
               for page in pages]
    model = client.meta.service_model.operation_model(DESCRIBE)
    output_shape = model.output_shape
    response_dicts = [parse_input(DESCRIBE, render_success(model, result, REQUEST_ID)) for result in results]
    parser = create_parser("query")
    listed = [s["SnapshotIdentifier"] for page in pages for s in page["Snapshots"]]
    equivalent = (len(listed) == len(set(listed)) == size and pages == results
                  and all(without_metadata(parser.parse(response_dicts[i], output_shape)) == results[i]
                          for i in (0, -1)))
    del pages, listed

    def count(page_iterator: Any) -> None:
        total = 0
        for page in page_iterator:
            total += len(page["Snapshots"])
        if total != size:
            raise RuntimeError(f"a listing returned {total} snapshots, not {size}")

    def prepare_intercept(n: int) -> int:
        rs.start()
        return n

    def run_intercept(n: int) -> None:
        for _ in range(n):
            count(paginator.paginate(PaginationConfig=config))

    def finish_intercept() -> None:
        rs.stop()
        rs.calls.clear()

    stubbed = make_client(clean_session())
    stub_paginator = stubbed.get_paginator("describe_cluster_snapshots")
    stubber = Stubber(stubbed)
    stubber.activate()

    def prepare_stubbed(n: int) -> int:
        for _ in range(n):
            for result in results:
                stubber.add_response("describe_cluster_snapshots", dict(result))
        return n

    def run_stubbed(n: int) -> None:
        for _ in range(n):
            count(stub_paginator.paginate(PaginationConfig=config))

    def run_parse(n: int) -> None:
        parse = parser.parse
        for _ in range(n):
            for response_dict in response_dicts:
                parse(response_dict, output_shape)

    cases = {
        "intercept": Case("intercept", prepare_intercept, run_intercept, finish_intercept),
        "stubber": Case("stubber", prepare_stubbed, run_stubbed),
        "parse": Case("parse", lambda n: n, run_parse),
    }
    # One listing per batch; intercept() was warmed up by the check above,
    # the Stubber and the parser by the page-of-100 section.
    run_interleaved(list(cases.values()), settings.listing_repeats, 1, keep_gc, warm_up=False)
    return {"cases": cases, "pages": len(results), "size": size, "seeding_s": seeding,
            "first_listing_s": first_listing, "equivalent": equivalent}
