"""Pydantic's validation errors of one section, as Problems a person can act on.

Each error becomes a :class:`~settings.errors.Problem` at the full config key
(``databricks-ml-entra:groups.ml-engineers.owners``), in words ("has the wrong type: expected a
whole number"), with a fix: the closest valid key for a typo, the allowed values, the range.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from settings.errors import Problem
from settings.model import PROJECT

_TYPE_WORDS = {
    "string_type": "a string", "int_type": "a whole number", "int_parsing": "a whole number",
    "bool_type": "true or false", "bool_parsing": "true or false", "dict_type": "a mapping",
    "model_type": "a mapping", "list_type": "a list", "float_parsing": "a number",
    "int_from_float": "a whole number",
}


_RANGE_FIXES = {
    "greater_than_equal": "use a value of at least {ge}",
    "less_than_equal": "use a value of at most {le}",
    "greater_than": "use a value above {gt}",
    "less_than": "use a value below {lt}",
    "too_short": "give at least {min_length} item(s)",
    "too_long": "give at most {max_length} item(s)",
}


def field_problems(exc: ValidationError, alias: str, annotation: Any) -> list[Problem]:
    """The problems of one section's validation error, at full config keys, with their fixes."""
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not _is_union_tag(p)]
        path = ".".join([alias, *loc])
        full = f"{PROJECT}:{path}"
        kind = err["type"]
        value = err.get("input")
        if kind == "missing":
            problems.append(Problem(full, "required key is missing",
                                    f"add `{loc[-1] if loc else alias}` here (see README.md)"))
        elif kind == "extra_forbidden":
            valid = _valid_keys(annotation, err["loc"][:-1])
            close = difflib.get_close_matches(loc[-1], valid, n=1, cutoff=0.5)
            fix = f"did you mean `{close[0]}`?" if close else ""
            fix = (fix + " " if fix else "") + f"valid keys here: {', '.join(valid)}"
            problems.append(Problem(full, "is not a valid key here", fix))
        elif kind in ("literal_error", "enum"):
            allowed = err.get("ctx", {}).get("expected", "")
            problems.append(Problem(full, "is not an allowed value",
                                    f"use one of: {allowed.replace(' or ', ', ')}", value, True))
        elif kind == "value_error":
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(Problem(full, msg, "", value, True))
        elif kind in _TYPE_WORDS:
            problems.append(Problem(full, f"has the wrong type: expected {_TYPE_WORDS[kind]}, "
                                    f"got {type(value).__name__}",
                                    f"write {_TYPE_WORDS[kind]} here", value, True))
        elif kind in _RANGE_FIXES:
            ctx = err.get("ctx", {})
            problems.append(Problem(full, str(err["msg"]).replace("Input", "the value"),
                                    _RANGE_FIXES[kind].format(**ctx), value, True))
        else:
            problems.append(Problem(full, str(err["msg"]), "", value, True))
    return _dedupe(problems)


def _is_union_tag(part: Any) -> bool:
    # "[key]" marks a problem with a map key (e.g. a non-UUID key): the path ends at the key.
    return isinstance(part, str) and (part in ("str", "list[str]", "[key]")
                                      or part.startswith("function-"))


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: dict[str, Problem] = {}
    for p in problems:
        seen.setdefault(p.key, p)
    return list(seen.values())


def _valid_keys(annotation: Any, loc: tuple[Any, ...]) -> list[str]:
    """The camelCase keys allowed at ``loc`` inside ``annotation`` (best effort)."""
    current = annotation
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            match = [f for f in current.model_fields.values() if (f.alias or "") == part]
            if not match:
                return []
            current = match[0].annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        elif typing.get_origin(current) is list:
            current = typing.get_args(current)[0]
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    if origin is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation
