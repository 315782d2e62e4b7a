"""What runs first in a program under ``redshift-intercept run``: the
generated sitecustomize and ``_startup``, fail closed."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

from redshift_intercept._startup import ENV_STATE, REFUSED_EXIT, SITECUSTOMIZE

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_a_process_that_cannot_be_intercepted_is_stopped_before_it_runs(tmp_path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE.format(env=ENV_STATE))
    broken = tmp_path / "not-a-database"
    broken.write_text("plain text")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)]), ENV_STATE: str(broken),
           "REDSHIFT_INTERCEPT_ACCOUNT": "123456789012", "REDSHIFT_INTERCEPT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-c", "print('ran unintercepted')"], capture_output=True, text=True,
                            env=env)
    assert result.returncode == REFUSED_EXIT == 70
    assert result.stdout == ""
    assert "redshift-intercept: cannot intercept Redshift in this process (BackendError:" in result.stderr
    assert broken.read_text() == "plain text"
