"""Files we read and write: JSON in the shapes the AWS CLI prints, with
ISO-8601 times, and writes that readers never see half done."""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import re
import stat
import sys
import threading
from typing import Any, Optional

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


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
    not JSON (or JSON nested deeper than Python can parse) a ``ValueError``,
    both naming ``argument`` and the file."""
    if isinstance(source, dict):
        return source
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        label = argument if name is None else f"{argument} {_short(name)}"
        text = source.read()
    elif isinstance(source, (str, os.PathLike)):
        label = f"{argument} {_short(os.fspath(source))}"
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
    except RecursionError:
        raise ValueError(f"{label} is nested too deeply: no describe_cluster_snapshots or "
                         "describe_clusters output nests more than a few levels") from None


def _short(name: Any, limit: int = 200) -> str:
    """``repr(name)``, cut to ``limit`` characters: a label, not a dump."""
    text = repr(name)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


# Paths that name open files or kernel objects rather than files in a
# directory: /dev/stdout, /dev/fd/3, /proc/self/fd/1. A path that is, or
# whose symlinks lead through, one of these is written through.
_SPECIAL_DIRECTORIES = ("/dev/", "/proc/")


def _written_through(path: str) -> bool:
    """Whether ``write_atomically`` writes ``path`` in place rather than
    replacing it: anything that exists and is not a regular file (a device
    such as ``/dev/null``, a FIFO, a socket, a terminal), and any path under
    ``/dev`` or ``/proc`` or reached through a symlink into them
    (``/dev/stdout`` names whatever file descriptor 1 is, even when that is
    a regular file the shell opened: replacing it would detach it)."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on symlinks followed
        if current.startswith(_SPECIAL_DIRECTORIES):
            return True
        if not os.path.islink(current):
            break
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    try:
        mode = os.stat(path).st_mode
    except OSError:  # nothing there yet (or unreachable: the write says why)
        return False
    return not stat.S_ISREG(mode)


_STANDARD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_DESCRIPTOR = re.compile(r"/(?:dev/fd|proc/self/fd|proc/(\d+)/fd)/(\d+)\Z")


def _descriptor_named(path: str) -> Optional[int]:
    """The file descriptor of this process that ``path`` names
    (``/dev/stdout``, ``/dev/fd/3``, ``/proc/self/fd/1``), or None."""
    name = os.path.normpath(os.path.abspath(path))
    if name in _STANDARD:
        return _STANDARD[name]
    match = _DESCRIPTOR.match(name)
    if match is None or (match.group(1) is not None and int(match.group(1)) != os.getpid()):
        return None
    return int(match.group(2))


def _write_to_descriptor(descriptor: int, data: bytes) -> None:
    """Append ``data`` where the open file ``descriptor`` stands, after what
    Python's own ``sys.stdout`` / ``sys.stderr`` buffers hold for it: writing
    to ``/dev/stdout`` is writing to standard output, not truncating or
    replacing the file the shell opened for it."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            if stream is not None and stream.fileno() == descriptor:
                stream.flush()
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


def check_writable(path: str) -> None:
    """Raise ``OSError`` (with ``strerror`` saying why) unless
    ``write_atomically(path, ...)`` can write there, without writing: a
    directory, a missing directory, a file or directory without write
    permission. For a regular file this creates and removes the temporary
    file the real write would use."""
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    descriptor = _descriptor_named(path)
    if descriptor is not None:
        try:
            writable = _open_for_writing(descriptor)
        except OSError:
            writable = False
        if not writable:
            raise OSError(errno.EBADF, "No open file descriptor for writing", path)
        return
    if _written_through(path):
        if not os.path.exists(path):  # under /dev or /proc we create nothing
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        if not os.access(path, os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return
    target = os.path.realpath(path)
    if os.path.exists(target) and not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
    descriptor, partial = _open_partial(target)
    os.close(descriptor)
    os.unlink(partial)


def _open_for_writing(descriptor: int) -> bool:
    flags = fcntl.fcntl(descriptor, fcntl.F_GETFL) if fcntl is not None else os.O_WRONLY
    return flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)


def write_atomically(path: str, text: str, errors: str = "strict") -> None:
    """Write ``text`` (UTF-8) to ``path`` so that readers see the old file or
    the whole new one.

    A regular file (or a path where nothing exists yet) is replaced
    atomically: the text goes to a temporary file beside it, is flushed to
    disk, and is renamed over the target; an existing file keeps its
    permission bits (and its owner, when we run as root). A symlink is
    followed: its final target is replaced and the link stays a link.
    Anything else is written through, never replaced: a device
    (``/dev/null``), a FIFO, ``/dev/stdout`` and every other path under
    ``/dev`` or ``/proc`` (see ``_written_through``); nothing is created
    there (a missing ``/dev/null`` is ``FileNotFoundError``). A file we may
    not write is refused with ``PermissionError``, as the shell's ``>`` would.

    On any failure the target is unchanged and no temporary file is left.
    ``errors`` is the encoder's error handler (``"strict"``: text that UTF-8
    cannot carry, such as a lone surrogate, raises before anything is
    written)."""
    data = text.encode("utf-8", errors)
    descriptor = _descriptor_named(path)
    if descriptor is not None:
        _write_to_descriptor(descriptor, data)
        return
    if _written_through(path):
        # Without O_CREAT: a missing /dev/null (deleted by someone else) is an
        # error, never a regular file we create in its place.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)), "wb") as handle:
            handle.write(data)
        return
    target = os.path.realpath(path)
    try:
        existing: Optional[os.stat_result] = os.stat(target)
    except FileNotFoundError:
        existing = None
    if existing is not None and not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
    descriptor, partial = _open_partial(target)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if existing is not None:
                _keep_mode_and_owner(handle.fileno(), existing)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    _sync_directory(os.path.dirname(target))


def _keep_mode_and_owner(descriptor: int, existing: os.stat_result) -> None:
    """Give the replacement the permission bits of the file it replaces, and
    its owner when we can (as root: a root CI job rewriting a user's file)."""
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, stat.S_IMODE(existing.st_mode))
    if hasattr(os, "fchown") and os.geteuid() == 0:
        with contextlib.suppress(OSError):
            os.fchown(descriptor, existing.st_uid, existing.st_gid)


def _open_partial(target: str) -> tuple[int, str]:
    """A new, empty temporary file beside ``target`` (created with the
    umask's permissions, as ``open(..., "w")`` would): (descriptor, path)."""
    directory, name = os.path.split(target)
    for attempt in range(100):
        partial = os.path.join(directory, f".{name}.partial-{os.getpid()}-{threading.get_ident()}-{attempt}")
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            continue
        return descriptor, partial
    raise FileExistsError(errno.EEXIST, "cannot create a temporary file", directory)  # pragma: no cover


def _sync_directory(directory: str) -> None:
    """Make the rename durable: flush the directory entry (best effort;
    some file systems refuse to open or sync a directory)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory or ".", os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
