"""What runs first in a program under ``redshift-intercept run``: the
generated sitecustomize and ``_startup``, which import nothing the program
does not, and fail closed."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

from redshift_intercept._startup import ENV_STATE, REFUSED_EXIT, SITECUSTOMIZE

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_under_hook(tmp_path, code: str, state: str, *args: str) -> subprocess.CompletedProcess:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE.format(env=ENV_STATE))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)]), ENV_STATE: state,
           "REDSHIFT_INTERCEPT_ACCOUNT": "123456789012", "REDSHIFT_INTERCEPT_REGION": "us-east-1",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    return subprocess.run([sys.executable, *args, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_a_process_that_cannot_be_intercepted_is_stopped_before_it_makes_a_call(tmp_path):
    broken = tmp_path / "not-a-database"
    broken.write_text("plain text")
    result = run_under_hook(tmp_path, "import boto3\nprint('imported')\nboto3.client('redshift')\n"
                                      "print('ran unintercepted')", str(broken))
    assert result.returncode == REFUSED_EXIT == 70
    assert result.stdout == "imported\n"  # stopped at its first botocore session
    assert ("redshift-intercept: cannot intercept Redshift in this process (BackendError:" in result.stderr
            and "stopping it before it makes a call" in result.stderr)
    assert broken.read_text() == "plain text"


def test_nothing_but_our_start_up_is_imported_before_the_program_runs(tmp_path):
    code = "import sys; print(sorted(m for m in sys.modules if m.split('.')[0] in " \
           "('botocore', 'boto3', 'redshift_intercept', 'typing', 'sqlite3', 'json')))"
    result = run_under_hook(tmp_path, code, str(tmp_path / "state.db"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "['redshift_intercept', 'redshift_intercept._importhook', 'redshift_intercept._startup']\n"
    assert not (tmp_path / "state.db").exists()  # a program that never uses botocore costs no state either


def test_the_program_imports_the_botocore_it_finds_and_that_one_is_intercepted(tmp_path):
    import botocore

    # Another place that serves "botocore", found first by the program alone
    # (as the AWS CLI v1 serves its bundled copy).
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "botocore").symlink_to(pathlib.Path(botocore.__file__).parent, target_is_directory=True)
    code = (f"import sys; sys.path.insert(0, {str(elsewhere)!r})\n"
            "import botocore.session\n"
            "client = botocore.session.get_session().create_client('redshift', region_name='us-east-1')\n"
            "try:\n"
            "    client.delete_cluster_snapshot(SnapshotIdentifier='nope')\n"
            "except client.exceptions.ClusterSnapshotNotFoundFault as error:\n"
            "    print(botocore.__file__.startswith(sys.path[0]), error.response['Error']['Message'])\n")
    result = run_under_hook(tmp_path, code, str(tmp_path / "state.db"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "True Snapshot nope not found.\n"
