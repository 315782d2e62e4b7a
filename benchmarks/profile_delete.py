#!/usr/bin/env python
"""Where an intercepted DeleteClusterSnapshot spends its time (issue 6).

    python benchmarks/profile_delete.py                  # ladder, timers in calls, component table
    python benchmarks/profile_delete.py --pyinstrument   # + pyinstrument call tree
    python benchmarks/profile_delete.py --cprofile       # + cProfile, top 40 by cumulative time

Three views of one call, along its path through the package: ``_hooks``
(the botocore front door: the before-call closure, ``_before_call`` asking
the active routes, ``_answer``/``_attempt``: decode, ``Caller``, request id,
render, respond, the ``Call`` record) -> ``_dispatch.Service.answer`` (fault
check, rule lookup, ``Scope``) -> the rule (``_rules/delete.py``) -> the
backend.

1. an ablation ladder: before-call handlers doing one more step each, ending
   with the real ``intercept()``, interleaved;
2. timers (``harness.CallTimers``) wrapped around those steps inside real
   intercepted calls;
3. every step alone in a tight loop, on the real objects botocore hands our
   ``before-call`` handler (captured from a real call): first what
   redshift_intercept adds, then the steps of botocore's client pipeline that
   the Stubber pays too, then botocore's parser.

Private botocore and redshift_intercept internals are called directly here;
a step of 3 that a future version renames prints as n/a.
"""

from __future__ import annotations

import argparse
import email.utils
import gc
import math
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import botocore.parsers
from botocore.awsrequest import AWSResponse, prepare_request_dict
from botocore.hooks import first_non_none_response
from botocore.stub import Stubber
from harness import (
    ACCOUNT,
    CLOSED_ENDPOINT,
    OPERATION,
    REGION,
    CallTimers,
    FastSeeder,
    clean_session,
    isolate_environment,
    make_client,
)

from redshift_intercept import MemoryBackend, intercept
from redshift_intercept import _hooks as hooks
from redshift_intercept import _wire as wire
from redshift_intercept._calls import Call
from redshift_intercept._dispatch import Caller, Service
from redshift_intercept._rules import OPERATIONS, Scope
from redshift_intercept._shapes import format_timestamp


def _timed_deletes(delete, ids, rs) -> float:
    """us per call of ``delete`` over ``ids``, GC off; stops ``rs`` and clears its calls after."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for snapshot_id in ids:
            delete(SnapshotIdentifier=snapshot_id)
        return (time.perf_counter_ns() - start) / len(ids) / 1000.0
    finally:
        gc.enable()
        if rs.active:
            rs.stop()
        rs.calls.clear()


def capture_call(client: Any, rs: Any, seeder: FastSeeder) -> Dict[str, Any]:
    """The arguments of one real before-call event, and what the call returned."""
    captured: Dict[str, Any] = {}

    def capture(**kwargs: Any) -> None:
        captured.update(kwargs)

    real_before_call, real_rule = hooks._before_call, OPERATIONS[OPERATION]

    def rule(scope: Any, params: Dict[str, Any]) -> Any:
        captured["scope"], captured["rule_params"] = scope, params
        return real_rule(scope, params)

    def before_call(origin: hooks.Origin, **kwargs: Any) -> Any:
        captured["origin"], captured["route"] = origin, hooks._routes[-1]
        return real_before_call(origin, **kwargs)

    event = f"before-call.redshift.{OPERATION}"
    client.meta.events.register_first(event, capture, unique_id="profile-capture")
    seeder.seed(["capture-0000001"])
    hooks._before_call, OPERATIONS[OPERATION] = before_call, rule
    try:
        with rs:
            captured["parsed"] = client.delete_cluster_snapshot(SnapshotIdentifier="capture-0000001")
    finally:
        hooks._before_call, OPERATIONS[OPERATION] = real_before_call, real_rule
        client.meta.events.unregister(event, unique_id="profile-capture")
    rs.calls.clear()
    return captured


def components(client: Any, rounds: int, loops: int) -> List[Tuple[str, str, float]]:
    rs = intercept()
    backend = rs.backend
    service: Service = rs._service
    seeder = FastSeeder(backend)
    cap = capture_call(client, rs, seeder)
    model, request_dict, context = cap["model"], cap["params"], cap["context"]
    api_params = {"SnapshotIdentifier": "capture-0000001"}
    service_model = client.meta.service_model
    origin, route = cap["origin"], cap["route"]
    record = seeder.record("capture-0000001")
    result = {"Snapshot": {**record, "Status": "deleted"}}
    request_id = wire.new_request_id()
    body = wire.render_success(model, result, request_id)
    headers = {"x-amzn-requestid": request_id, "content-type": "text/xml",
               "content-length": str(len(body)), "date": email.utils.formatdate(usegmt=True)}
    http = AWSResponse(CLOSED_ENDPOINT, 200, headers, None)
    response_dict = {"headers": http.headers, "status_code": 200, "body": body,
                     "context": {"operation_name": OPERATION}}
    parser = origin.parser_factory().create_parser("query")
    scope, params, rule = cap["scope"], cap["rule_params"], OPERATIONS[OPERATION]
    caller = Caller(ACCOUNT, REGION)
    insert = backend.insert
    insert(ACCOUNT, REGION, record)  # the captured call deleted it

    def rule_and_reinsert() -> None:
        rule(scope, params)
        insert(ACCOUNT, REGION, record)

    def answer_and_reinsert() -> None:
        service.answer(OPERATION, params, caller)
        insert(ACCOUNT, REGION, record)

    def reinsert_only() -> None:
        backend._data[("snapshot", ACCOUNT, REGION)].pop("capture-0000001", None)
        insert(ACCOUNT, REGION, record)

    def call_record() -> None:  # what _attempt does after the parse
        service.record(Call(OPERATION, hooks._caller_params(context, params), caller.region, caller.account_id,
                            cap["parsed"], None, None, request_id))
        if len(service.calls) > 1000:
            service.calls.clear()

    def respond_glue() -> dict:  # respond() without the parse
        response = wire.http_response(CLOSED_ENDPOINT, 200, request_id, body)
        return {"headers": response.headers, "status_code": 200,
                "context": {"operation_name": OPERATION}, "body": body}

    # The per-call path into our handler: the before_call closure that
    # _hooks._install puts on every client (the Origin is built once, at
    # install time), the real _hooks._before_call and Route.accepts, stopping
    # where _before_call would call _answer: the active routes hold the
    # captured route and _answer is a stand-in that answers None.
    def before_call(**kwargs: Any) -> Any:
        return hooks._before_call(origin, **kwargs) if hooks._routes else None

    def no_answer(*_: Any) -> None:
        return None

    def dispatch_overhead() -> None:
        saved_routes, saved_answer = hooks._routes, hooks._answer
        hooks._routes, hooks._answer = (route,), no_answer
        try:
            before_call(model=model, params=request_dict, request_signer=None, context=context)
        finally:
            hooks._routes, hooks._answer = saved_routes, saved_answer

    stash_context: Dict[str, Any] = {}

    service_id = service_model.service_id.hyphenize()
    events = client.meta.events

    def emit_after_call() -> None:
        events.emit(f"after-call.{service_id}.{OPERATION}", http_response=http, parsed=cap["parsed"],
                    model=model, context=context)

    def endpoint() -> None:
        client._resolve_endpoint_ruleset(model, api_params, dict(context))

    def serialize() -> None:  # validation + query serialization
        client._serializer.serialize_to_request(api_params, model)

    def user_agent_and_prepare() -> None:
        request = client._serializer.serialize_to_request(api_params, model)
        prepare_request_dict(request, endpoint_url=CLOSED_ENDPOINT,
                             user_agent=client._user_agent_creator.to_string(), context=context)

    def emit_params() -> None:
        responses = events.emit(f"provide-client-params.{service_id}.{OPERATION}", params=api_params,
                                model=model, context=context)
        first_non_none_response(responses, default=api_params)
        events.emit(f"before-parameter-build.{service_id}.{OPERATION}", params=api_params,
                    model=model, context=dict(context))

    ours: List[Tuple[str, Optional[Callable[[], Any]]]] = [
        ("route dispatch (before_call, _hooks._before_call, Route.accepts)", dispatch_overhead),
        ("stash params (before-parameter-build handler)",
         lambda: hooks._stash(params=api_params, context=stash_context)),
        ("decode_params", lambda: wire.decode_params(model, request_dict)),
        ("Caller(account_id, region)", lambda: Caller(route.account_id, context["client_region"])),
        ("new_request_id (uuid4)", wire.new_request_id),
        ("Service.answer: fault check, rule lookup, Scope, rule", None),  # answer_and_reinsert - reinsert_only
        ("  of which: Scope(service, account, region)", lambda: Scope(service, ACCOUNT, REGION)),
        ("  of which: the rule: check, backend.remove, view", None),  # rule_and_reinsert - reinsert_only
        ("render_success (XML)", lambda: wire.render_success(model, result, request_id)),
        ("  of which: 3 x format_timestamp",
         lambda: [format_timestamp(record[k]) for k in
                  ("SnapshotCreateTime", "ClusterCreateTime", "SnapshotRetentionStartTime")]),
        ("http_date (Date header, formatted once a second)", wire.http_date),
        ("respond glue: headers, AWSResponse, response dict", respond_glue),
        # What _attempt does to get the parser respond() uses: the origin reuses
        # one while the client's factory and its defaults stay the same.
        ("origin.parser('query')", lambda: origin.parser("query")),
        ("Call(...) record + Service.record", call_record),
    ]
    botocore_steps: List[Tuple[str, Callable[[], Any]]] = [
        ("provide-client-params + before-parameter-build events", emit_params),
        ("endpoint ruleset resolution", endpoint),
        ("validation + query serialization", serialize),
        ("  + user agent + prepare_request_dict", user_agent_and_prepare),
        ("after-call event", emit_after_call),
        ("query parser: parser.parse(...)", lambda: parser.parse(response_dict, model.output_shape)),
    ]
    computed = {"Service.answer: fault check, rule lookup, Scope, rule": "__answer_and_reinsert",
                "  of which: the rule: check, backend.remove, view": "__rule_and_reinsert"}
    timed: Dict[str, Callable[[], Any]] = {name: fn for name, fn in ours + botocore_steps if fn is not None}
    timed["__answer_and_reinsert"] = answer_and_reinsert
    timed["__rule_and_reinsert"] = rule_and_reinsert
    timed["__reinsert_only"] = reinsert_only
    samples: Dict[str, List[float]] = {name: [] for name in timed}
    failed: set = set()
    for round_no in range(rounds + 1):
        for name, fn in timed.items():
            if name in failed:
                continue
            try:
                us = time_loop(fn, loops)
            except Exception as error:  # a renamed private API: that step prints as n/a
                failed.add(name)
                samples[name] = []
                print(f"  {name}: n/a ({type(error).__name__}: {error})", file=sys.stderr)
                continue
            if round_no:
                samples[name].append(us)
    median = {name: statistics.median(s) if s else float("nan") for name, s in samples.items()}
    for name, both in computed.items():
        median[name] = max(0.0, median[both] - median["__reinsert_only"])
    rows = [("ours", name, median[name]) for name, _ in ours]
    rows += [("botocore", name, median[name]) for name, _ in botocore_steps]
    return rows


def time_loop(fn: Callable[[], Any], loops: int) -> float:
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in range(loops):
            fn()
        return (time.perf_counter_ns() - start) / loops / 1000.0
    finally:
        gc.enable()


def in_situ(client: Any, rounds: int, loops: int) -> Tuple[Dict[str, float], Dict[str, float]]:
    """Whole calls, interleaved: intercepted, intercepted with timers inside
    (the components as they run in a real call, caches and all), and a Stubber
    call on a clean client. Returns (us per whole call, us per component)."""
    rs = intercept()
    seeder = FastSeeder(rs.backend)
    stubbed = make_client(clean_session())
    stubber = Stubber(stubbed)
    stubber.activate()
    answer = {"Snapshot": {**seeder.record("stub-0000001"), "Status": "deleted"}}
    counter = iter(range(10**9))
    kinds = ("intercept()", "intercept() with timers", "Stubber (clean client)")
    samples: Dict[str, List[float]] = {kind: [] for kind in kinds}
    component_ns: Dict[str, int] = {}
    component_calls = 0
    for round_no in range(rounds + 1):
        for kind in kinds:
            ids = [f"situ-{next(counter):09d}" for _ in range(loops)]
            if kind.startswith("Stubber"):
                for _ in ids:
                    stubber.add_response("delete_cluster_snapshot", dict(answer))
                delete = stubbed.delete_cluster_snapshot
            else:
                seeder.seed(ids)
                delete = client.delete_cluster_snapshot
                rs.start()
            timers = CallTimers()
            if kind.endswith("timers"):
                for owner, attribute, name in IN_SITU:
                    timers.wrap(owner, attribute, name)
            try:
                us = _timed_deletes(delete, ids, rs)
            finally:
                timers.restore()
            if round_no:
                samples[kind].append(us)
                if kind.endswith("timers"):
                    component_calls += loops
                    for name, ns in timers.ns.items():
                        component_ns[name] = component_ns.get(name, 0) + ns
    whole = {kind: statistics.median(s) for kind, s in samples.items()}
    parts = {name: ns / component_calls / 1000.0 for name, ns in component_ns.items()}
    return whole, parts


# What in_situ times inside real calls, in the order a call runs them:
# (owner, attribute, name). Names _hooks uses from _wire and _dispatch are
# wrapped in _hooks, where _answer and _attempt look them up.
IN_SITU: List[Tuple[Any, str, str]] = [
    (hooks, "_before_call", "our before-call handler, all of it"),
    (hooks, "decode_params", "decode_params"),
    (hooks, "Caller", "Caller(account_id, region)"),
    (hooks, "new_request_id", "new_request_id (uuid4)"),
    (Service, "answer", "Service.answer: fault check, Scope, rule"),
    (OPERATIONS, OPERATION, "  of which: the rule (Scope excluded)"),
    (hooks, "render_success", "render_success (XML)"),
    (hooks, "http_response", "http_response (headers, AWSResponse)"),
    (hooks, "parser_input", "parser_input (the response dict)"),
    (botocore.parsers.QueryParser, "parse", "  of which: botocore parser.parse"),
    (hooks, "Call", "Call(...) record"),
    (Service, "record", "Service.record (rs.calls)"),
]


def respond(model: Any, status: int, body: bytes, request_id: str, parser: Any, url: str) -> tuple:
    """What ``_hooks._answer_steps`` does with a rendered body for a sync
    client: the HTTP response botocore's endpoint would build, and its parse."""
    http = wire.http_response(url, status, request_id, body)
    parsed = parser.parse(wire.parser_input(model, http, body), model.output_shape)
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    return http, parsed


def ladder(client: Any, rounds: int, loops: int) -> List[Tuple[str, float]]:
    """An ablation ladder, each rung a before-call handler on a clean client
    that does one step more of what our handler does, ending with the real
    ``intercept()``. Rungs run interleaved; the difference between two rungs is
    what that step costs inside a real call (caches as cold as they really are).
    """
    rs = intercept()
    seeder = FastSeeder(rs.backend)
    cap = capture_call(client, rs, seeder)
    model, origin = cap["model"], cap["origin"]
    record = seeder.record("ladder-0000000")
    result = {"Snapshot": {**record, "Status": "deleted"}}
    request_id = wire.new_request_id()
    body = wire.render_success(model, result, request_id)
    http, parsed = respond(model, 200, body, request_id, origin.parser("query"), CLOSED_ENDPOINT)
    response_dict = {"headers": http.headers, "status_code": 200, "body": body,
                     "context": {"operation_name": OPERATION}}
    output_shape = model.output_shape

    def rung0(**_: Any) -> Any:  # canned answer: botocore's pipeline alone (a Stubber without its queue)
        return http, parsed

    def rung1(**_: Any) -> Any:  # + botocore's parser on pre-rendered XML: the floor, in situ
        return http, origin.parser_factory().create_parser("query").parse(response_dict, output_shape)

    def rung2(**_: Any) -> Any:  # + render the XML on every call
        xml = wire.render_success(model, result, request_id)
        return http, origin.parser_factory().create_parser("query").parse(
            {"headers": http.headers, "status_code": 200, "body": xml,
             "context": {"operation_name": OPERATION}}, output_shape)

    def rung3(**_: Any) -> Any:  # + fresh request id, headers, Date, AWSResponse: respond()
        rid = wire.new_request_id()
        return respond(model, 200, wire.render_success(model, result, rid), rid,
                       origin.parser("query"), CLOSED_ENDPOINT)

    backend = MemoryBackend()
    # A service of its own for this rung: its own backend.
    rung_service = Service(backend)

    def rung4(model: Any, params: dict, context: dict, **_: Any) -> Any:  # + decode, Caller, Service.answer
        decoded = wire.decode_params(model, params)
        caller = Caller(ACCOUNT, context["client_region"])
        rid = wire.new_request_id()
        answer = rung_service.answer(model.name, decoded, caller)
        return respond(model, 200, wire.render_success(model, answer, rid), rid,
                       origin.parser("query"), CLOSED_ENDPOINT)

    rungs: List[Tuple[str, Any]] = [
        ("0 canned answer (botocore pipeline only)", rung0),
        ("1 + parse pre-rendered XML (floor, in situ)", rung1),
        ("2 + render_success per call", rung2),
        ("3 + uuid, headers, Date, AWSResponse (respond)", rung3),
        ("4 + decode_params, Caller, Service.answer (Scope, rule)", rung4),
        ("5 real intercept() (+ route dispatch, stash, Call record)", None),
    ]
    clients = []
    for _, handler in rungs:
        if handler is None:
            clients.append(client)
            continue
        rung_client = make_client(clean_session())
        rung_client.meta.events.register(f"before-call.redshift.{OPERATION}", handler)
        clients.append(rung_client)
    seeder4 = FastSeeder(backend)
    counter = iter(range(10**9))
    samples: List[List[float]] = [[] for _ in rungs]
    for round_no in range(rounds + 1):
        for index, (_, handler) in enumerate(rungs):
            ids = [f"rung-{next(counter):09d}" for _ in range(loops)]
            if index == 4:
                seeder4.seed(ids)
            elif handler is None:
                seeder.seed(ids)
                rs.start()
            delete = clients[index].delete_cluster_snapshot
            us = _timed_deletes(delete, ids, rs)
            if round_no:
                samples[index].append(us)
    return [(name, statistics.median(s)) for (name, _), s in zip(rungs, samples, strict=True)]


def profile_tree(client: Any, tool: str, calls: int) -> None:
    rs = intercept()
    seeder = FastSeeder(rs.backend)
    ids = [f"tree-{i:07d}" for i in range(calls)]
    seeder.seed(ids)
    delete = client.delete_cluster_snapshot
    with rs:
        if tool == "pyinstrument":
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
            for snapshot_id in ids:
                delete(SnapshotIdentifier=snapshot_id)
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        else:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            for snapshot_id in ids:
                delete(SnapshotIdentifier=snapshot_id)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--loops", type=int, default=200)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args(argv)
    isolate_environment()
    client = make_client()
    rungs = ladder(client, args.rounds, args.loops)
    print(f"ablation ladder, median of {args.rounds} interleaved rounds x {args.loops} calls")
    previous = None
    for name, us in rungs:
        step = "" if previous is None else f"{us - previous:+8.1f}"
        print(f"  {name:58} {us:8.1f} us/call {step}")
        previous = us
    print(f"  {'=> our whole cost in a call (rung 5 - rung 1)':58} {rungs[-1][1] - rungs[1][1]:8.1f} us/call")
    print("  (a step smaller than the run-to-run noise can come out negative: read the steps as a")
    print("  ranking and rung 5 - rung 1 as the total)")
    print()
    whole, parts = in_situ(client, args.rounds, args.loops)
    print(f"whole calls, delete_cluster_snapshot, median of {args.rounds} rounds x {args.loops}")
    for name, us in whole.items():
        print(f"  {name:58} {us:8.1f} us/call")
    print()
    print("inside real intercepted calls (timers wrapped around each step; mean us/call)")
    for name, us in parts.items():
        print(f"  {name:58} {us:8.1f}")
    handler = parts["our before-call handler, all of it"]
    parse = parts["  of which: botocore parser.parse"]
    print(f"  {'=> our handler without the parse':58} {handler - parse:8.1f}")
    print(f"  {'=> botocore outside our handler (timed call - handler)':58} "
          f"{whole['intercept() with timers'] - handler:8.1f}")
    print()
    rows = components(client, args.rounds, args.loops)
    print("each step alone, in a tight loop (median us/call)")
    print(f"{'who':9}{'component':66}{'us/call':>9}")
    for who, name, us in rows:
        print(f"{who:9}{name:66}{'n/a' if math.isnan(us) else f'{us:.2f}':>9}")
    ours = [us for who, name, us in rows if who == "ours" and not name.startswith("  ")]
    missing = " (n/a steps left out)" if any(math.isnan(us) for us in ours) else ""
    total = sum(us for us in ours if not math.isnan(us))
    print(f"{'ours':9}{'SUM of our components (no parse)' + missing:66}{total:9.2f}")
    if args.pyinstrument:
        profile_tree(client, "pyinstrument", args.loops * 5)
    if args.cprofile:
        profile_tree(client, "cprofile", args.loops * 5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
