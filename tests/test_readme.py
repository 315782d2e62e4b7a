"""The README's examples run as written."""

from __future__ import annotations

import pathlib
import re

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_context_manager_quickstart_runs(capsys):
    exec(compile(_python_blocks()[0], "README.md", "exec"), {})
    assert "other accounts still have access to it" in capsys.readouterr().out


def test_pytest_quickstart_runs(pytester):
    pytester.makepyfile(test_quickstart=_python_blocks()[1])
    pytester.runpytest().assert_outcomes(passed=2)


def test_readme_names_the_commands_ci_runs():
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]'" in text and "pip install -e '.[test,postgres]'" in text
    assert "pip install --quiet -e \".[$extras]\"" in ci and "extras=test" in ci and "extras=test,postgres" in ci
    assert "python -m pytest" in text and '"$py" -m pytest' in ci
    assert ".ci/pg-throwaway.sh run -- python -m pytest" in text and ".ci/pg-throwaway.sh start" in ci


def test_first_command_is_the_command_line_on_the_shipped_example():
    first_block = re.search(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    assert ("redshift-intercept run --snapshots examples/seed.json -- python examples/retention_cleanup.py"
            in first_block)
    assert (README.parent / "examples" / "seed.json").exists()
    assert (README.parent / "examples" / "retention_cleanup.py").exists()


def test_bounded_calls_example_runs():
    [block] = [b for b in _python_blocks() if "max_calls=" in b]
    exec(compile(block, "README.md", "exec"), {})


def test_the_clock_example_runs():
    [block] = [b for b in _python_blocks() if "rs.clock.advance(days=30)" in b]
    exec(compile(block, "README.md", "exec"), {})
