"""The command line's input and output files: checked before the program
runs, written through to devices, and the report never lost."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from redshift_intercept._cli import OUTPUT_FAILED
from redshift_intercept._files import _written_through

from .test_cli import cli, program
from .test_files import dev_null_or_skip

posix_only = pytest.mark.skipif(os.name != "posix", reason="devices and /dev/stdout are POSIX")


@pytest.fixture
def seed(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"Snapshots": [{"SnapshotIdentifier": "old", "ClusterIdentifier": "prod"}]}))
    return path


def leftovers(directory) -> list:
    return sorted(name for name in os.listdir(directory) if "partial" in name)


@posix_only
def test_out_and_report_file_dev_null_write_through(tmp_path, seed):
    assert _written_through("/dev/null")  # so that a regression cannot replace /dev/null when run as root
    before = dev_null_or_skip()
    code = program(tmp_path, """
        import boto3
        boto3.client("redshift").delete_cluster_snapshot(SnapshotIdentifier="old")
        print("deleted")
    """)
    result = cli("run", "--snapshots", seed, "--out", "/dev/null", "--report-file", "/dev/null",
                 "--", sys.executable, code)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "deleted\n" and result.stderr == ""
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


@posix_only
def test_report_file_dev_stdout_follows_the_programs_output(tmp_path, seed):
    result = cli("run", "--snapshots", seed, "--report", "json", "--report-file", "/dev/stdout",
                 "--", sys.executable, "-c", "print('from the program')")

    assert result.returncode == 0, result.stderr
    first, _, rest = result.stdout.partition("\n")
    assert first == "from the program"
    assert json.loads(rest)["summary"]["untouched"] == ["old"]


@pytest.mark.parametrize(("target", "reason"), [
    (lambda tmp: tmp / "a-directory", "Is a directory"),
    (lambda tmp: tmp / "missing" / "state.json", "No such file or directory"),
])
@pytest.mark.parametrize("option", ["--out", "--report-file"])
def test_an_unwritable_target_is_refused_before_the_program_runs(tmp_path, seed, option, target, reason):
    (tmp_path / "a-directory").mkdir()
    path = target(tmp_path)
    ran = tmp_path / "ran"

    result = cli("run", "--snapshots", seed, option, path, "--", sys.executable, "-c",
                 f"open({str(ran)!r}, 'w').close()")

    assert result.returncode == 2
    assert result.stderr == f"redshift-intercept: cannot write {option} {str(path)!r}: {reason}\n"
    assert not ran.exists()  # the program never ran
    assert list((tmp_path / "a-directory").iterdir()) == []
    assert leftovers(tmp_path) == []


def test_out_and_report_file_must_differ(tmp_path, seed):
    same = tmp_path / "both.json"
    result = cli("run", "--snapshots", seed, "--out", same, "--report-file", same, "--", sys.executable, "-c", "")
    assert result.returncode == 2
    assert result.stderr == (f"redshift-intercept: --out and --report-file name the same file ({str(same)!r}): "
                             "give each its own\n")


@pytest.mark.parametrize("program_exit", [0, 3])
def test_the_report_survives_a_report_file_that_vanished_while_the_program_ran(tmp_path, seed, program_exit):
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    report, out = outputs / "report.txt", outputs / "state.json"
    code = program(tmp_path, f"""
        import shutil, sys
        import boto3
        boto3.client("redshift").delete_cluster_snapshot(SnapshotIdentifier="old")
        shutil.rmtree({str(outputs)!r})
        sys.exit({program_exit})
    """)

    result = cli("run", "--snapshots", seed, "--out", out, "--report-file", report, "--", sys.executable, code)

    assert result.returncode == (OUTPUT_FAILED if program_exit == 0 else program_exit)
    assert "deleted (1): old" in result.stderr  # the report, on stderr instead
    assert (f"redshift-intercept: cannot write --out {str(out)!r}: No such file or directory; "
            "the final state is not saved\n") in result.stderr
    assert (f"redshift-intercept: cannot write --report-file {str(report)!r}: No such file or directory; "
            "the report is above, on stderr\n") in result.stderr
    assert not outputs.exists()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("seed.json", b'{"Snapshots": [{"SnapshotIdentifier": "caf\xe9"}]}', "is not UTF-8 text"),
    ("seed.json", b'{"Snapshots": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "is nested too deeply"),
    ("seed.json", b'{"Snapshots": [{"SnapshotIdentifier": "a", "Tags": [{"Key": "\\ud800", "Value": ""}]}]}',
     "lone surrogate"),
    ("clusters.json", b'{"Clusters": [{"ClusterIdentifier": "caf\xe9"}]}', "is not UTF-8 text"),
])
def test_bad_input_files_are_one_line_errors_and_nothing_runs(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    option = "--snapshots" if name == "seed.json" else "--clusters"
    ran = tmp_path / "ran"

    result = cli("run", option, path, "--", sys.executable, "-c", f"open({str(ran)!r}, 'w').close()")

    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("redshift-intercept: ") and result.stderr.count("\n") == 1
    assert message in result.stderr
    assert len(result.stderr) < 1000
    assert not ran.exists()


def test_the_table_report_escapes_what_a_terminal_should_not_print(tmp_path, seed):
    code = program(tmp_path, """
        import boto3
        client = boto3.client("redshift")
        for name in ("a\\x1b[2Jb", "rtl\\u202eevil"):
            try:
                client.delete_cluster_snapshot(SnapshotIdentifier=name)
            except client.exceptions.ClientError as error:
                print(error.response["Error"]["Code"])
    """)
    result = cli("run", "--snapshots", seed, "--", sys.executable, code)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "InvalidParameterValue\nClusterSnapshotNotFound\n"
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "SnapshotIdentifier=a\\x1b[2Jb" in result.stderr
    assert "SnapshotIdentifier=rtl\\u202eevil" in result.stderr
