"""The case types caserobot handles: owning unit, service level and manual handling time.

Each installed case type's package brings its profile (:attr:`CaseTypePackage.profile`);
``config/case_types.yaml`` may override any of its keys per case type, as a municipality's
own figures. The unit decides which caseworkers see a case type's exception items; the SLA
(days from submission) gives each item its due date; the minutes a caseworker needs by hand
give the managers' estimate of hours saved.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from caserobot import discovery
from caserobot.exceptions import ConfigurationError
from caserobot.settings import PROJECT_ROOT

CONFIG_PATH = PROJECT_ROOT / "config" / "case_types.yaml"


class CaseType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str
    unit: str = Field(description="The caseworkers' unit that owns the exception queue")
    sla_days: int = Field(gt=0, description="Days from submission to decision")
    manual_minutes: int = Field(gt=0, description="A caseworker's time for one case by hand")

    def due_at(self, submitted_at: datetime) -> datetime:
        """Submission + the SLA; never raises: near the end of time it is the last moment.

        A stored time of year 9999 (issue 13) would overflow and stop whatever asked.
        """
        try:
            return submitted_at + timedelta(days=self.sla_days)
        except OverflowError:
            return datetime.max.replace(tzinfo=submitted_at.tzinfo)


@lru_cache(maxsize=4)
def load_case_types(path: Path = CONFIG_PATH) -> dict[str, CaseType]:
    """Every installed case type's profile, with the overrides of ``path`` (if it exists).

    Raises:
        ConfigurationError: the file is malformed, names a case type that is not installed,
            or a profile is incomplete or invalid.
    """
    packages = discovery.installed()
    try:
        raw = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
        if not isinstance(raw, dict):
            raise TypeError("ska vara en tabell: ärendetyp → inställningar")
        for name in raw:
            if name not in packages:
                raise TypeError(
                    f"ärendetypen {name!r} är inte installerad (installerade: "
                    f"{', '.join(packages) or 'inga'})"
                )
        return {
            name: CaseType(name=name, **{**package.profile, **(raw.get(name) or {})})
            for name, package in packages.items()
        }
    except (OSError, yaml.YAMLError, ValidationError, TypeError) as exc:
        raise ConfigurationError(str(path), str(exc)) from exc


def case_type(name: str) -> CaseType:
    """The configuration of one case type.

    Raises:
        ConfigurationError: the case type is not in config/case_types.yaml.
    """
    types = load_case_types()
    if name not in types:
        raise ConfigurationError(
            str(CONFIG_PATH),
            f"ärendetypen {name!r} är inte installerad; installerade: {', '.join(types)}",
        )
    return types[name]


def case_types_of_units(units: list[str] | tuple[str, ...]) -> list[str]:
    """The case types whose exception queues the given units own."""
    return [name for name, t in load_case_types().items() if t.unit in units]


def units() -> list[str]:
    return sorted({t.unit for t in load_case_types().values()})
