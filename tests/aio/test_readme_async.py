"""The README's async example runs as written."""

from __future__ import annotations

import re

from ..test_readme import block


def test_the_async_example_runs():
    code = block("from aiobotocore.session import get_session")
    assert re.search(r"^asyncio\.run\(main\(\)\)$", code, re.M)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme_async"})
