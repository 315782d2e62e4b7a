"""Generated code is debuggable: its source is registered with linecache, so
a traceback through a renderer or decoder shows the generated line."""

from __future__ import annotations

import linecache
import traceback

import botocore.session
import pytest

from redshift_intercept import _shapes

MODEL = botocore.session.get_session().get_service_model("redshift")


def generated_frames(error: BaseException) -> list:
    return [frame for frame in traceback.extract_tb(error.__traceback__)
            if frame.filename.startswith("<redshift_intercept generated")]


@pytest.mark.parametrize("value", [
    {"SnapshotIdentifier": "x", "SnapshotCreateTime": "not a datetime"},  # the straight-line tier
    {"SnapshotIdentifier": "x&y", "SnapshotCreateTime": "not a datetime"},  # the generic tier
])
def test_a_traceback_through_a_renderer_shows_the_generated_line(value):
    with pytest.raises(AttributeError) as excinfo:
        _shapes.renderer_for(MODEL.shape_for("Snapshot"))(value, [])

    frames = generated_frames(excinfo.value)
    assert frames, "no frame of generated code in the traceback"
    assert "renderer for Snapshot" in frames[-1].filename
    line = frames[-1].line  # traceback read it from linecache: empty if the source was not registered
    assert ".tzinfo" in line or "SnapshotCreateTime" in line
    assert linecache.getline(frames[-1].filename, frames[-1].lineno).strip() == line


def test_decoders_are_registered_too():
    decoder = _shapes.decoder_for(MODEL.operation_model("DeleteClusterSnapshot").input_shape)
    filename = decoder.__code__.co_filename
    assert filename.startswith("<redshift_intercept generated") and "request decoder for" in filename
    source = "".join(linecache.getlines(filename))
    assert source.startswith("def decode(body, prefix):") and "SnapshotIdentifier" in source


def test_the_escaping_test_and_escape_text_agree():
    for char, reference in _shapes._ESCAPES:
        assert _shapes._needs_escaping(f"a{char}b")
        assert _shapes.escape_text(f"a{char}b") == f"a{reference}b"
    assert not _shapes._needs_escaping("plain ' \" text 雪")
