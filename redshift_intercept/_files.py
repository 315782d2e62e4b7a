"""Files we read and write: JSON in the shapes the AWS CLI prints, with
ISO-8601 times, and writes that readers never see half done."""

from __future__ import annotations

import datetime as _dt
import json
import os
from typing import Any


def json_default(value: Any) -> str:
    """``json.dumps(default=...)``: a datetime as Redshift writes it, ``2024-05-01T12:34:56.789Z``."""
    if isinstance(value, _dt.datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json_text(data: Any) -> str:
    """``data`` as indented JSON text, the way we write files."""
    return json.dumps(data, indent=2, default=json_default, ensure_ascii=False) + "\n"


def read_json(source: Any, argument: str) -> Any:
    """Parsed JSON from a dict (returned as is), an open file, or a path.

    A path that cannot be read is a ``FileNotFoundError`` and text that is
    not JSON a ``ValueError``, both naming ``argument`` and the file."""
    if isinstance(source, dict):
        return source
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        label = argument if name is None else f"{argument} {name!r}"
        text = source.read()
    elif isinstance(source, (str, os.PathLike)):
        label = f"{argument} {os.fspath(source)!r}"
        try:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as error:
            raise FileNotFoundError(f"cannot read {label}: {error.strerror}") from None
        except UnicodeDecodeError as error:
            raise ValueError(f"{label} is not UTF-8 text: {error}") from None
    else:
        raise TypeError(f"{argument} must be a path, an open file or a dict, got {type(source).__name__}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{label} is not valid JSON: {error}") from None


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one."""
    partial = f"{path}.partial-{os.getpid()}"
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)
