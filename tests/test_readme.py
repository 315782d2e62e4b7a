"""The README's examples run as written.

Blocks are found by what they contain, not by position, so that adding an
example does not renumber the others. The async example runs in the async
suite (``tests/aio/test_readme_async.py``), the AWS CLI recipe in
``test_awscli.py``; the moto side of "Coming from moto or Stubber" runs where
moto is installed, and ``REDSHIFT_INTERCEPT_MOTO=1`` (set by CI) makes its
absence an error.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import unittest

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def python_blocks(section: str = "") -> list[str]:
    """The ```python blocks of the README, or of the ``## section`` of that title."""
    text = README.read_text(encoding="utf-8")
    if section:
        text = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, re.S | re.M).group(1)
    return re.findall(r"```python\n(.*?)```", text, re.S)


def block(containing: str, section: str = "") -> str:
    found = [b for b in python_blocks(section) if containing in b]
    assert len(found) == 1, f"expected one README python block containing {containing!r}, found {len(found)}"
    return found[0]


def needs_moto() -> None:
    if importlib.util.find_spec("moto") is None:
        if os.environ.get("REDSHIFT_INTERCEPT_MOTO") == "1":
            pytest.fail("REDSHIFT_INTERCEPT_MOTO=1 but moto is not installed")
        pytest.skip("moto is not installed")


def test_context_manager_quickstart_runs(capsys):
    exec(compile(block("def cleanup(client, older_than)"), "README.md", "exec"), {})
    assert "other accounts still have access to it" in capsys.readouterr().out


def test_pytest_quickstart_runs(pytester):
    pytester.makepyfile(test_quickstart=block("def test_cleanup_deletes_manual_snapshots"))
    pytester.runpytest().assert_outcomes(passed=2)


def test_test_class_example_runs_under_unittest_and_pytest(pytester):
    code = block("class CleanupTests(unittest.TestCase)")
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(code, "README.md", "exec"), namespace)
    result = unittest.TestResult()
    unittest.TestLoader().loadTestsFromTestCase(namespace["CleanupTests"]).run(result)
    assert (result.testsRun, result.errors, result.failures) == (2, [], [])
    pytester.makepyfile(test_classes=code)
    pytester.runpytest().assert_outcomes(passed=2)


def test_coming_from_moto_or_stubber_has_its_pairs():
    blocks = python_blocks("Coming from moto or Stubber")
    assert len(blocks) == 6
    assert sum("from moto import mock_aws" in b for b in blocks) == 2
    assert sum("from botocore.stub import Stubber" in b for b in blocks) == 1


def test_our_side_of_decorating_and_seeding_runs(pytester):
    pytester.makepyfile(test_ours=block("def test_cleanup(rs: RedshiftIntercept)", "Coming from moto or Stubber"))
    pytester.runpytest().assert_outcomes(passed=2)


def test_moto_side_of_decorating_and_seeding_runs(pytester):
    needs_moto()
    pytester.makepyfile(test_moto=block("@mock_aws\ndef test_cleanup", "Coming from moto or Stubber"))
    pytester.runpytest().assert_outcomes(passed=2)


@pytest.mark.parametrize("containing", ["stubber.assert_no_pending_responses()",
                                        'rs.fail("DeleteClusterSnapshot", "Throttling", times=2)',
                                        "refused, as AWS refuses it"])
def test_stubber_and_our_blocks_run(containing):
    exec(compile(block(containing, "Coming from moto or Stubber"), "README.md", "exec"), {})


def test_the_rule_moto_does_not_enforce_is_not_enforced_by_moto():
    needs_moto()
    exec(compile(block("with mock_aws():", "Coming from moto or Stubber"), "README.md", "exec"), {})


def test_readme_names_the_commands_ci_runs():
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]'" in text and "pip install -e '.[test,postgres]'" in text
    assert "pip install --quiet -e \".[$extras]\"" in ci and "extras=test" in ci and "extras=test,postgres" in ci
    assert "python -m pytest" in text and '"$py" -m pytest' in ci
    assert ".ci/pg-throwaway.sh run -- python -m pytest" in text and ".ci/pg-throwaway.sh start" in ci
    assert "REDSHIFT_INTERCEPT_ASYNC=" in text and "REDSHIFT_INTERCEPT_ASYNC=" in ci
    assert "REDSHIFT_INTERCEPT_AWSCLI=1" in text and "REDSHIFT_INTERCEPT_AWSCLI=1" in ci
    assert "REDSHIFT_INTERCEPT_MOTO=1" in text and "REDSHIFT_INTERCEPT_MOTO=1" in ci


def test_first_command_is_the_command_line_on_the_shipped_example():
    first_block = re.search(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    assert ("redshift-intercept run --snapshots examples/seed.json -- python examples/retention_cleanup.py"
            in first_block)
    assert (README.parent / "examples" / "seed.json").exists()
    assert (README.parent / "examples" / "retention_cleanup.py").exists()


def test_bounded_calls_example_runs():
    exec(compile(block("max_calls="), "README.md", "exec"), {})


def test_the_clock_example_runs():
    exec(compile(block("rs.clock.advance(days=30)"), "README.md", "exec"), {})


def test_iam_example_runs(capsys):
    exec(compile(block("add_identity"), "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("User: arn:aws:iam::123456789012:user/cleanup is not authorized to perform: "
                      "redshift:DeleteClusterSnapshot on resource: "
                      "arn:aws:redshift:us-east-1:123456789012:snapshot:*/nightly-2024-05-01 because no "
                      "identity-based policy allows the redshift:DeleteClusterSnapshot action")
    assert out[1] == ("allowed: redshift:DeleteClusterSnapshot on arn:aws:redshift:us-east-1:123456789012:"
                      "snapshot:prod/nightly-2024-05-01, by policy 0, statement 1")
    assert "'Resource': 'arn:aws:redshift:us-east-1:123456789012:snapshot:*/nightly-2024-05-01'" in out[2]


def test_identities_file_example_is_the_format_the_command_reads(tmp_path):
    import json

    from redshift_intercept import intercept

    text = next(b for b in re.findall(r"```json\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
                if "AKIAIOSFODNN7EXAMPLE" in b)
    data = json.loads(text.replace('"Statement": [...]', '"Statement": {"Effect": "Allow", "Action": "*", '
                                                          '"Resource": "*"}'))
    assert [i.name for i in intercept().load_identities(data)] == ["cleanup", "bi"]
