"""Code compiled once per botocore shape: query-protocol XML renderers and
request-body decoders.

Everything here is driven by the botocore service model, so element names,
list wrappers and types are the model's, never hand-written. Compiled
functions are cached per shape name; the Redshift model is the same for every
client in a process.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable

from botocore.model import Shape
from botocore.utils import parse_timestamp

Renderer = Callable[[Any, list], None]
Decoder = Callable[[dict, str], Any]

_UTC = _dt.timezone.utc


def escape_text(text: str) -> str:
    """Escape ``text`` for an XML text node so that it parses back exactly.

    ``\\r`` is written as a character reference because XML parsers normalise
    a literal carriage return to ``\\n``.
    """
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


_TIMESTAMPS: dict[_dt.datetime, str] = {}


def format_timestamp(value: _dt.datetime) -> str:
    """ISO-8601 UTC with milliseconds, as Redshift sends: ``2024-05-01T12:34:56.789Z``.

    Cached: a snapshot's times are rendered on every call that returns it."""
    text = _TIMESTAMPS.get(value)
    if text is None:
        utc = value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
        text = utc.isoformat(timespec="milliseconds")[:-6] + "Z"  # drop "+00:00"
        if len(_TIMESTAMPS) >= 65536:
            _TIMESTAMPS.clear()
        _TIMESTAMPS[value] = text
    return text


def _scalar_renderer(shape: Shape) -> Callable[[Any], str]:
    kind = shape.type_name
    if kind == "string":
        return escape_text
    if kind == "boolean":
        return lambda v: "true" if v else "false"
    if kind in ("integer", "long"):
        return str
    if kind in ("double", "float"):
        return repr
    if kind == "timestamp":
        return format_timestamp
    raise NotImplementedError(f"redshift_intercept cannot render shape type {kind!r}")


def _element(shape: Shape, default: str) -> str:
    return shape.serialization.get("name", default)


_RENDERERS: dict[str, Renderer] = {}


def renderer_for(shape: Shape) -> Renderer:
    """The compiled renderer for ``shape``: ``render(value, out)`` appends the
    XML of ``value``'s *content* (not its own element) to the list ``out``."""
    key = shape.name
    found = _RENDERERS.get(key)
    if found is None:
        found = _RENDERERS[key] = _compile_renderer(shape)
    return found


def _compile_renderer(shape: Shape) -> Renderer:
    kind = shape.type_name
    if kind == "structure":
        return _compile_structure(shape)
    if kind == "list":
        member = shape.member
        if shape.serialization.get("flattened"):
            raise NotImplementedError("flattened lists are not used by the Redshift model")
        tag = _element(member, "member")
        open_, close = f"<{tag}>", f"</{tag}>"
        child = _child_renderer(member)

        def render_list(value: list, out: list) -> None:
            for item in value:
                out.append(open_)
                child(item, out)
                out.append(close)

        return render_list
    if kind == "map":
        key_tag = _element(shape.key, "key")
        value_tag = _element(shape.value, "value")
        render_key, render_value = _child_renderer(shape.key), _child_renderer(shape.value)

        def render_map(value: dict, out: list) -> None:
            for k, v in value.items():
                out.append(f"<entry><{key_tag}>")
                render_key(k, out)
                out.append(f"</{key_tag}><{value_tag}>")
                render_value(v, out)
                out.append(f"</{value_tag}></entry>")

        return render_map
    scalar = _scalar_renderer(shape)
    return lambda v, out: out.append(scalar(v))


def _compile_structure(shape: Shape) -> Renderer:
    """Generate straight-line code for one structure shape: one ``get`` and
    one ``append`` per member, element names and converters bound once."""
    namespace: dict[str, Any] = {"esc": escape_text, "ts": format_timestamp, "str": str, "repr": repr}
    lines = ["def render(value, out):", "    get = value.get", "    append = out.append"]
    for index, (name, member) in enumerate(shape.members.items()):
        tag = _element(member, name)
        kind = member.type_name
        lines.append(f"    v = get({name!r})")
        lines.append("    if v is not None:")
        if kind in ("structure", "list", "map"):
            namespace[f"r{index}"] = renderer_for(member)
            body = [f"append({'<' + tag + '>'!r})", f"r{index}(v, out)", f"append({'</' + tag + '>'!r})"]
            if kind == "list":
                lines.append("        if v:")
                lines += [f"            {line}" for line in body]
                lines.append(f"        else:\n            append({'<' + tag + '/>'!r})")
            else:
                lines += [f"        {line}" for line in body]
        elif kind == "boolean":
            lines.append(f"        append({f'<{tag}>true</{tag}>'!r} if v else {f'<{tag}>false</{tag}>'!r})")
        else:
            convert = {"string": "esc", "timestamp": "ts", "integer": "str", "long": "str",
                       "double": "repr", "float": "repr"}.get(kind)
            if convert is None:
                raise NotImplementedError(f"redshift_intercept cannot render shape type {kind!r}")
            lines.append(f"        append({'<' + tag + '>'!r} + {convert}(v) + {'</' + tag + '>'!r})")
    exec(compile("\n".join(lines), f"<redshift_intercept renderer for {shape.name}>", "exec"), namespace)
    return namespace["render"]


def _child_renderer(shape: Shape) -> Renderer:
    if shape.type_name in ("structure", "list", "map"):
        return renderer_for(shape)
    scalar = _scalar_renderer(shape)
    return lambda v, out: out.append(scalar(v))


# ---------------------------------------------------------------- decoding


_DECODERS: dict[str, Decoder] = {}


def decoder_for(shape: Shape) -> Decoder:
    """The compiled decoder for an input ``shape``: ``decode(body, prefix)``
    turns botocore's flattened query body back into API parameters."""
    key = shape.name
    found = _DECODERS.get(key)
    if found is None:
        found = _DECODERS[key] = _compile_decoder(shape)
    return found


_MISSING = object()


def _compile_decoder(shape: Shape) -> Decoder:
    kind = shape.type_name
    if kind == "structure":
        members = [(name, _element(member, name), _member_decoder(member))
                   for name, member in shape.members.items()]

        def decode_structure(body: dict, prefix: str) -> dict:
            result = {}
            for name, wire, decode in members:
                value = decode(body, f"{prefix}.{wire}" if prefix else wire)
                if value is not _MISSING:
                    result[name] = value
            return result

        return decode_structure
    if kind == "list":
        member = shape.member
        tag = _element(member, "member")
        decode_item = _member_decoder(member)

        def decode_list(body: dict, prefix: str) -> Any:
            if body.get(prefix) == "":
                return []
            items = []
            index = 1
            while True:
                item = decode_item(body, f"{prefix}.{tag}.{index}")
                if item is _MISSING:
                    break
                items.append(item)
                index += 1
            return items if items else _MISSING

        return decode_list
    convert = _scalar_decoder(shape)

    def decode_scalar(body: dict, prefix: str) -> Any:
        raw = body.get(prefix, _MISSING)
        return raw if raw is _MISSING else convert(raw)

    return decode_scalar


def _member_decoder(shape: Shape) -> Decoder:
    decode = decoder_for(shape)
    if shape.type_name != "structure":
        return decode

    def decode_present_structure(body: dict, prefix: str) -> Any:
        marker = prefix + "."
        if not any(key.startswith(marker) for key in body):
            return _MISSING
        return decode(body, prefix)

    return decode_present_structure


def _scalar_decoder(shape: Shape) -> Callable[[str], Any]:
    kind = shape.type_name
    if kind == "boolean":
        return lambda raw: raw == "true" if isinstance(raw, str) else bool(raw)
    if kind in ("integer", "long"):
        return int
    if kind in ("double", "float"):
        return float
    if kind == "timestamp":
        return lambda raw: parse_timestamp(raw).astimezone(_UTC)
    return str
