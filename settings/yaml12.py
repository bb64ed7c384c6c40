"""Read a stack file the way the Pulumi engine reads it, and refuse what it would not accept.

The engine reads ``Pulumi.<stack>.yaml`` with Go's ``gopkg.in/yaml.v3``: a YAML 1.2 reader
that refuses a mapping with a duplicated key ("mapping key "x" already defined at line N"),
reads ``yes``/``no``/``on``/``off`` as strings, has no sexagesimal numbers and hands timestamps
to an untyped config as strings. PyYAML's ``safe_load`` is YAML 1.1 and silently keeps the last
of two duplicated keys, so a pull request could show reviewers one value and deploy another.

:func:`read_document` therefore builds the document itself from the parser's event stream
(PyYAML's pure-Python parser, so errors read the same on every machine; it costs about 20 ms
on a real stack file), in one iterative pass with no recursion:

* duplicated keys are refused naming both lines; keys that differ only by case, surrounding
  whitespace or Unicode compatibility form are refused too (Azure tag names, Entra display
  names and our map keys are compared that way by the services);
* plain scalars resolve by the YAML 1.2 core schema (``true``/``false``, ``null``/``~``,
  decimal, ``0o`` and ``0x`` integers, floats); everything else is a string;
* explicit tags other than the core ones (``!!binary``, ``!!timestamp``, ``!!set``,
  ``!!omap``, ``!!python/...``, local tags) are refused, as are anchors and aliases (an alias
  can expand exponentially) and complex (mapping or sequence) keys;
* nesting is bounded (:data:`MAX_DEPTH`) and so is the file size (:data:`MAX_BYTES`); the file
  must be a regular file in UTF-8 (FIFOs, devices, directories, other encodings are refused
  before a byte is parsed, so nothing blocks).

Every refusal is a :class:`YamlRefused` naming the line, never quoting the file's content (a
line could hold a credential).
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Any

import yaml

# Far above any real stack (the 5,000-resource benchmark stack is a few hundred KiB).
MAX_BYTES = 16 * 1024 * 1024
# Real stack files nest about six levels deep.
MAX_DEPTH = 64

_CORE_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq", "!",
}
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT10 = re.compile(r"[-+]?[0-9]+\Z")
_INT8 = re.compile(r"0o[0-7]+\Z")
_INT16 = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")
# Numbers YAML 1.2 and yaml.v3 read differently (yaml.v3 parses integers with Go's base-0
# rules: 0777 is octal, 0b101 binary, 1_000 a thousand; YAML 1.2 says decimal or string).
_AMBIGUOUS_NUMBER = re.compile(r"[-+]?(0[0-9_]+|0[bB][01_]+|0[oxOX][0-9a-fA-F]*_[0-9a-fA-F_]*"
                               r"|[0-9]+_[0-9_]*)\Z")


class YamlRefused(ValueError):  # noqa: N818 - reads as what happened
    """The file is not a stack file the engine would read the same way; ``str`` says why."""


def read_document(path: str | Path) -> Any:
    """Read and parse a stack file; raise YamlRefused (or FileNotFoundError)."""
    return parse_text(read_text(path))


def read_text(path: str | Path) -> str:
    """The file's text, refusing special files, oversized files and non-UTF-8 content.

    The file is opened non-blocking and checked with ``fstat`` before reading, so a FIFO or a
    device never blocks the gate, and a file swapped in after a check is still the one checked.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise YamlRefused("is a directory, not a stack file") from None
    except PermissionError:
        raise YamlRefused("cannot be read (permission denied)") from None
    except OSError as exc:
        raise YamlRefused(f"cannot be opened ({exc.strerror or type(exc).__name__})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise YamlRefused("is a directory, not a stack file")
        if not stat.S_ISREG(info.st_mode):
            raise YamlRefused("is not a regular file (a FIFO, socket or device); the stack "
                              "config must be a file")
        if info.st_size > MAX_BYTES:
            raise YamlRefused(f"is {info.st_size} bytes; a stack file may have at most "
                              f"{MAX_BYTES} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                chunk = os.read(fd, 1 << 20)
            except OSError as exc:
                raise YamlRefused(f"cannot be read ({exc.strerror or type(exc).__name__})") \
                    from None
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_BYTES:
                raise YamlRefused(f"has more than {MAX_BYTES} bytes")
            chunks.append(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise YamlRefused(f"is not UTF-8 (invalid byte at line {line}); save it as UTF-8, as "
                          "Pulumi writes stack files") from None
    if "\x00" in text:
        raise YamlRefused("contains a NUL character (binary content); a stack file is text")
    return text


def parse_text(text: str) -> Any:
    """Build the single document of ``text`` (None when empty); raise YamlRefused."""
    try:
        return _build(yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        raise YamlRefused(_describe(exc)) from None
    except yaml.YAMLError as exc:
        raise YamlRefused(f"is not valid YAML ({type(exc).__name__})") from None


def _describe(exc: yaml.MarkedYAMLError) -> str:
    """A parser error without the snippet of the file PyYAML would quote."""
    where = exc.problem_mark or exc.context_mark
    at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
    what = exc.problem or exc.context or "syntax error"
    return f"is not valid YAML: {what}{at}"


def _line(event: Any) -> int:
    mark = getattr(event, "start_mark", None)
    return mark.line + 1 if mark is not None else 0


def _scalar(event: Any) -> Any:
    tag, value = event.tag, event.value
    plain = event.implicit[0] and event.style in (None, "")
    if tag in (None, "!"):
        if not plain or tag == "!":
            return value
        if _AMBIGUOUS_NUMBER.match(value):
            raise YamlRefused(f"has the number {value} at line {_line(event)}, which YAML 1.2 "
                              "and the Pulumi engine's reader read differently (leading zero, "
                              "0b prefix or '_'); quote it if it is text, or write it plainly")
        return _resolve_plain(value)
    if tag not in _CORE_TAGS:
        raise YamlRefused(f"uses the tag {tag!r} at line {_line(event)}; stack files hold "
                          "only strings, numbers, booleans, lists and mappings")
    kind = tag.rsplit(":", 1)[-1]
    if kind == "str":
        return value
    resolved = _resolve_plain(value)
    ok = {"int": lambda v: isinstance(v, int) and not isinstance(v, bool),
          "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
          "bool": lambda v: isinstance(v, bool), "null": lambda v: v is None}
    if kind not in ok or not ok[kind](resolved):
        raise YamlRefused(f"has a value at line {_line(event)} that is not a valid !!{kind}")
    return float(resolved) if kind == "float" else resolved


def _resolve_plain(value: str) -> Any:
    """The YAML 1.2 core schema, as yaml.v3 resolves an untyped plain scalar."""
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT10.match(value):
        return int(value)
    if _INT8.match(value):
        return int(value[2:], 8)
    if _INT16.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    if _INF.match(value):
        return float("-inf") if value.startswith("-") else float("inf")
    if _NAN.match(value):
        return float("nan")
    return value


def fold_key(key: str) -> str:
    """How the services compare names: case, surrounding whitespace and width do not count."""
    return unicodedata.normalize("NFKC", key).strip().casefold()


class _Mapping:
    __slots__ = ("value", "lines", "folded", "key", "key_line")

    def __init__(self) -> None:
        self.value: dict[str, Any] = {}
        self.lines: dict[str, int] = {}
        self.folded: dict[str, str] = {}
        self.key: Any = _NO_KEY
        self.key_line = 0


_NO_KEY = object()


def _add(container: Any, item: Any, event: Any) -> None:
    if isinstance(container, list):
        container.append(item)
        return
    if container.key is _NO_KEY:
        if isinstance(item, (dict, list)):
            raise YamlRefused(f"has a mapping or list used as a key at line {_line(event)}")
        if item is None:
            raise YamlRefused(f"has an empty (null) key at line {_line(event)}")
        key = item if isinstance(item, str) else (
            ("true" if item else "false") if isinstance(item, bool) else str(item))
        line = _line(event)
        if key in container.value:
            raise YamlRefused(f"defines the key {key!r} twice: at line {container.lines[key]} "
                              f"and at line {line} (the Pulumi engine refuses duplicated keys); "
                              "keep one")
        folded = fold_key(key)
        if folded in container.folded:
            other = container.folded[folded]
            raise YamlRefused(f"has keys {other!r} (line {container.lines[other]}) and {key!r} "
                              f"(line {line}) that differ only by case, whitespace or "
                              "character width; the services would treat them as one: keep one")
        container.key, container.key_line = key, line
        container.lines[key] = line
        container.folded[folded] = key
        return
    container.value[container.key] = item
    container.key = _NO_KEY


def _build(events: Any) -> Any:
    stack: list[Any] = []
    documents = 0
    result: Any = None
    for event in events:
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused(f"uses an alias at line {_line(event)}; anchors and aliases are not "
                              "allowed in stack files (write the value out)")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise YamlRefused(f"defines the anchor &{anchor} at line {_line(event)}; anchors and "
                              "aliases are not allowed in stack files")
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlRefused(f"holds more than one YAML document (line {_line(event)})")
            continue
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            tag = event.tag
            if tag is not None and tag not in _CORE_TAGS:
                raise YamlRefused(f"uses the tag {tag!r} at line {_line(event)}; stack files "
                                  "hold only strings, numbers, booleans, lists and mappings")
            if len(stack) >= MAX_DEPTH:
                raise YamlRefused(f"nests deeper than {MAX_DEPTH} levels at line {_line(event)}")
            stack.append((_Mapping() if isinstance(event, yaml.MappingStartEvent) else [],
                          event))
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            node, start = stack.pop()
            value = node.value if isinstance(node, _Mapping) else node
            if stack:
                _add(stack[-1][0], value, start)
            else:
                result = value
            continue
        if isinstance(event, yaml.ScalarEvent):
            value = _scalar(event)
            if stack:
                _add(stack[-1][0], value, event)
            else:
                result = value
    return result
