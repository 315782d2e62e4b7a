"""Real clients for the endpoint's tests, installed by the test setup and cached.

The AWS SDK for JavaScript v3 (``npm ci`` of ``tests/clients/package-lock.json``)
and the AWS CLI v1 (``pip install`` of ``tests/clients/awscli-requirements.txt``
into a virtual environment of its own, since the CLI pins its own botocore)
are installed once per lock file into a cache folder that survives CI runs on
one machine: ``$REDSHIFT_INTERCEPT_TEST_CACHE``, else
``~/.cache/redshift-intercept-tests``. A file lock makes concurrent test
processes install once.

A tool that is missing or cannot be installed skips its test, unless
``REDSHIFT_INTERCEPT_REQUIRE_CLIENTS=1`` (which ``.ci/run`` sets): then the
test fails, so that CI never passes without the real clients.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
from typing import Callable, Iterator, NoReturn

import pytest

CLIENTS = pathlib.Path(__file__).resolve().parent / "clients"
REQUIRE = "REDSHIFT_INTERCEPT_REQUIRE_CLIENTS"


def cache_root() -> pathlib.Path:
    root = os.environ.get("REDSHIFT_INTERCEPT_TEST_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "redshift-intercept-tests")
    path = pathlib.Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE):
        pytest.fail(f"{reason} ({REQUIRE} is set, so the real-client tests must run)", pytrace=False)
    pytest.skip(reason)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        unavailable(f"{tool} is not on PATH")
    return path


def _digest(*files: pathlib.Path) -> str:
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: pathlib.Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(name: str, build: Callable[[pathlib.Path], None]) -> pathlib.Path:
    """``cache/name``, built by ``build(folder)`` in place (a virtual
    environment cannot be moved) unless a finished build is there."""
    root = cache_root()
    target = root / name
    done = target / ".redshift-intercept-installed"
    if done.exists():
        return target
    with _locked(root / f"{name}.lock"):
        if done.exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        try:
            build(target)
        except (OSError, subprocess.SubprocessError) as error:
            shutil.rmtree(target, ignore_errors=True)
            unavailable(f"could not install {name}: {error}")
        done.touch()
    return target


def _run(args: list[str], cwd: pathlib.Path) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise subprocess.SubprocessError(f"{' '.join(args)} exited {done.returncode}: "
                                         f"{(done.stderr or done.stdout)[-2000:]}")


def js_clients() -> pathlib.Path:
    """A folder with ``node_modules/@aws-sdk/client-redshift`` and this
    suite's scripts beside it (ES modules resolve packages from their own folder)."""
    need("node")
    npm = need("npm")
    files = (CLIENTS / "package.json", CLIENTS / "package-lock.json")

    def build(folder: pathlib.Path) -> None:
        for file in files:
            shutil.copy(file, folder)
        _run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], folder)

    folder = _install(f"js-{_digest(*files)}", build)
    for script in CLIENTS.glob("*.mjs"):
        shutil.copy(script, folder)
    return folder


def aws_cli() -> pathlib.Path:
    """The ``aws`` program of the AWS CLI v1, in a virtual environment of its own."""
    requirements = CLIENTS / "awscli-requirements.txt"

    # One interpreter for every suite (CI runs three Pythons): the CLI is the same program on any.
    python = shutil.which("python3") or sys.executable

    def build(folder: pathlib.Path) -> None:
        _run([python, "-m", "venv", str(folder)], folder)
        _run([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              "-r", str(requirements)], folder)

    folder = _install(f"awscli-{_digest(requirements)}", build)
    return folder / "bin" / "aws"
