"""Raw YAML -> typed Inventory, turning every pydantic error into a located, human diagnostic."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from netauto.errors import Diagnostic, DiagnosticCollector, did_you_mean
from netauto.model.loader import DataPath, RawInventory
from netauto.model.schema import Inventory

_TYPE_NAMES = {
    "int": "an integer",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "list": "a list",
    "dict": "a mapping (key: value)",
    "NoneType": "nothing",
}


def parse_inventory(raw: RawInventory) -> Inventory:
    """Validate the merged document against the model; every problem is reported at once."""
    try:
        return Inventory.model_validate(raw.data)
    except ValidationError as exc:
        collector = DiagnosticCollector(str(raw.root))
        for error in exc.errors(include_url=False):
            path = _clean_loc(error["loc"])
            message, hint = describe_error(error, path)
            collector.add(Diagnostic(message, raw.source_map.locate(path), hint))
        collector.raise_if_errors()
        raise  # unreachable: a ValidationError always carries at least one error


def _clean_loc(loc: tuple[int | str, ...]) -> DataPath:
    """Drop pydantic's internal markers (union members, validator names, '[key]')."""
    return tuple(part for part in loc if isinstance(part, int) or not any(c in part for c in "[(,"))


def describe_error(error: ErrorDetails, path: DataPath) -> tuple[str, str]:
    """A message and a hint for one pydantic error, in the words of the inventory."""
    kind = error["type"]
    value = error.get("input")
    key = path[-1] if path else ""
    if kind == "missing":
        return f"required key '{key}' is missing", f"add '{key}:' to this entry"
    if kind == "extra_forbidden":
        return f"unknown key '{key}'", did_you_mean(str(key), _keys_at(path[:-1]))
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{_show(value)} is not allowed here", f"expected {expected}"
    if kind == "value_error":
        return error["msg"].removeprefix("Value error, "), ""
    if kind.endswith("_type") or kind.endswith("_parsing"):
        wanted = _TYPE_NAMES.get(kind.split("_")[0], kind.split("_")[0])
        return f"expected {wanted}, got {_describe_value(value)}", _type_hint(kind, value)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{_show(value)} is out of range: {error['msg'].lower()}", ""
    if kind in ("too_short", "too_long"):
        return error["msg"], ""
    return error["msg"], ""


def _type_hint(kind: str, value: Any) -> str:
    if kind.startswith("str") and isinstance(value, (int, float, bool)):
        return f"quote it if it is meant as text: '{value}'"
    if kind.startswith(("dict", "model")):
        return "write it as indented 'key: value' lines"
    if kind.startswith("list"):
        return "write it as a list: [a, b] or '- a' lines"
    return ""


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)


def _describe_value(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    return _show(value)


def _keys_at(path: DataPath) -> list[str]:
    """The keys the model accepts at `path`, for 'did you mean' hints."""
    model = _model_at(path)
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_at(path: DataPath) -> type[BaseModel] | None:
    current: Any = Inventory
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = next(
            (f for name, f in current.model_fields.items() if part in (name, f.alias)),
            None,
        )
        if field is None:
            return None
        current = _element_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _element_model(annotation: Any) -> Any:
    """Unwrap Optional, list[...] and dict[..., ...] down to a model class, if there is one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, typing.Union, types.UnionType, typing.Annotated):
        candidates = args[:1] if origin is typing.Annotated else args
        for arg in candidates:
            found = _element_model(arg)
            if found is not None:
                return found
    if origin is dict and args:
        return _element_model(args[-1])
    return None
