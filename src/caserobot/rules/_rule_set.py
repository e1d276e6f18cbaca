"""The rule-set file of a case type: identity, validity, and the rules it consists of.

``rule_set.yaml`` in a case type's package (or a municipality's ``config/rules/<case_type>/``)::

    id: nacka-exempel
    version: "1.0"
    case_type: exempel
    municipality: Nacka
    title: Exempelstöd till elever i grundskolan
    decision_subject: exempelstöd
    effective_from: 2021-12-02
    effective_to: null            # last day in force (inclusive); null = until further notice
    appeal_information: Beslutet kan överklagas till förvaltningsrätten. ...
    rules:
      - id: distance
        title: Avstånd
        description: Gångavståndet ska vara längre än gränsen för elevens årskurs.
        legal_reference: Skollagen (2010:800) 10 kap. 32 §

The rule ids must match the case type's implementations one to one; that check happens
when the case type loads its configuration (:meth:`caserobot.rules.CaseType.load`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from caserobot.exceptions import ConfigurationError
from caserobot.rules._yaml import describe_validation_error, load_yaml_mapping

NonEmptyStr = Annotated[StrictStr, Field(min_length=1)]
RuleId = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*$")]
RuleSetId = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_-]*$")]


class RuleSpec(BaseModel):
    """One rule as the rule set documents it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RuleId
    title: NonEmptyStr = Field(description="Short Swedish name, used in the motivering")
    description: NonEmptyStr = Field(description="What the rule requires, in Swedish")
    legal_reference: NonEmptyStr


class RuleSet(BaseModel):
    """A case type's rule set for one municipality."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RuleSetId
    version: NonEmptyStr
    case_type: RuleId
    municipality: NonEmptyStr
    title: NonEmptyStr
    decision_subject: NonEmptyStr = Field(
        description="Completes 'Ansökan om … beviljas.' in the motivering"
    )
    effective_from: date
    effective_to: date | None = None
    appeal_information: NonEmptyStr = Field(description="How to appeal (FL 33 §), verbatim")
    sources: list[NonEmptyStr] = Field(default_factory=list)
    rules: Annotated[list[RuleSpec], Field(min_length=1)]

    @field_validator("effective_to")
    @classmethod
    def _not_before_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("effective_from")
        if value is not None and start is not None and value < start:
            raise ValueError(f"{value} is before effective_from {start}")
        return value

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[RuleSpec]) -> list[RuleSpec]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears more than once")
            seen.add(rule.id)
        return rules

    @property
    def ref(self) -> str:
        """``id@version``, the identity recorded on every decision."""
        return f"{self.id}@{self.version}"

    def rule(self, rule_id: str) -> RuleSpec:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def in_force(self, as_of: date) -> bool:
        return self.effective_from <= as_of and (
            self.effective_to is None or as_of <= self.effective_to
        )


def load_rule_set(path: Path) -> RuleSet:
    """Read and validate a rule-set file.

    Raises:
        ConfigurationError: naming the file and the first problem found.
    """
    data = load_yaml_mapping(path)
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(str(path), describe_validation_error(exc)) from None
