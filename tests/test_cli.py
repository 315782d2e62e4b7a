"""The command line: run an unmodified program against the fake and report."""

from __future__ import annotations

import io
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from redshift_intercept import SqliteBackend, intercept
from redshift_intercept._cli import _Progress, example_seed

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def cli(*args: str, cwd=None, **extra_env: str) -> subprocess.CompletedProcess:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **extra_env}
    return subprocess.run([sys.executable, "-m", "redshift_intercept", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def program(tmp_path, code: str) -> str:
    path = tmp_path / "program.py"
    path.write_text(textwrap.dedent(code))
    return str(path)


@pytest.fixture
def seed(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"Snapshots": [
        {"SnapshotIdentifier": "old", "ClusterIdentifier": "prod", "SnapshotCreateTime": "2020-01-01T00:00:00Z"},
        {"SnapshotIdentifier": "shared", "ClusterIdentifier": "prod", "SnapshotCreateTime": "2020-01-01T00:00:00Z",
         "AccountsWithRestoreAccess": [{"AccountId": "111122223333"}]},
        {"SnapshotIdentifier": "new", "ClusterIdentifier": "prod"},
    ]}))
    return path


def test_the_readme_command_on_the_shipped_example(tmp_path):
    out = tmp_path / "state.json"
    result = cli("run", "--snapshots", EXAMPLES / "seed.json", "--out", out, "--",
                 sys.executable, EXAMPLES / "retention_cleanup.py", "--days", "30", "--poll-seconds", "0")
    assert result.returncode == 0, result.stderr
    assert "snapshot(s) older than 30 days" in result.stdout  # the program's own output, on stdout
    assert "redshift-intercept report" not in result.stdout
    assert "redshift-intercept report" in result.stderr
    assert "deleted (" in result.stderr and "left untouched (" in result.stderr
    assert "access revoked: prod-shared-with-bi (111122223333)" in result.stderr
    remaining = {s["SnapshotIdentifier"] for s in json.loads(out.read_text())["Snapshots"]}
    assert "prod-before-upgrade" in remaining  # tagged keep=true
    assert "prod-shared-with-bi" not in remaining
    assert {s for s in remaining if s.startswith("rs:")}  # automated snapshots stay


def test_json_report_to_a_file(tmp_path, seed):
    code = program(tmp_path, """
        import boto3
        client = boto3.client("redshift")
        client.delete_cluster_snapshot(SnapshotIdentifier="old")
        try:
            client.delete_cluster_snapshot(SnapshotIdentifier="shared")
        except client.exceptions.InvalidClusterSnapshotStateFault as error:
            print("refused:", error.response["Error"]["Code"])
        client.modify_cluster_snapshot(SnapshotIdentifier="new", ManualSnapshotRetentionPeriod=7)
    """)
    report_file = tmp_path / "report.json"
    result = cli("run", "--snapshots", seed, "--report", "json", "--report-file", report_file,
                 "--", sys.executable, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "refused: InvalidClusterSnapshotState\n"
    assert result.stderr == ""
    report = json.loads(report_file.read_text())
    assert [(c["operation"], c["outcome"]) for c in report["calls"]] == [
        ("DeleteClusterSnapshot", "ok"), ("DeleteClusterSnapshot", "InvalidClusterSnapshotState"),
        ("ModifyClusterSnapshot", "ok")]
    assert report["calls"][0]["identifiers"] == "SnapshotIdentifier=old"
    summary = report["summary"]
    assert summary["deleted"] == ["old"]
    assert summary["refused"][0]["SnapshotIdentifier"] == "shared"
    assert "other accounts still have access to it" in summary["refused"][0]["reason"]
    assert summary["retention_modified"] == [{"SnapshotIdentifier": "new", "to": 7}]
    assert summary["untouched"] == ["shared"]
    assert report["exit_code"] == 0


def test_exit_code_is_passed_through(tmp_path, seed):
    code = program(tmp_path, "import sys; print('bye'); sys.exit(3)")
    result = cli("run", "--snapshots", seed, "--", sys.executable, code)
    assert result.returncode == 3
    assert result.stdout == "bye\n"
    assert result.stderr.endswith("program exit code: 3\nredshift-intercept: the program exited with code 3\n")


def test_unmodelled_operations_are_refused_and_reported(tmp_path, seed):
    code = program(tmp_path, """
        import boto3
        try:
            boto3.client("redshift").reboot_cluster(ClusterIdentifier="prod")
        except Exception as error:
            print(type(error).__name__)
    """)
    result = cli("run", "--snapshots", seed, "--", sys.executable, code)
    assert result.returncode == 0
    assert result.stdout == "UnhandledOperationError\n"
    assert "RebootCluster is not modelled: refused, not sent to AWS" in result.stderr


def test_child_processes_of_the_program_are_intercepted_too(tmp_path, seed):
    code = program(tmp_path, """
        import subprocess, sys
        subprocess.run([sys.executable, "-c",
                        "import boto3; boto3.client('redshift').delete_cluster_snapshot(SnapshotIdentifier='old')"],
                       check=True)
        import boto3
        boto3.client("redshift").delete_cluster_snapshot(SnapshotIdentifier="new")
    """)
    result = cli("run", "--snapshots", seed, "--report", "json", "--", sys.executable, code)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stderr)
    assert report["summary"]["deleted"] == ["new", "old"]
    assert len({c["pid"] for c in report["calls"]}) == 2


def test_clusters_file(tmp_path, seed):
    clusters = tmp_path / "clusters.json"
    clusters.write_text(json.dumps({"Clusters": [{"ClusterIdentifier": "prod", "NodeType": "dc2.large"}]}))
    code = program(tmp_path, """
        import boto3
        client = boto3.client("redshift")
        made = client.create_cluster_snapshot(SnapshotIdentifier="made", ClusterIdentifier="prod")
        print(made["Snapshot"]["NodeType"])
        print(client.describe_clusters()["Clusters"][0]["ClusterIdentifier"])
    """)
    result = cli("run", "--snapshots", seed, "--clusters", clusters, "--region", "eu-west-1",
                 "--", sys.executable, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "dc2.large\nprod\n"
    assert "created (1): made" in result.stderr


@pytest.mark.parametrize(("setup", "message"), [
    (lambda p: p.write_text("{oops"), "snapshots file '{path}' is not valid JSON: "),
    (lambda p: p.write_text('{"Snapshots": [{"SnapshotIdentifier": "a", "Colour": "red"}]}'),
     "snapshots file '{path}': Snapshots[0] (a): add_snapshot() got an unknown field 'Colour'"),
    (lambda p: None, "cannot read snapshots file '{path}': No such file or directory"),
])
def test_bad_seed_files_are_one_line_errors(tmp_path, setup, message):
    path = tmp_path / "seed.json"
    setup(path)
    out = tmp_path / "state.json"
    result = cli("run", "--snapshots", path, "--out", out, "--", sys.executable, "-c", "print('ran')")
    assert result.returncode == 2
    assert result.stdout == ""  # the program never ran
    assert result.stderr.startswith("redshift-intercept: " + message.format(path=path))
    assert result.stderr.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["run", "--", "no-such-program-xyz"], "redshift-intercept: cannot run 'no-such-program-xyz': no such program\n"),
    (["run"], "redshift-intercept: no program given: put it after --, e.g. "
              "redshift-intercept run --snapshots seed.json -- python cleanup.py\n"),
    (["run", "--region", "mars", "--", "true"], "redshift-intercept: --region must be an AWS region name"),
    (["run", "--account", "12", "--", "true"], "redshift-intercept: --account must be 12 digits"),
    (["seed"], "redshift-intercept: seed needs --example"),
    (["run", "--after", "30 days", "--", "true"],
     "redshift-intercept: --after must be a duration such as 30d, 12h, 90m, 45s or 2w; got '30 days'\n"),
    (["run", "--now", "next tuesday", "--", "true"],
     "redshift-intercept: --now must be an ISO-8601 time such as 2027-01-01T00:00:00Z; got 'next tuesday'\n"),
    (["run", "--now", "2027-01-01T00:00:00Z", "--after", "1d", "--", "true"],
     "redshift-intercept: --now and --after cannot be used together: give the service time, or how far ahead it "
     "is\n"),
])
def test_bad_command_lines(args, message):
    result = cli(*args)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


def test_a_bad_clusters_file(tmp_path, seed):
    clusters = tmp_path / "clusters.json"
    clusters.write_text(json.dumps({"Clusters": [{"ClusterIdentifier": "prod", "Nodes": 2}]}))
    result = cli("run", "--snapshots", seed, "--clusters", clusters, "--", sys.executable, "-c", "pass")
    assert result.returncode == 2
    assert "Clusters[0]: add_cluster() got an unknown field 'Nodes'" in result.stderr


def test_seed_example_is_a_loadable_realistic_state():
    result = cli("seed", "--example")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    rs = intercept()
    loaded = rs.load_snapshots(data)
    kinds = {(r["SnapshotType"], bool(r.get("AccountsWithRestoreAccess"))) for r in loaded}
    assert kinds == {("manual", False), ("manual", True), ("automated", False)}
    assert example_seed()["Snapshots"][0].keys() == data["Snapshots"][0].keys()


def test_progress_line_only_on_a_terminal(tmp_path, monkeypatch):
    state = tmp_path / "state.db"
    with SqliteBackend(state) as backend:
        for i in range(3):
            backend.append_call({"operation": "X", "n": i})

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with _Progress(str(state)):
        import time
        time.sleep(1.2)
    assert "\rredshift-intercept: 3 Redshift call(s) answered" in terminal.getvalue()

    plain = io.StringIO()
    monkeypatch.setattr(sys, "stderr", plain)
    with _Progress(str(state)):
        time.sleep(0.6)
    assert plain.getvalue() == ""



@pytest.mark.parametrize("broken", [False, True])
def test_the_sitecustomize_ours_hides_still_runs(tmp_path, seed, broken):
    theirs, ran = tmp_path / "theirs", tmp_path / "ran.txt"
    theirs.mkdir()
    (theirs / "sitecustomize.py").write_text(textwrap.dedent(f"""\
        from __future__ import annotations
        import dataclasses, os, sys

        @dataclasses.dataclass  # needs its module in sys.modules, as site.py leaves it
        class Setting:
            name: str = "theirs"

        assert sys.modules["sitecustomize"].Setting is Setting
        with open({str(ran)!r}, "a") as log:
            log.write(f"{{os.getpid()}}\\n")
        """) + ("raise RuntimeError('their own bug')\n" if broken else ""))
    code = program(tmp_path, """
        import os, boto3
        boto3.client("redshift").delete_cluster_snapshot(SnapshotIdentifier="old")
        print(os.getpid())
    """)
    result = cli("run", "--snapshots", seed, "--report", "json", "--report-file", tmp_path / "report.json",
                 "--", sys.executable, code, PYTHONPATH=str(theirs))
    assert result.returncode == 0, result.stderr
    assert result.stdout in ran.read_text().splitlines(keepends=True)  # it ran in the program's process
    # The command's own process runs it too (it is on the PYTHONPATH given to the command).
    error = "Error in sitecustomize; set PYTHONVERBOSE for traceback:\nRuntimeError: their own bug\n"
    assert result.stderr == (error * 2 if broken else "")
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["deleted"] == ["old"]


def test_clusters_are_shared_state_across_the_programs_processes(tmp_path, seed):
    clusters = tmp_path / "clusters.json"
    clusters.write_text(json.dumps({"Clusters": [{"ClusterIdentifier": "prod"}]}))
    code = program(tmp_path, """
        import subprocess, sys, boto3
        arn = "arn:aws:redshift:us-east-1:123456789012:cluster:prod"
        boto3.client("redshift").create_tags(ResourceName=arn, Tags=[{"Key": "owner", "Value": "ops"}])
        child = "import boto3; print(boto3.client('redshift').describe_clusters()['Clusters'][0]['Tags'])"
        subprocess.run([sys.executable, "-c", child], check=True)
    """)
    result = cli("run", "--snapshots", seed, "--clusters", clusters, "--", sys.executable, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[{'Key': 'owner', 'Value': 'ops'}]\n"


# ---------------------------------------------------------------- the service's time


def test_a_retention_job_tried_next_month_against_todays_state(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(cli("seed", "--example").stdout)
    example = json.loads(seed.read_text())
    assert [c["ClusterIdentifier"] for c in example["Clusters"]] == ["prod", "staging"]
    assert [(c["AutomatedSnapshotRetentionPeriod"], c["ManualSnapshotRetentionPeriod"])
            for c in example["Clusters"]] == [(7, -1), (1, 14)]
    code = program(tmp_path, """
        import boto3
        listed = boto3.client("redshift").describe_cluster_snapshots()["Snapshots"]
        names = sorted(s["SnapshotIdentifier"] for s in listed)
        print(" ".join(name for name in names if not name.startswith("rs:")))
        print(sum(1 for s in listed if s["SnapshotIdentifier"].startswith("rs:staging-")))
    """)
    out = tmp_path / "state.json"

    result = cli("run", "--snapshots", seed, "--after", "30d", "--out", out, "--report", "json",
                 "--report-file", tmp_path / "report.json", "--", sys.executable, code)

    assert result.returncode == 0, result.stderr
    manual, staging_automated = result.stdout.splitlines()
    assert "prod-pre-migration" not in manual and "staging-hotfix" not in manual  # their retention ran out
    assert "staging-2023-archive" in manual and "prod-before-upgrade" in manual
    assert staging_automated == "3"  # a day's worth, every 8 hours
    summary = json.loads((tmp_path / "report.json").read_text())["summary"]
    assert summary["expired_by_redshift"][0] == "staging-hotfix" and summary["expired_by_redshift"][-1] == (
        "prod-pre-migration")
    assert len(summary["expired_by_redshift"]) == 4  # and the two seeded automated snapshots of prod (7 days)
    assert summary["deleted"] == [] and summary["created"] == [] and len(summary["taken_by_redshift"]) == 24
    state = json.loads(out.read_text())
    assert [c["ClusterIdentifier"] for c in state["Clusters"]] == ["prod", "staging"]
    assert len(state["Snapshots"]) == 11 + 24  # what is left, in describe shapes: the next run starts from it

    again = cli("run", "--snapshots", out, "--", sys.executable, "-c",
                "import boto3; print(len(boto3.client('redshift').describe_clusters()['Clusters']))")
    assert again.returncode == 0, again.stderr
    assert again.stdout == "2\n"
    assert "expired by Redshift (0): -" in again.stderr


def test_run_at_a_given_service_time(tmp_path):
    clusters = tmp_path / "clusters.json"
    clusters.write_text(json.dumps({"Clusters": [{"ClusterIdentifier": "prod"}]}))
    code = program(tmp_path, """
        import boto3, subprocess, sys
        made = boto3.client("redshift").create_cluster_snapshot(SnapshotIdentifier="now", ClusterIdentifier="prod")
        print(made["Snapshot"]["SnapshotCreateTime"].year)
        child = "import boto3; print(boto3.client('redshift').describe_events(Duration=5)['Events'][0]['Date'].year)"
        subprocess.run([sys.executable, "-c", child], check=True)  # every process of the run shares the time
    """)
    result = cli("run", "--clusters", clusters, "--now", "2031-06-01T12:00:00Z", "--", sys.executable, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2031\n2031\n"
    assert "automated snapshots taken by Redshift (" in result.stderr  # prod's, on its schedule until 2031


def test_the_report_names_what_the_program_did_to_clusters(tmp_path, seed):
    clusters = tmp_path / "clusters.json"
    clusters.write_text(json.dumps({"Clusters": [{"ClusterIdentifier": "prod"}, {"ClusterIdentifier": "old"}]}))
    code = program(tmp_path, """
        import boto3
        client = boto3.client("redshift")
        client.delete_cluster(ClusterIdentifier="prod", FinalClusterSnapshotIdentifier="prod-final")
        client.describe_clusters()
        client.restore_from_cluster_snapshot(ClusterIdentifier="prod-copy", SnapshotIdentifier="prod-final")
        client.modify_cluster(ClusterIdentifier="old", ManualSnapshotRetentionPeriod=7)
        try:
            client.delete_cluster(ClusterIdentifier="old")
        except client.exceptions.ClientError:
            pass
    """)
    result = cli("run", "--snapshots", seed, "--clusters", clusters, "--after", "9h", "--", sys.executable, code)
    assert result.returncode == 0, result.stderr
    assert "clusters deleted: prod (final snapshot prod-final)\n" in result.stderr
    assert "clusters restored: prod-copy (from prod-final)\n" in result.stderr
    assert "cluster modified: old (ManualSnapshotRetentionPeriod -> 7)\n" in result.stderr
    assert ("  old: InvalidParameterCombination: FinalClusterSnapshotIdentifier is required unless "
            "SkipFinalClusterSnapshot is true.\n") in result.stderr
    assert "deleted with their cluster (1): rs:prod-" in result.stderr  # taken 8 hours after seeding
    assert "created (1): prod-final\n" in result.stderr


def test_seeded_snapshots_of_a_seeded_cluster_take_its_attributes(tmp_path, seed):
    clusters = tmp_path / "clusters.json"
    clusters.write_text(json.dumps({"Clusters": [{"ClusterIdentifier": "prod", "NodeType": "ra3.4xlarge",
                                                  "NumberOfNodes": 4}]}))
    out = tmp_path / "state.json"
    result = cli("run", "--snapshots", seed, "--clusters", clusters, "--out", out, "--", sys.executable, "-c", "pass")
    assert result.returncode == 0, result.stderr
    state = {s["SnapshotIdentifier"]: s for s in json.loads(out.read_text())["Snapshots"]}
    assert {(s["NodeType"], s["NumberOfNodes"]) for s in state.values()} == {("ra3.4xlarge", 4)}


def _parent_imports(tmp_path, *args: str) -> tuple:
    """Run the command in a process that reports, as it exits, which of
    botocore and boto3 it imported; (its result, those modules)."""
    seen = tmp_path / "parent-modules.json"
    code = ("import atexit, json, sys\n"
            f"atexit.register(lambda: open({str(seen)!r}, 'w').write(json.dumps(sorted(\n"
            "    m for m in sys.modules if m.split('.')[0] in ('botocore', 'boto3')))))\n"
            "from redshift_intercept._cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                            env=env, timeout=120)
    return result, json.loads(seen.read_text())


def test_the_command_imports_no_botocore_when_nothing_is_seeded_and_nothing_called(tmp_path):
    out = tmp_path / "out.json"
    result, imported = _parent_imports(tmp_path, "run", "--after", "30d", "--out", out, "--",
                                       sys.executable, "-c", "pass")
    assert result.returncode == 0, result.stderr
    assert imported == []  # the runner costs a program that never calls Redshift little
    assert json.loads(out.read_text()) == {"Snapshots": [], "Clusters": []}  # what a seeded run writes for it
    assert "0 Redshift call(s)" in result.stderr and "left untouched (0): -" in result.stderr

    # A program that calls gets the whole report, from the service.
    code = program(tmp_path, """
        import boto3
        client = boto3.client("redshift")
        client.create_cluster(ClusterIdentifier="prod", NodeType="ra3.xlplus", MasterUsername="admin",
                              MasterUserPassword="Secret-123")
    """)
    result, imported = _parent_imports(tmp_path, "run", "--after", "30d", "--out", out, "--", sys.executable, code)
    assert result.returncode == 0, result.stderr
    assert "botocore" in imported and "clusters created: prod" in result.stderr
    assert [c["ClusterIdentifier"] for c in json.loads(out.read_text())["Clusters"]] == ["prod"]
