"""``redshift-intercept serve``: the fake Redshift as an HTTP endpoint.

    redshift-intercept serve [--host 127.0.0.1] [--port 0] [--backend memory|sqlite:///...|postgresql://...]
                             [--snapshots seed.json] [--clusters clusters.json] [--account A] [--region R]
                             [--identities F [--strict-identities]] [--verify-signatures] [--max-body BYTES]
                             [--no-journal] [--out state.json]

The first line on stdout is the URL it listens on (``--port 0`` picks a free
port), for scripts to read; what it has to say after that goes to stderr.
SIGINT and SIGTERM stop it after the requests in flight, then ``--out``
gets the final state and it exits 0. Bad input is one line on stderr and
exit 2, before it listens.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any, Dict, Optional

from ._cli import UsageError, _load_json, final_state, seed_files
from ._files import to_json_text, write_atomically


def load_secrets(path: str) -> Dict[str, str]:
    """The secret keys of an identities file: ``{access key id: {"secret_access_key": ...,
    (other fields of the IAM identities file)}}``."""
    data = _load_json(path, "identities")
    if not isinstance(data, dict) or not data:
        raise UsageError(f"identities file {path!r} must hold an object mapping access key ids to "
                         '{"secret_access_key": ...}')
    secrets: Dict[str, str] = {}
    for key, entry in data.items():
        secret = entry.get("secret_access_key") if isinstance(entry, dict) else None
        if not isinstance(secret, str) or not secret:
            raise UsageError(f"identities file {path!r}: {key!r} has no secret_access_key (a non-empty string), "
                             "which --verify-signatures needs")
        secrets[key] = secret
    return secrets


def serve_command(args: argparse.Namespace) -> int:
    from ._backend import resolve_backend
    from ._intercept import intercept
    from ._records import check_account_id, check_region
    from ._sqlite import BackendError

    try:
        region = check_region(args.region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1", "--region")
        account = check_account_id(args.account, "--account")
    except (TypeError, ValueError) as error:
        raise UsageError(str(error)) from None
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535, got {args.port}")
    if args.max_body is not None and args.max_body < 1:
        raise UsageError(f"--max-body must be at least 1 byte, got {args.max_body}")
    secrets: Optional[Dict[str, str]] = None
    if args.verify_signatures:
        if not args.identities:
            raise UsageError("--verify-signatures needs --identities FILE, which gives each access key's "
                             "secret_access_key")
        secrets = load_secrets(args.identities)
    identities = None
    if args.identities:  # read and checked now, so that a bad file fails before serving
        from ._identities import identities_from_json

        identities = _load_json(args.identities, "identities")
        try:
            identities_from_json(identities, f"identities file {args.identities!r}")
        except ValueError as error:
            raise UsageError(str(error)) from None
    try:
        from ._server import _uvicorn

        _uvicorn()
    except ImportError as error:
        raise UsageError(str(error)) from None
    try:
        backend = resolve_backend(args.backend)
    except (TypeError, ValueError, ImportError, BackendError) as error:
        raise UsageError(f"--backend: {error}") from None
    try:
        try:
            rs = intercept(backend=backend, account_id=account, region=region, journal=args.journal,
                           strict_identities=args.strict_identities)
        except TypeError as error:
            raise UsageError(f"--backend: {error}; or serve with --no-journal") from None
        seed_files(rs, args.snapshots, args.clusters)
        if identities is not None:  # each call is made by the identity its access key names
            rs.load_identities(identities)
        return _serve(rs, args, secrets)
    except BackendError as error:
        raise UsageError(str(error)) from None
    finally:
        close = getattr(backend, "close", None)
        if close is not None:
            close()


def _serve(rs: Any, args: argparse.Namespace, secrets: Optional[Dict[str, str]]) -> int:
    from ._http import MAX_BODY, QueryDoor
    from ._server import bind, run_forever, url_of

    try:
        sock = bind(args.host, args.port)
    except (OSError, OverflowError) as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {getattr(error, 'strerror', None) or error}"
                         ) from None
    url = url_of(sock)
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    sys.stderr.write(f"redshift-intercept: serving Redshift at {url} (backend {args.backend}, account "
                     f"{rs.account_id}, region {rs.region}{', signatures verified' if secrets else ''}); "
                     "stop with Ctrl-C or SIGTERM\n")
    sys.stderr.flush()
    door = QueryDoor(rs._service, rs.account_id, rs.region, secrets=secrets, record_calls=False)
    stopped_by = run_forever(door, sock, args.max_body or MAX_BODY)
    how = f" by {signal.Signals(stopped_by).name}" if stopped_by is not None else ""
    written = ""
    if args.out:
        write_atomically(args.out, to_json_text(final_state(rs)))
        written = f"; final state written to {args.out}"
    sys.stderr.write(f"redshift-intercept: stopped{how} after {door.requests} request(s){written}\n")
    return 0
