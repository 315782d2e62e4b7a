"""Files we write: regular files replaced atomically, everything else written
through, and nothing left behind or lost when a write fails."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import pytest

from redshift_intercept import intercept
from redshift_intercept._files import _written_through, check_writable, write_atomically

ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0
posix_only = pytest.mark.skipif(os.name != "posix", reason="devices, FIFOs and /dev/stdout are POSIX")


def leftovers(directory) -> list:
    return sorted(name for name in os.listdir(directory) if "partial" in name)


def test_a_regular_file_is_replaced_and_keeps_its_permissions(tmp_path):
    target = tmp_path / "state.json"
    target.write_text("old")
    target.chmod(0o640)
    inode = target.stat().st_ino

    write_atomically(str(target), "new ✓")

    assert target.read_text(encoding="utf-8") == "new ✓"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_ino != inode  # a new file renamed over the old one
    assert leftovers(tmp_path) == []


def test_a_new_file_gets_the_umask_permissions(tmp_path):
    previous = os.umask(0o027)
    try:
        write_atomically(str(tmp_path / "new.json"), "x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640


@posix_only
def test_a_symlink_stays_a_link_and_its_target_is_replaced(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)

    write_atomically(str(link), "new")

    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"
    assert leftovers(tmp_path) == []


@posix_only
def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "later.json")

    write_atomically(str(link), "made")

    assert link.is_symlink() and (tmp_path / "later.json").read_text() == "made"


@posix_only
def test_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()

    write_atomically(str(fifo), "through the pipe")
    reader.join(timeout=10)

    assert received == ["through the pipe"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert leftovers(tmp_path) == []


@posix_only
def test_a_terminal_device_is_written_through():
    main, child = os.openpty()
    try:
        device = os.ttyname(child)
        assert stat.S_ISCHR(os.stat(device).st_mode)

        write_atomically(device, "to the terminal")

        assert stat.S_ISCHR(os.stat(device).st_mode)
        assert b"to the terminal" in os.read(main, 1024)
    finally:
        os.close(main)
        os.close(child)


def dev_null_or_skip() -> os.stat_result:
    """/dev/null's status, or skip: on a shared machine something else (an
    older redshift-intercept run as root) may have replaced it already."""
    before = os.stat("/dev/null")
    if not stat.S_ISCHR(before.st_mode):
        pytest.skip("/dev/null on this machine is not a device: something else replaced it")
    return before


@posix_only
def test_dev_null_is_never_replaced():
    before = dev_null_or_skip()
    # Checked before writing, so that a regression cannot replace the
    # machine's /dev/null when the suite runs as root.
    assert _written_through("/dev/null")

    write_atomically("/dev/null", "discarded")

    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


@posix_only
@pytest.mark.parametrize("path", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_dev_stdout_redirected_to_a_file_writes_into_that_file(tmp_path, path):
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist here")
    out = tmp_path / "out.txt"
    code = ("from redshift_intercept._files import write_atomically\n"
            f"write_atomically({path!r}, 'report\\n')\n"
            "print('after', flush=True)\n")
    with open(out, "w") as handle:
        inode = os.fstat(handle.fileno()).st_ino
        subprocess.run([sys.executable, "-c", code], stdout=handle, check=True, timeout=60)

    assert out.read_text() == "report\nafter\n"  # the file the shell opened, not a replacement
    assert out.stat().st_ino == inode
    assert leftovers(tmp_path) == []


@posix_only
def test_dev_stdout_to_a_pipe_is_written_through():
    code = "from redshift_intercept._files import write_atomically\nwrite_atomically('/dev/stdout', 'piped')\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "piped"


@posix_only
def test_nothing_is_ever_created_under_dev(tmp_path):
    missing = "/dev/redshift-intercept-no-such-device"
    assert not os.path.exists(missing)
    with pytest.raises(FileNotFoundError):
        check_writable(missing)
    with pytest.raises(FileNotFoundError):
        write_atomically(missing, "x")
    assert not os.path.exists(missing)


@posix_only
def test_a_closed_descriptor_is_refused_before_writing():
    descriptor = os.open(os.devnull, os.O_RDONLY)
    os.close(descriptor)
    with pytest.raises(OSError, match="No open file descriptor for writing"):
        check_writable(f"/dev/fd/{descriptor}")


def test_text_utf8_cannot_carry_changes_nothing(tmp_path):
    target = tmp_path / "state.json"
    target.write_text("old")

    with pytest.raises(UnicodeEncodeError):
        write_atomically(str(target), "lone \ud800 surrogate")

    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_a_failed_rename_leaves_the_old_file_and_no_partial(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_text("old")

    def broken_replace(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(str(target), "new")

    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_a_directory_is_refused_and_left_alone(tmp_path):
    target = tmp_path / "dir"
    target.mkdir()

    with pytest.raises(IsADirectoryError):
        check_writable(str(target))
    with pytest.raises(IsADirectoryError):
        write_atomically(str(target), "x")

    assert target.is_dir() and list(target.iterdir()) == []
    assert leftovers(tmp_path) == []


def test_check_writable_refuses_a_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        check_writable(str(tmp_path / "no" / "such" / "file.json"))


def test_check_writable_accepts_new_and_existing_files_and_leaves_nothing(tmp_path):
    existing = tmp_path / "existing.json"
    existing.write_text("keep")

    check_writable(str(existing))
    check_writable(str(tmp_path / "new.json"))

    assert existing.read_text() == "keep"
    assert sorted(os.listdir(tmp_path)) == ["existing.json"]


@pytest.mark.skipif(ROOT_USER or os.name != "posix", reason="root may write anything")
def test_a_read_only_file_is_refused_as_the_shell_would(tmp_path):
    target = tmp_path / "locked.json"
    target.write_text("old")
    target.chmod(0o444)

    with pytest.raises(PermissionError):
        check_writable(str(target))
    with pytest.raises(PermissionError):
        write_atomically(str(target), "new")
    assert target.read_text() == "old"


def test_a_file_access_says_we_may_not_write_is_refused(tmp_path, monkeypatch):
    # The same refusal as above, also when the suite runs as root.
    target = tmp_path / "locked.json"
    target.write_text("old")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == str(target) else real_access(path, mode))

    with pytest.raises(PermissionError):
        check_writable(str(target))
    with pytest.raises(PermissionError):
        write_atomically(str(target), "new")
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(ROOT_USER or os.name != "posix", reason="root may write anything")
def test_a_read_only_directory_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            check_writable(str(locked / "state.json"))
    finally:
        locked.chmod(0o755)


@posix_only
def test_dump_snapshots_writes_through_to_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    rs = intercept()
    rs.add_snapshot(SnapshotIdentifier="one")

    rs.dump_snapshots(str(fifo))
    reader.join(timeout=10)

    assert '"SnapshotIdentifier": "one"' in received[0]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
