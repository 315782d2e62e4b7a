"""``redshift-intercept``: run any Python program against the fake and report
what it did.

    redshift-intercept run --snapshots seed.json [--clusters clusters.json]
                           [--region R] [--account A] [--report table|json]
                           [--now 2027-01-01T00:00:00Z | --after 30d]
                           [--identities identities.json [--as NAME] [--strict-identities]]
                           [--policy-out policy.json]
                           [--out state.json] -- python cleanup.py --days 30
    redshift-intercept seed --example > seed.json
    redshift-intercept serve [--port 0] [--backend sqlite:///state.db] [--snapshots seed.json] ...

``serve`` (``_serve_command``) answers Redshift over HTTP for any SDK. ``run``'s
program runs as a child process, intercepted from its first line on a
temporary SQLite backend shared with this process (``_startup`` is what runs
in the child). The program's exit code is passed through; its output is its
own, the report goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from typing import Any, Dict, List, Optional, Sequence

from ._arns import parse_arn
from ._files import check_writable, json_default, read_json, to_json_text, write_atomically
from ._startup import (
    ENV_ACCOUNT,
    ENV_CLOCK,
    ENV_IDENTITIES,
    ENV_REGION,
    ENV_STATE,
    ENV_STRICT,
    SITECUSTOMIZE,
    shift_clock,
)


class UsageError(Exception):
    """A problem with the command line or its input files: one line, exit 2."""


OUTPUT_FAILED = 74
"""Exit status (``EX_IOERR``) when the program succeeded but ``--out`` or
``--report-file`` could not be written after it ran."""


# ---------------------------------------------------------------- parent side


def _load_json(path: str, what: str) -> Any:
    try:
        return read_json(path, f"{what} file")
    except (OSError, ValueError) as error:
        raise UsageError(str(error)) from None


class _State:
    """The shared state as the command seeds and reads it: the service core
    over ``backend``, seen by one account in one region, with the methods of
    ``intercept()`` that ``seed_files`` and ``final_state`` use. Not an
    interceptor: its botocore front door (botocore's session and client
    machinery) would cost the program's run, and the command makes no call."""

    def __init__(self, backend: Any, account: str, region: str) -> None:
        from ._dispatch import Caller, Service

        self.backend = backend
        self._service = Service(backend)
        self._caller = Caller(account, region)

    @property
    def clock(self) -> Any:
        return self._service.clock

    def catch_up(self) -> None:
        """Do what the service would have done on its own until ``clock``'s now."""
        self._service.catch_up(self._caller)

    def add_cluster(self, **fields: Any) -> Dict[str, Any]:
        from ._seeding import add_cluster

        return add_cluster(self._service, self._caller, fields)

    def load_snapshots(self, source: Any) -> List[Dict[str, Any]]:
        from ._seeding import load_snapshots

        return load_snapshots(self._service, self._caller, source)

    def snapshots(self) -> List[Dict[str, Any]]:
        from ._seeding import snapshots

        return snapshots(self._service, self._caller)

    def dump_snapshots(self, target: Any = None) -> Dict[str, Any]:
        from ._seeding import dump_snapshots

        return dump_snapshots(self._service, self._caller, target)

    def clusters(self) -> List[Dict[str, Any]]:
        from ._seeding import clusters

        return clusters(self._service, self._caller)

    def events(self) -> List[Dict[str, Any]]:
        from ._seeding import events

        return events(self._service, self._caller)


def _seed(state_path: str, snapshots_path: Optional[str], clusters_path: Optional[str], account: str,
          region: str) -> List[Dict[str, Any]]:
    """Seed the state every process of the run shares (``seed_files``).
    Returns the snapshots stored."""
    from ._sqlite import SqliteBackend

    if not snapshots_path and not clusters_path:
        with SqliteBackend(state_path):  # the state every process opens; nothing to seed, no botocore
            return []
    with SqliteBackend(state_path) as backend:
        seed_files(_State(backend, account, region), snapshots_path, clusters_path)
        return backend.list(None, region)


def seed_files(rs: Any, snapshots_path: Optional[str], clusters_path: Optional[str]) -> None:
    """Seed an interceptor from a clusters file, then a snapshots file (so
    that snapshots of a seeded cluster can agree with it); ``UsageError``
    naming the file and the record for bad input. A snapshots file that also
    holds ``Clusters`` (what ``--out`` and ``seed --example`` write) seeds
    those too, unless a clusters file is given."""
    snapshots = _load_json(snapshots_path, "snapshots") if snapshots_path else None
    clusters = _load_json(clusters_path, "clusters") if clusters_path else None
    if clusters is None and isinstance(snapshots, dict) and "Clusters" in snapshots:
        clusters, clusters_path = snapshots, snapshots_path
    if clusters is not None and (not isinstance(clusters, dict) or not isinstance(clusters.get("Clusters"), list)):
        raise UsageError(f'clusters file {clusters_path!r} must hold {{"Clusters": [...]}}, the shape '
                         "describe_clusters returns")
    for index, fields in enumerate(clusters["Clusters"] if clusters is not None else ()):
        try:
            if not isinstance(fields, dict):
                raise TypeError(f"must be an object, got {type(fields).__name__}")
            rs.add_cluster(**fields)
        except (TypeError, ValueError) as error:
            raise UsageError(f"clusters file {clusters_path!r}: Clusters[{index}]: {error}") from None
    if snapshots is not None:
        try:
            rs.load_snapshots(snapshots)
        except (TypeError, ValueError) as error:
            raise UsageError(f"snapshots file {snapshots_path!r}: {error}") from None


def final_state(rs: Any) -> Dict[str, Any]:
    """The state as ``--out`` writes it: ``{"Snapshots": [...], "Clusters": [...]}``
    in ``describe_cluster_snapshots`` and ``describe_clusters`` shape (after the
    service has caught up with its clock), which ``--snapshots`` seeds back."""
    clusters = json.loads(json.dumps(rs.clusters(), default=json_default))
    return {**rs.dump_snapshots(), "Clusters": clusters}


def _identities(path: Optional[str], chosen: Optional[str]) -> tuple[Optional[Any], Dict[str, str]]:
    """The identities file (checked) and the environment that makes the
    program the identity ``--as`` names: its access key and secret."""
    from ._identities import Identities, identities_from_json

    if path is None:
        if chosen is not None:
            raise UsageError("--as needs --identities: the file that says who NAME is")
        return None, {}
    data = _load_json(path, "identities")
    try:
        loaded = identities_from_json(data, f"identities file {path!r}")
    except ValueError as error:
        raise UsageError(str(error)) from None
    if chosen is None:
        return data, {}
    registry = Identities()
    secrets = {}
    for identity, secret in loaded:
        registry.add(identity)
        secrets[identity.access_key_id] = secret
    try:
        identity = registry.find(chosen)
    except LookupError as error:
        raise UsageError(f"--as: {error}") from None
    return data, {"AWS_ACCESS_KEY_ID": identity.access_key_id,
                  "AWS_SECRET_ACCESS_KEY": secrets[identity.access_key_id] or "redshift-intercept"}


def _write_policy(path: str, calls: List[Dict[str, Any]]) -> None:
    from ._calls import call_from_entry
    from ._least_privilege import required_policy

    try:
        policy = required_policy(call_from_entry(entry) for entry in calls)
    except ValueError:
        sys.stderr.write(f"redshift-intercept: no Redshift call was answered, so no policy is needed; "
                         f"{path} was not written\n")
        return
    text = json.dumps(policy, indent=2) + "\n"
    write_atomically(path, text)
    size = len("".join(text.split()))
    if size > IAM_POLICY_LIMIT:
        sys.stderr.write(f"redshift-intercept: {path} has {size} characters without spaces, more than the "
                         f"{IAM_POLICY_LIMIT} IAM allows in a managed policy; replace exact ARNs by patterns "
                         "(such as snapshot:prod/*) and run again with it to check\n")


IAM_POLICY_LIMIT = 6144
"""IAM's quota on a managed policy's size, in characters without white space."""


class _Progress:
    """``calls answered so far`` on stderr, only when stderr is a terminal."""

    def __init__(self, state_path: str) -> None:
        self._state_path = state_path
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> _Progress:
        if sys.stderr.isatty():
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    def _run(self) -> None:
        from ._sqlite import SqliteBackend

        with SqliteBackend(self._state_path) as backend:
            while not self._stop.wait(0.5):
                try:
                    count = backend.count_calls()
                except Exception:  # the program may hold a write lock; try again next tick
                    continue
                sys.stderr.write(f"\rredshift-intercept: {count} Redshift call(s) answered")
                sys.stderr.flush()


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before anything runs, an ``--out``, ``--report-file`` or
    ``--policy-out`` we could not write after the program ran."""
    for option, target in (("--out", args.out), ("--report-file", args.report_file),
                           ("--policy-out", args.policy_out)):
        if target:
            try:
                check_writable(target)
            except OSError as error:
                raise UsageError(f"cannot write {option} {target!r}: {_reason(error)}") from None
    if (args.out and args.report_file and os.path.realpath(args.out) == os.path.realpath(args.report_file)
            and not os.path.realpath(args.out).startswith(("/dev/", "/proc/"))):
        raise UsageError(f"--out and --report-file name the same file ({args.out!r}): give each its own")


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _shown(text: Any) -> str:
    """``text`` as a report line may show it: control characters, lone
    surrogates and other unprintable ones escaped as Python would write them."""
    text = str(text)
    return text if text.isprintable() else repr(text)[1:-1]


def _identifiers(params: Dict[str, Any]) -> str:
    keys = ("SnapshotIdentifier", "SnapshotArn", "SourceSnapshotIdentifier", "TargetSnapshotIdentifier",
            "ClusterIdentifier", "SnapshotClusterIdentifier", "FinalClusterSnapshotIdentifier", "OwnerAccount",
            "ResourceName", "AccountWithRestoreAccess")
    shown = [f"{k}={params[k]}" for k in keys if k in params]
    if "Identifiers" in params:
        shown.append("Identifiers=" + ",".join(i.get("SnapshotIdentifier", "?") for i in params["Identifiers"]))
    return _shown(" ".join(shown))


def _snapshot_of(params: Dict[str, Any]) -> Optional[str]:
    if "SnapshotIdentifier" in params:
        return params["SnapshotIdentifier"]
    arn = parse_arn(params.get("SnapshotArn") or params.get("ResourceName") or "")
    return None if arn is None else arn.snapshot


_REPORTED_FAILURES = ("DeleteClusterSnapshot", "AuthorizeSnapshotAccess", "RevokeSnapshotAccess",
                      "ModifyClusterSnapshot", "CreateClusterSnapshot", "CopyClusterSnapshot", "CreateCluster",
                      "DeleteCluster", "ModifyCluster", "RestoreFromClusterSnapshot")


def _by_redshift(events: List[Dict[str, Any]], action: str) -> List[str]:
    """The snapshots the service itself did ``action`` to, in order, once each."""
    seen: Dict[str, None] = {}
    for event in events:
        if event.get("By") == "Redshift" and event.get("Action") == action \
                and event.get("SourceType") == "cluster-snapshot":
            seen[event["SourceIdentifier"]] = None
    return list(seen)


def build_report(calls: List[Dict[str, Any]], before: List[Dict[str, Any]],
                 after: List[Dict[str, Any]], events: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    """Every call in order, then what changed: deleted, refused (with the
    reason), created, left untouched, the state changes, and what the
    service did on its own (``events``, as ``rs.events()`` lists them):
    snapshots expired by Redshift, automated snapshots it took, and those
    deleted with their cluster."""
    events = events or []
    expired, taken = _by_redshift(events, "expired"), _by_redshift(events, "taken")
    with_cluster = _by_redshift(events, "deleted with cluster")
    by_service = set(expired) | set(with_cluster)
    key = lambda s: (s["OwnerAccount"], s["SnapshotIdentifier"])  # noqa: E731
    was, now = {key(s): s for s in before}, {key(s): s for s in after}
    summary: Dict[str, List[Any]] = {
        "deleted": sorted(k[1] for k in was if k not in now and k[1] not in by_service),
        "refused": [],
        "created": sorted(k[1] for k in now if k not in was and k[1] not in taken),
        "untouched": [],
        "access_revoked": [], "access_granted": [], "retention_modified": [], "tags_changed": [],
        "expired_by_redshift": expired, "taken_by_redshift": taken, "deleted_with_cluster": with_cluster,
        "clusters_created": [], "clusters_restored": [], "clusters_deleted": [], "clusters_modified": [],
    }
    touched = set()
    for call in calls:
        operation, params, failed = call["operation"], call["params"], call.get("error_code")
        snapshot_id = _snapshot_of(params)
        if operation in ("CreateCluster", "DeleteCluster", "ModifyCluster", "RestoreFromClusterSnapshot"):
            snapshot_id = params.get("ClusterIdentifier")  # what the line names
        if failed == "UnhandledOperation":
            summary["refused"].append({"SnapshotIdentifier": snapshot_id, "code": failed,
                                       "reason": f"{operation} is not modelled: refused, not sent to AWS"})
        elif failed and operation in _REPORTED_FAILURES:
            summary["refused"].append({"SnapshotIdentifier": snapshot_id, "operation": operation,
                                       "code": failed, "reason": call.get("error_message", "")})
        for failure in (call.get("response") or {}).get("Errors") or []:
            summary["refused"].append({"SnapshotIdentifier": failure.get("SnapshotIdentifier"),
                                       "operation": operation, "code": failure.get("FailureCode"),
                                       "reason": failure.get("FailureReason", "")})
        if failed:
            continue
        cluster = ((call.get("response") or {}).get("Cluster") or {}).get("ClusterIdentifier")
        if operation == "CreateCluster":
            summary["clusters_created"].append(cluster)
        elif operation == "RestoreFromClusterSnapshot":
            summary["clusters_restored"].append({"ClusterIdentifier": cluster,
                                                 "from": params.get("SnapshotIdentifier") or params.get("SnapshotArn")})
        elif operation == "DeleteCluster":
            summary["clusters_deleted"].append({"ClusterIdentifier": cluster,
                                                "final_snapshot": params.get("FinalClusterSnapshotIdentifier")})
        elif operation == "ModifyCluster":
            summary["clusters_modified"].append({"ClusterIdentifier": cluster, **{
                k: v for k, v in params.items() if k != "ClusterIdentifier"}})
        account = params.get("AccountWithRestoreAccess")
        if operation == "RevokeSnapshotAccess":
            summary["access_revoked"].append({"SnapshotIdentifier": snapshot_id, "account": account})
        elif operation == "AuthorizeSnapshotAccess":
            summary["access_granted"].append({"SnapshotIdentifier": snapshot_id, "account": account})
        elif operation == "ModifyClusterSnapshot" and "ManualSnapshotRetentionPeriod" in params:
            summary["retention_modified"].append({"SnapshotIdentifier": snapshot_id,
                                                  "to": params["ManualSnapshotRetentionPeriod"]})
        elif operation in ("CreateTags", "DeleteTags") and snapshot_id:
            summary["tags_changed"].append({"SnapshotIdentifier": snapshot_id, "operation": operation})
        else:
            continue
        touched.add(snapshot_id)
    summary["untouched"] = sorted(k[1] for k in was if k in now and k[1] not in touched)
    return {
        "calls": [{"operation": c["operation"], "identifiers": _identifiers(c["params"]),
                   "outcome": c.get("error_code") or "ok", "pid": c.get("pid")} for c in calls],
        "summary": summary,
    }


def _format_table(report: Dict[str, Any], exit_code: int) -> str:
    lines = ["", "=" * 26 + " redshift-intercept report " + "=" * 26]
    calls = report["calls"]
    lines.append(f"{len(calls)} Redshift call(s), in order:")
    width = max((len(c["operation"]) for c in calls), default=9)
    for number, call in enumerate(calls, 1):
        lines.append(f"  {number:>4}  {call['operation']:<{width}}  {call['outcome']:<28}  {call['identifiers']}")
    summary = report["summary"]
    lines.append("")
    lines.append(f"deleted ({len(summary['deleted'])}): {', '.join(summary['deleted']) or '-'}")
    lines.append(f"refused ({len(summary['refused'])}):" + ("" if summary["refused"] else " -"))
    lines += [f"  {_shown(r['SnapshotIdentifier'] or '-')}: {r['code']}: {_shown(r['reason'])}"
              for r in summary["refused"]]
    lines.append(f"created ({len(summary['created'])}): {', '.join(summary['created']) or '-'}")
    lines.append(f"left untouched ({len(summary['untouched'])}): {', '.join(summary['untouched']) or '-'}")
    for title, entries in (("access revoked", summary["access_revoked"]),
                           ("access granted", summary["access_granted"])):
        if entries:
            lines.append(f"{title}: " + ", ".join(f"{e['SnapshotIdentifier']} ({e['account']})" for e in entries))
    for entry in summary["retention_modified"]:
        lines.append(f"retention modified: {entry['SnapshotIdentifier']} -> {entry['to']} days")
    for entry in summary["tags_changed"]:
        lines.append(f"tags changed: {entry['SnapshotIdentifier']} ({entry['operation']})")
    expired = summary["expired_by_redshift"]
    lines.append(f"expired by Redshift ({len(expired)}): {', '.join(expired) or '-'}")
    for title, names in (("automated snapshots taken by Redshift", summary["taken_by_redshift"]),
                         ("deleted with their cluster", summary["deleted_with_cluster"])):
        if names:
            lines.append(f"{title} ({len(names)}): {', '.join(names)}")
    if summary["clusters_created"]:
        lines.append(f"clusters created: {', '.join(summary['clusters_created'])}")
    if summary["clusters_restored"]:
        lines.append("clusters restored: " + ", ".join(f"{e['ClusterIdentifier']} (from {e['from']})"
                                                       for e in summary["clusters_restored"]))
    if summary["clusters_deleted"]:
        lines.append("clusters deleted: " + ", ".join(
            e["ClusterIdentifier"] + (f" (final snapshot {e['final_snapshot']})" if e["final_snapshot"] else "")
            for e in summary["clusters_deleted"]))
    for entry in summary["clusters_modified"]:
        changes = ", ".join(f"{k} -> {v}" for k, v in entry.items() if k != "ClusterIdentifier")
        lines.append(f"cluster modified: {entry['ClusterIdentifier']} ({changes})")
    lines.append(f"program exit code: {exit_code}")
    return "\n".join(lines) + "\n"


def _run(args: argparse.Namespace) -> int:
    # Nothing here imports botocore unless a seed file or --out needs it: the
    # runner must cost little more than the program it runs.
    from ._names import check_account_id, check_region
    from ._sqlite import SqliteBackend

    if not args.command:
        raise UsageError("no program given: put it after --, e.g. "
                         "redshift-intercept run --snapshots seed.json -- python cleanup.py")
    try:
        region = check_region(args.region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1", "--region")
        account = check_account_id(args.account, "--account")
    except (TypeError, ValueError) as error:
        raise UsageError(str(error)) from None
    offset = _clock_offset(args.now, args.after)
    program = shutil.which(args.command[0])
    if program is None:
        raise UsageError(f"cannot run {args.command[0]!r}: no such program")
    _check_outputs(args)
    identities, credentials = _identities(args.identities, args.as_identity)

    workdir = tempfile.mkdtemp(prefix="redshift-intercept-")
    try:
        state = os.path.join(workdir, "state.db")
        before = _seed(state, args.snapshots, args.clusters, account, region)
        # Nothing seeded: the state is empty until the program calls, and the
        # service (with botocore's model) is needed only if it does.
        seeded = bool(args.snapshots or args.clusters)
        if seeded:
            with SqliteBackend(state) as backend:  # what the service did on its own until the program starts
                ahead = _State(backend, account, region)
                shift_clock(ahead.clock, offset)
                ahead.catch_up()
        hook = os.path.join(workdir, "hook")
        os.mkdir(hook)
        with open(os.path.join(hook, "sitecustomize.py"), "w", encoding="utf-8") as handle:
            handle.write(SITECUSTOMIZE.format(env=ENV_STATE))
        env = dict(os.environ)
        package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join(
            [hook, package_root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env.update({ENV_STATE: state, ENV_ACCOUNT: account, ENV_REGION: region, ENV_CLOCK: repr(offset),
                    "AWS_DEFAULT_REGION": region})
        # No credentials are needed; dummy ones keep botocore from searching for real ones.
        env.setdefault("AWS_ACCESS_KEY_ID", "redshift-intercept")
        env.setdefault("AWS_SECRET_ACCESS_KEY", "redshift-intercept")
        if identities is not None:
            env[ENV_IDENTITIES] = os.path.join(workdir, "identities.json")
            write_atomically(env[ENV_IDENTITIES], json.dumps(identities))
        if args.strict_identities:
            env[ENV_STRICT] = "1"
        if credentials:  # --as: the program signs as that identity, with no session token of ours
            env.update(credentials)
            env.pop("AWS_SESSION_TOKEN", None)
            env.pop("AWS_SECURITY_TOKEN", None)
        with _Progress(state):
            try:
                exit_code = subprocess.call([program, *args.command[1:]], env=env)
            except OSError as error:
                raise UsageError(f"cannot run {args.command[0]!r}: {error.strerror}") from None
        failures = []
        with SqliteBackend(state) as backend:
            calls = backend.read_calls()
            if seeded or calls:
                final = _State(backend, account, region)
                shift_clock(final.clock, offset)
                final.catch_up()  # the state as the service has it when the program is done
                state_now = final_state(final) if args.out else {}
                after = backend.list(None, region)
                events = final.events()
            else:  # nothing seeded and nothing called: still empty
                state_now, after, events = {"Snapshots": [], "Clusters": []}, [], []
            if args.out:
                try:
                    write_atomically(args.out, to_json_text(state_now))
                except OSError as error:
                    failures.append(f"cannot write --out {args.out!r}: {_reason(error)}; the final state "
                                    "is not saved")
        if args.policy_out:
            try:
                _write_policy(args.policy_out, calls)
            except OSError as error:
                failures.append(f"cannot write --policy-out {args.policy_out!r}: {_reason(error)}; the policy "
                                "is not saved")
        report = build_report(calls, before, after, events)
        if args.report == "json":
            text = json.dumps({**report, "exit_code": exit_code}, indent=2, default=json_default) + "\n"
        else:
            text = _format_table(report, exit_code)
        sys.stdout.flush()
        written = False
        if args.report_file:
            try:
                write_atomically(args.report_file, text, errors="backslashreplace")
                written = True
            except OSError as error:  # never lose the report: it goes to stderr instead
                failures.append(f"cannot write --report-file {args.report_file!r}: {_reason(error)}; "
                                "the report is above, on stderr")
        if not written:
            sys.stderr.write(text)
        for failure in failures:
            sys.stderr.write(f"redshift-intercept: {failure}\n")
        if failures and exit_code == 0:
            return OUTPUT_FAILED
        if exit_code < 0:
            sys.stderr.write(f"redshift-intercept: the program was killed by signal {-exit_code}\n")
            return 128 - exit_code
        if exit_code != 0:
            sys.stderr.write(f"redshift-intercept: the program exited with code {exit_code}\n")
        return exit_code
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _clock_offset(now: Optional[str], after: Optional[str]) -> float:
    """Seconds the run's service time is ahead of real time: ``--now`` (an
    ISO-8601 time) or ``--after`` (a duration such as ``30d``)."""
    if now is not None and after is not None:
        raise UsageError("--now and --after cannot be used together: give the service time, or how far ahead it is")
    if after is not None:
        match = _DURATION.match(after)
        if match is None:
            raise UsageError(f"--after must be a duration such as 30d, 12h, 90m, 45s or 2w; got {after!r}")
        return float(match.group(1)) * _UNITS[match.group(2)]
    if now is not None:
        try:
            when = _dt.datetime.fromisoformat(now.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise UsageError(f"--now must be an ISO-8601 time such as 2027-01-01T00:00:00Z; got {now!r}") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.timezone.utc)
        return (when - _dt.datetime.now(_dt.timezone.utc)).total_seconds()
    return 0.0


def example_seed(now: Optional[_dt.datetime] = None) -> Dict[str, Any]:
    """A realistic state for a retention cleanup to work on: two clusters
    with their retention settings, and their manual and automated snapshots
    (``{"Snapshots": [...], "Clusters": [...]}``)."""
    from ._intercept import intercept

    now = now or _dt.datetime.now(_dt.timezone.utc)
    rs = intercept(account_id="123456789012", region="us-east-1")
    day = _dt.timedelta(days=1)
    rs.add_cluster(ClusterIdentifier="prod", ClusterCreateTime=now - 700 * day, AutomatedSnapshotRetentionPeriod=7,
                   ManualSnapshotRetentionPeriod=-1, Tags={"team": "analytics"})
    rs.add_cluster(ClusterIdentifier="staging", ClusterCreateTime=now - 500 * day, AutomatedSnapshotRetentionPeriod=1,
                   ManualSnapshotRetentionPeriod=14, Tags={"team": "platform"})
    for age in (2, 9, 16, 33, 40, 47, 61, 92):
        rs.add_snapshot(SnapshotIdentifier=f"prod-weekly-{(now - age * day):%Y-%m-%d}", ClusterIdentifier="prod",
                        SnapshotCreateTime=now - age * day, Tags={"schedule": "weekly", "team": "analytics"})
    rs.add_snapshot(SnapshotIdentifier="prod-before-upgrade", ClusterIdentifier="prod",
                    SnapshotCreateTime=now - 120 * day, Tags={"keep": "true", "reason": "rollback point"})
    rs.add_snapshot(SnapshotIdentifier="prod-shared-with-bi", ClusterIdentifier="prod",
                    SnapshotCreateTime=now - 45 * day, AccountsWithRestoreAccess=["111122223333"],
                    Tags={"team": "analytics"})
    rs.add_snapshot(SnapshotIdentifier="prod-pre-migration", ClusterIdentifier="prod",
                    SnapshotCreateTime=now - 20 * day, ManualSnapshotRetentionPeriod=35)  # expires in 15 days
    rs.add_snapshot(SnapshotIdentifier="staging-hotfix", ClusterIdentifier="staging",
                    SnapshotCreateTime=now - 10 * day, ManualSnapshotRetentionPeriod=14)  # in 4 days
    rs.add_snapshot(SnapshotIdentifier="staging-2023-archive", ClusterIdentifier="staging",
                    SnapshotCreateTime=now - 400 * day, ManualSnapshotRetentionPeriod=3653)
    for age in (1, 2):
        taken = (now - age * day).replace(hour=3, minute=0, second=0, microsecond=0)
        rs.add_snapshot(SnapshotIdentifier=f"rs:prod-{taken:%Y-%m-%d-%H-%M-%S}", ClusterIdentifier="prod",
                        SnapshotType="automated", SnapshotCreateTime=taken)
    clusters = json.loads(json.dumps(rs.clusters(), default=json_default))
    return {**rs.dump_snapshots(), "Clusters": clusters}


def _seed_command(args: argparse.Namespace) -> int:
    if not args.example:
        raise UsageError("seed needs --example (the only seed it prints so far)")
    sys.stdout.write(json.dumps(example_seed(), indent=2) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="redshift-intercept",
        description="Run a Python program against a faithful in-process Amazon Redshift and report what it did.")
    commands = parser.add_subparsers(dest="subcommand", required=True)
    run = commands.add_parser("run", help="run a program with Redshift intercepted",
                              description="Run PROGRAM with every Redshift call answered by the fake.")
    run.add_argument("--snapshots", metavar="FILE", help="seed: describe_cluster_snapshots JSON")
    run.add_argument("--clusters", metavar="FILE", help="seed: describe_clusters JSON")
    run.add_argument("--region", help="region of the seeded state (default AWS_DEFAULT_REGION or us-east-1)")
    run.add_argument("--account", default="123456789012", help="account id (default 123456789012)")
    run.add_argument("--report", choices=("table", "json"), default="table", help="report format (on stderr)")
    run.add_argument("--report-file", metavar="FILE", help="write the report to FILE instead of stderr")
    run.add_argument("--now", metavar="TIME", help="run at this service time (ISO-8601, e.g. 2027-01-01T00:00:00Z), "
                     "after everything the service would have done on its own until then")
    run.add_argument("--after", metavar="DURATION", help="run this far ahead of today's service time (30d, 12h, "
                     "90m, 45s, 2w), after everything the service would have done meanwhile")
    run.add_argument("--out", metavar="FILE", help="write the final state: describe_cluster_snapshots and "
                     "describe_clusters JSON in one file")
    run.add_argument("--identities", metavar="FILE",
                     help="identities JSON: access key id -> arn, policies (and account_id, name, secret_access_key)")
    run.add_argument("--as", dest="as_identity", metavar="NAME",
                     help="run the program with the credentials of this identity (its name or access key id)")
    run.add_argument("--strict-identities", action="store_true",
                     help="refuse calls whose access key names no identity (InvalidClientTokenId)")
    run.add_argument("--policy-out", metavar="FILE",
                     help="write the smallest IAM policy that allows every call the program made")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- then the program and its arguments")
    serve = commands.add_parser(
        "serve", help="answer Redshift over HTTP, for any SDK",
        description="Serve the fake Redshift as an HTTP endpoint (the query protocol) for any SDK, the AWS CLI or "
                    "curl. The first line on stdout is the URL; SIGINT or SIGTERM stops it after in-flight requests.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 in a "
                                                           "container)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: a free one, printed)")
    serve.add_argument("--backend", default="memory",
                       help="memory (default), sqlite:///path/to/file.db or postgresql://...; several serve "
                            "processes on one file or database are one service")
    serve.add_argument("--snapshots", metavar="FILE", help="seed: describe_cluster_snapshots JSON")
    serve.add_argument("--clusters", metavar="FILE", help="seed: describe_clusters JSON")
    serve.add_argument("--region", help="region of the seeded state and of the state page (default "
                                        "AWS_DEFAULT_REGION or us-east-1); each call uses its signature's region")
    serve.add_argument("--account", default="123456789012", help="account id of every caller (default "
                                                                 "123456789012)")
    serve.add_argument("--identities", metavar="FILE",
                       help="identities JSON: access key id -> arn, policies (and account_id, name, "
                            "secret_access_key): who calls with each key; the keys --verify-signatures accepts")
    serve.add_argument("--strict-identities", action="store_true",
                       help="refuse calls whose access key names no identity (InvalidClientTokenId)")
    serve.add_argument("--verify-signatures", action="store_true",
                       help="check every request's SigV4 signature with the --identities secret keys")
    serve.add_argument("--max-body", type=int, default=None, metavar="BYTES",
                       help="largest request body accepted (default 1 MiB)")
    serve.add_argument("--no-journal", dest="journal", action="store_false",
                       help="do not record calls in the backend's call journal")
    serve.add_argument("--out", metavar="FILE", help="on shutdown, write the final state: "
                                                     "describe_cluster_snapshots and describe_clusters JSON in "
                                                     "one file")
    seed = commands.add_parser("seed", help="print a seed file")
    seed.add_argument("--example", action="store_true", help="a realistic example state")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "command", None) and args.command[0] == "--":
        args.command = args.command[1:]
    try:
        if args.subcommand == "run":
            return _run(args)
        if args.subcommand == "serve":
            from ._serve_command import serve_command

            return serve_command(args)
        return _seed_command(args)
    except UsageError as error:
        sys.stderr.write(f"redshift-intercept: {error}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
