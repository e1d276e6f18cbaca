"""Rule parameters as dated data (modelled on openfisca's parameters).

A ``parameters.yaml`` maps parameter names to::

    distance_threshold_m:
      description: Gångavstånd som måste överskridas, per årskurs.
      legal_reference: Skollagen (2010:800) 10 kap. 32 §
      unit: m
      values:
        2021-12-02:
          value: {F: 2000, 1: 2000, 2: 2000, 3: 3000}
        2027-01-01:
          value: null          # repealed from this date

A value is a scalar or a table (a flat mapping, e.g. a norm table keyed by age band).
``local_choice: true`` marks a municipality's own level where no national figure exists
(the trace carries the mark).
The value in force on a date is the one with the latest effective date on or before it.
An entry's ``note`` travels with the value into the trace (e.g. "ESTIMATE: …"); on a
``null`` entry it says why nothing is in force, and the lookup error quotes it.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from caserobot.exceptions import ConfigurationError
from caserobot.rules._yaml import describe_validation_error, load_yaml_mapping

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


def _keys_to_str(value: Any) -> Any:
    # YAML reads `1: 2000` with an int key and `2021-12-02:` with a date key; as strings,
    # table lookups are uniform and error locations read as written.
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


def _check_value(value: Any) -> Any:
    scalar = (bool, int, float, str)
    if value is None or isinstance(value, scalar):
        return value
    if isinstance(value, dict) and all(isinstance(v, scalar) for v in value.values()):
        return _keys_to_str(value)
    raise PydanticCustomError(
        "parameter_value", "must be a number, string, boolean, a flat table of those, or null"
    )


NonEmptyStr = Annotated[StrictStr, Field(min_length=1)]


class DatedValue(BaseModel):
    """One entry under ``values``: the value from its effective date on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Annotated[Any, AfterValidator(_check_value)] = Field(
        description="A scalar or a flat table; null means repealed from this date"
    )
    legal_reference: NonEmptyStr | None = Field(
        default=None, description="Overrides the parameter's reference from this date on"
    )
    note: StrictStr | None = None


class Parameter(BaseModel):
    """A named, documented parameter with values keyed by effective date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: NonEmptyStr
    legal_reference: NonEmptyStr
    unit: NonEmptyStr
    values: Annotated[dict[date, DatedValue], BeforeValidator(_keys_to_str), Field(min_length=1)]
    documentation: StrictStr | None = None
    local_choice: bool = Field(
        default=False,
        description="The municipality's own level: no national or legal figure exists",
    )

    def entry_at(self, as_of: date) -> tuple[date, DatedValue] | None:
        """The entry in force on ``as_of``, or None if none is (not yet or repealed)."""
        found = self.latest_entry(as_of)
        return None if found is None or found[1].value is None else found

    def latest_entry(self, as_of: date) -> tuple[date, DatedValue] | None:
        """The latest entry on or before ``as_of``, even a ``null`` one (a repeal)."""
        starts = [d for d in self.values if d <= as_of]
        if not starts:
            return None
        start = max(starts)
        return start, self.values[start]


class ParameterUse(BaseModel):
    """A parameter value as a rule used it; kept in the trace for reproducibility."""

    model_config = ConfigDict(frozen=True)

    name: str
    key: str | None = None
    value: Any
    unit: str
    valid_from: date
    legal_reference: str
    note: str | None = None
    local_choice: bool = False


class ParameterSet:
    """The parameters of one case type, read from one file."""

    def __init__(self, path: Path, parameters: dict[str, Parameter]) -> None:
        self.path = path
        self.parameters = parameters

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def names(self) -> list[str]:
        return sorted(self.parameters)

    def use(self, name: str, as_of: date, key: str | None = None) -> ParameterUse:
        """Look up a parameter (and optionally one key of its table) as of a date.

        Raises:
            ConfigurationError: no such parameter, no value in force on ``as_of``, the
                value is not a table although a key was given, or the key is missing.
        """
        param = self.parameters.get(name)
        if param is None:
            raise ConfigurationError(
                str(self.path), f"no parameter named {name!r} (defined: {', '.join(self.names())})"
            )
        found = param.entry_at(as_of)
        if found is None:
            dates = ", ".join(d.isoformat() for d in sorted(param.values))
            repeal = param.latest_entry(as_of)
            why = f": {repeal[1].note}" if repeal and repeal[1].note else ""
            raise ConfigurationError(
                str(self.path),
                f"parameter {name!r} has no value in force on {as_of.isoformat()} "
                f"(effective dates: {dates}){why}",
            )
        start, entry = found
        value: Any = entry.value
        if key is not None:
            if not isinstance(value, dict):
                raise ConfigurationError(
                    str(self.path), f"parameter {name!r} is not a table; cannot look up {key!r}"
                )
            if key not in value:
                raise ConfigurationError(
                    str(self.path),
                    f"parameter {name!r} (from {start.isoformat()}) has no entry {key!r}",
                )
            value = value[key]
        return ParameterUse(
            name=name,
            key=key,
            value=value,
            unit=param.unit,
            valid_from=start,
            legal_reference=entry.legal_reference or param.legal_reference,
            note=entry.note,
            local_choice=param.local_choice,
        )

    def value(self, name: str, as_of: date, key: str | None = None) -> Any:
        """The value of a parameter (or one table entry) in force on ``as_of``."""
        return self.use(name, as_of, key).value


def load_parameters(path: Path) -> ParameterSet:
    """Read and validate a parameters file.

    Raises:
        ConfigurationError: naming the file and the first problem found.
    """
    data = load_yaml_mapping(path)
    parameters: dict[str, Parameter] = {}
    for name, body in data.items():
        if not isinstance(name, str) or not _is_name(name):
            raise ConfigurationError(
                str(path), f"{name!r}: parameter names must be lower_snake_case"
            )
        try:
            parameters[name] = Parameter.model_validate(body)
        except ValidationError as exc:
            raise ConfigurationError(str(path), describe_validation_error(exc, name)) from None
    return ParameterSet(path, parameters)


def _is_name(name: str) -> bool:
    return re.fullmatch(NAME_PATTERN, name) is not None
