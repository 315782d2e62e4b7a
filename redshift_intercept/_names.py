"""Account ids and region names: the checks every entry point makes.

No botocore here, so that the command line checks its arguments without
importing it (``redshift-intercept run`` must cost a program little).
"""

from __future__ import annotations

import re

_ACCOUNT = re.compile(r"\d{12}\Z")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+\Z")


def check_account_id(value: object, argument: str = "account_id") -> str:
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str of 12 digits, got {type(value).__name__}")
    if not _ACCOUNT.match(value):
        raise ValueError(f"{argument} must be 12 digits, like '123456789012'; got {value!r}")
    return value


def check_region(value: object, argument: str = "region") -> str:
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str such as 'us-east-1', got {type(value).__name__}")
    if not _REGION.match(value):
        raise ValueError(f"{argument} must be an AWS region name such as 'us-east-1'; got {value!r}")
    return value
