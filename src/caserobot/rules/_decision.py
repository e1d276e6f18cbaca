"""What a decision records: outcome, decisive reasons, trace, and the Swedish motivering."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationInfo,
    model_validator,
)

from caserobot.exceptions import reason_code
from caserobot.outcomes import REFER, OutcomeSpec, known
from caserobot.rules._calculation import Calculation, CalculationLine, kronor, render_calculation
from caserobot.rules._parameters import ParameterUse
from caserobot.rules._rule_set import RuleSet

#: ``granted``, ``denied``, an outcome the case type declares, or ``refer``.
Outcome = str
#: The outcome the rules alone reach (never ``refer``).
RecommendedOutcome = str


def _known_reason(code: str) -> str:
    """A reason code of the core or of an installed case type (stored as its string)."""
    return reason_code(code).value


class TraceStep(BaseModel):
    """One rule as it was applied."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    kind: Literal["condition", "referral", "outcome", "value"]
    title: str
    legal_reference: str
    variant_since: date | None = Field(
        default=None, description="Start date of the rule's code variant; null = the original"
    )
    inputs: dict[str, Any]
    parameters: list[ParameterUse] = Field(default_factory=list)
    result: Any = Field(
        description="A condition: true/false. A referral: its reason code, or null if the "
        "rule did not refer. Otherwise the value the rule computed."
    )
    reason: str | None = Field(default=None, description="The sentence the rule stated")
    decisive: bool = Field(
        default=False, description="Whether the decision rests on this step (FL 32 §)"
    )


class Trace(RootModel[list[TraceStep]]):
    """Every rule applied, in order. Serialises as a plain list."""

    def __iter__(self) -> Iterator[TraceStep]:  # type: ignore[override]
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)

    def rule_ids(self) -> list[str]:
        return [step.rule_id for step in self.root]

    def step(self, rule_id: str) -> TraceStep:
        """The step of a rule. Raises KeyError if the rule was not applied."""
        for step in self.root:
            if step.rule_id == rule_id:
                return step
        raise KeyError(rule_id)


class Decision(BaseModel):
    """The result of applying a case type's rules to one application.

    ``recommended_outcome`` is what the rules alone say: for ``refer`` the outcome a
    caseworker is advised to reach, otherwise equal to ``outcome`` (never null, so
    consumers can always read it). ``reasons`` are the decisive circumstances (FL 32 §):
    for ``denied`` every condition that failed, for ``granted`` every condition met, and
    for ``refer`` first why a person must decide, then the basis of the recommendation.

    Case types that calculate an amount by a means test also fill
    ``amount``, ``norm``, ``reasonable_costs``, ``counted_income`` and ``calculation``;
    for the others these are null and empty.
    """

    model_config = ConfigDict(frozen=True)

    outcome: Outcome = Field(description="granted, denied, an outcome of the case type, or refer")
    recommended_outcome: RecommendedOutcome
    reasons: list[str]
    reason_codes: list[Annotated[str, AfterValidator(_known_reason)]] = Field(
        description="Why the case goes to a caseworker; empty unless outcome is refer"
    )
    case_type: str
    rule_set: str = Field(description="id@version of the rule set applied")
    municipality: str
    as_of: date = Field(description="The date whose rules and parameters were applied")
    inputs: dict[str, Any] = Field(description="The validated, normalised input")
    trace: Trace
    motivering: str = Field(description="Swedish text for the case system's decision form")
    amount: int | None = Field(
        default=None,
        description="Whole kronor granted (for refer: recommended); 0 if denied; null if the "
        "case type calculates no amount",
    )
    norm: int | None = Field(default=None, description="Whole kronor; means tests only")
    reasonable_costs: int | None = Field(default=None, description="Whole kronor")
    counted_income: int | None = Field(default=None, description="Whole kronor")
    calculation: list[CalculationLine] = Field(
        default_factory=list, description="Every norm, cost and income line of the amount"
    )

    @model_validator(mode="after")
    def _known_outcomes(self, info: ValidationInfo) -> Decision:
        """The outcomes are the case type's: given by the engine that decided, else those
        of the registered case type (or of every installed one)."""
        from caserobot.rules._engine import registered  # the engine builds decisions

        outcomes = (info.context or {}).get("outcomes")
        if outcomes is None:
            case_type = registered(self.case_type)
            outcomes = case_type.outcomes if case_type is not None else known()
        if self.recommended_outcome not in outcomes:
            raise ValueError(
                f"recommended_outcome {self.recommended_outcome!r} is not one of "
                f"{self.case_type}'s outcomes"
            )
        if self.outcome not in (REFER, self.recommended_outcome):
            raise ValueError("outcome must be refer or the recommended outcome")
        return self

    def failed_rules(self) -> list[str]:
        """Ids of the conditions that were not met."""
        return [s.rule_id for s in self.trace if s.kind == "condition" and s.result is False]


def render_motivering(
    rule_set: RuleSet,
    as_of: date,
    recommended: OutcomeSpec,
    referrals: list[str],
    basis: list[str],
    trace: Trace,
    calculation: Calculation | None = None,
) -> str:
    """Build the Swedish motivering: decision, decisive facts, rules, how to appeal.

    Follows FL 32 § as DIGG reads it for automated decisions: name the rules the decision
    rests on and the circumstances that were decisive, in plain language.
    """
    subject = f"Ansökan om {rule_set.decision_subject}"
    verb, infinitive = recommended.verb, recommended.infinitive
    if calculation is not None and recommended.with_amount:
        verb += f" med {kronor(calculation.amount)}"
        infinitive += f" med {kronor(calculation.amount)}"
    lines: list[str] = []
    if referrals:
        lines += ["Förslag till beslut", f"{subject} bör {infinitive}.", ""]
        lines += ["Ärendet ska prövas av en handläggare eftersom:"]
        lines += [f"- {r}" for r in referrals]
        lines += ["", "Underlag för förslaget:"]
        lines += [f"- {r}" for r in basis]
    else:
        lines += ["Beslut", f"{subject} {verb}.", "", "Skäl för beslutet:"]
        lines += [f"- {r}" for r in basis]
    if calculation is not None:
        lines += ["", *render_calculation(calculation)]
    lines += ["", "Tillämpade regler:"]
    lines += [f"- {s.title} ({s.legal_reference})" for s in trace if s.decisive]
    lines.append("")
    ruleset = f"{rule_set.municipality} kommuns regeluppsättning {rule_set.ref}"
    if referrals:
        lines.append(
            f"Underlaget har tagits fram automatiskt enligt {ruleset} i den lydelse som gällde "
            f"{as_of.isoformat()}. Beslutet fattas av en handläggare."
        )
    else:
        lines.append(
            f"Beslutet har fattats automatiskt (förvaltningslagen 28 §) enligt {ruleset} "
            f"i den lydelse som gällde {as_of.isoformat()}."
        )
    lines += ["", "Hur man överklagar:", rule_set.appeal_information]
    return "\n".join(lines)
