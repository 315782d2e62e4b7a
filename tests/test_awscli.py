"""The AWS CLI v1 under ``redshift-intercept run``: it runs exactly as it
does without the runner, with its own bundled botocore, whatever botocore
is installed beside it (CI runs this with the oldest and the newest).

Needs ``awscli>=1.46`` (the releases that bundle botocore) installed next
to the Python running the tests. Skipped without it, unless
``REDSHIFT_INTERCEPT_AWSCLI=1`` says this run is the AWS CLI run: then its
absence is an error.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
AWS = pathlib.Path(sys.executable).with_name("aws")
_spec = importlib.util.find_spec("awscli")
BUNDLED = None if _spec is None or _spec.origin is None else pathlib.Path(_spec.origin).parent / "botocore"

if not AWS.exists() or BUNDLED is None or not BUNDLED.is_dir():
    reason = "the AWS CLI v1 with its own botocore (pip install 'awscli>=1.46') is not installed beside this Python"
    if os.environ.get("REDSHIFT_INTERCEPT_AWSCLI") == "1":
        raise RuntimeError(f"REDSHIFT_INTERCEPT_AWSCLI=1 but {reason}")
    pytest.skip(reason, allow_module_level=True)


def run(*args: str, runner: bool = True) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["PATH"] = os.pathsep.join([str(AWS.parent), env.get("PATH", "")])
    if not runner:  # what the runner sets, so that both runs see the same environment
        env.update(AWS_ACCESS_KEY_ID="redshift-intercept", AWS_SECRET_ACCESS_KEY="redshift-intercept",
                   AWS_DEFAULT_REGION="us-east-1")
    command = [sys.executable, "-m", "redshift_intercept", "run", *args] if runner else list(args)
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


def bundled_botocore_version() -> str:
    text = (BUNDLED / "__init__.py").read_text(encoding="utf-8")
    return re.search(r"__version__ = '([^']+)'", text).group(1)


def test_aws_version_is_the_same_under_the_runner_and_names_the_bundled_botocore(tmp_path):
    report = tmp_path / "report.txt"
    direct = run(str(AWS), "--version", runner=False)
    under = run("--report-file", str(report), "--", "aws", "--version")
    assert (under.returncode, under.stdout, under.stderr) == (direct.returncode, direct.stdout, direct.stderr)
    assert direct.returncode == 0
    assert f" botocore/{bundled_botocore_version()}" in direct.stdout + direct.stderr


def test_exit_codes_and_errors_are_the_aws_clis_own(tmp_path):
    report = tmp_path / "report.txt"
    usage = ["redshift", "delete-cluster-snapshot"]  # the required --snapshot-identifier is missing
    direct = run(str(AWS), *usage, runner=False)
    under = run("--report-file", str(report), "--", "aws", *usage)
    assert direct.returncode != 0 and "the following arguments are required" in direct.stderr
    assert under.returncode == direct.returncode
    assert under.stderr == direct.stderr + f"redshift-intercept: the program exited with code {direct.returncode}\n"

    refused = run("--snapshots", "examples/seed.json", "--report-file", str(report), "--",
                  "aws", "redshift", "delete-cluster-snapshot", "--snapshot-identifier", "prod-shared-with-bi")
    assert refused.returncode == 255  # the CLI v1's exit status for a service error
    assert refused.stderr.startswith(
        "\nAn error occurred (InvalidClusterSnapshotState) when calling the DeleteClusterSnapshot operation: "
        "Cannot delete the snapshot prod-shared-with-bi because other accounts still have access to it.")


def test_the_readme_recipe_prints_what_the_readme_shows():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```console\n(\$ redshift-intercept run .*? aws redshift .*?)```", text, re.S).group(1)
    command_lines, _, expected = block.partition("\n\n")  # a blank line ends the command
    command = shlex.split(command_lines.removeprefix("$ ").replace("\\\n", " "))
    assert command[:2] == ["redshift-intercept", "run"]
    result = run(*command[2:])
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == expected
