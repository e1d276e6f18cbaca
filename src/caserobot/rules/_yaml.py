"""Reading rules configuration files: strict YAML, and pydantic errors as one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from caserobot.exceptions import ConfigurationError


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate keys.

    PyYAML keeps the last of two equal keys without a word; in dated data that silently
    drops a value (two entries for the same effective date), so it must be an error.
    """


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    loader.flatten_mapping(node)  # resolve `<<` merge keys before looking for duplicates
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            continue  # unhashable keys: construct_mapping reports those itself
        if key in seen:
            mark = key_node.start_mark
            shown = key.isoformat() if hasattr(key, "isoformat") else repr(key)
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {shown}", mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    # PyYAML raises a bare ValueError for 2021-13-02; give it a line number instead.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"invalid date {node.value!r}: {exc}", node.start_mark
        ) from None


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file whose top level must be a mapping.

    Raises:
        ConfigurationError: the file is missing, unreadable, not YAML, has duplicate keys,
            or is not a mapping at the top level.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(str(path), f"cannot read file: {exc.strerror or exc}") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass  # nosec B506  # _StrictLoader subclasses yaml.SafeLoader
    except yaml.YAMLError as exc:
        raise ConfigurationError(str(path), f"invalid YAML: {_one_line(exc)}") from None
    if data is None:
        raise ConfigurationError(str(path), "file is empty")
    if not isinstance(data, dict):
        raise ConfigurationError(
            str(path), f"expected a mapping at the top level, got {type(data).__name__}"
        )
    return data


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """The first error of a pydantic ValidationError as ``location: message``.

    An unknown field comes first: a misspelt key also shows up as a missing one, and the
    misspelling is what the author needs to see.
    """
    errors = exc.errors(include_url=False)
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    parts = [prefix] if prefix else []
    for item in err["loc"]:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]" if parts else f"[{item}]"]
        elif item != "[key]":  # pydantic's marker for "the key itself was invalid"
            parts.append(str(item))
    where = ".".join(parts) or "top level"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "required field is missing"
    elif err["type"] == "extra_forbidden":
        msg = "unknown field (check the spelling)"
    elif err["type"] in ("model_type", "dict_type"):
        msg = f"must be a mapping, got {type(err['input']).__name__}"
    elif err["type"] == "too_short":
        msg = "must not be empty"
    elif err["type"] == "string_type":
        msg = f"must be a string, got {type(err['input']).__name__} (quote it in YAML)"
    return f"{where}: {msg}"


def _one_line(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc)
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem
