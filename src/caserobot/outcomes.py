"""The outcomes a decision can have: the core's two, and those a case type adds.

Every case type can grant (``granted``) or refuse (``denied``) and can hand a case to a
person (``refer``, not an outcome of its own here: a referral carries the outcome the rules
recommend). A case type whose law knows another answer declares it on its
:class:`caserobot.rules.CaseType` (say, ``selection``: eligible but admitted through
selection), with the words the platform shows, writes into the motivering and into the case
system's decision form, and reads back from it. Nothing in the core names such an outcome;
it looks the words up here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

REFER = "refer"


@dataclass(frozen=True)
class OutcomeSpec:
    """One outcome and its words.

    Attributes:
        code: Stored in the registry and in the decision (``[a-z_]+``).
        label: What staff see ("Beviljas").
        verb: Completes the motivering's "Ansökan om … <verb>." ("beviljas").
        infinitive: Completes a recommendation's "Ansökan om … bör <infinitive>."
        written_as: The value chosen in the case system's decision form ("bifall").
        read_back: Words the case system may show for it (compared in lower case); the
            ``written_as`` value and the label count too.
        report_label: Its line in run reports ("Beviljat (automatiskt)").
        with_amount: A means-tested amount goes with it (only a grant pays).
    """

    code: str
    label: str
    verb: str
    infinitive: str
    written_as: str
    read_back: frozenset[str] = field(default_factory=frozenset)
    report_label: str = ""
    with_amount: bool = False

    def __post_init__(self) -> None:
        if not self.code or not self.code.replace("_", "a").isalpha() or not self.code.islower():
            raise ValueError(f"outcome code {self.code!r}: write lower-case letters and _")
        if self.code == REFER:
            raise ValueError("'refer' is not an outcome of a decision; it is a referral")

    def words(self) -> frozenset[str]:
        """Every word the case system may show for this outcome, lower case."""
        return frozenset(w.lower() for w in (*self.read_back, self.written_as, self.label))

    def report_text(self) -> str:
        return self.report_label or f"{self.label} (automatiskt)"


GRANTED = OutcomeSpec(
    code="granted",
    label="Beviljas",
    verb="beviljas",
    infinitive="beviljas",
    written_as="bifall",
    read_back=frozenset({"beviljat"}),
    report_label="Beviljat (automatiskt)",
    with_amount=True,
)
DENIED = OutcomeSpec(
    code="denied",
    label="Avslås",
    verb="avslås",
    infinitive="avslås",
    written_as="avslag",
    read_back=frozenset({"avslaget"}),
    report_label="Avslaget (automatiskt)",
)
CORE: tuple[OutcomeSpec, ...] = (GRANTED, DENIED)


def merge(extra: Iterable[OutcomeSpec], where: str) -> dict[str, OutcomeSpec]:
    """The core outcomes and ``extra`` by code; a code declared twice is refused."""
    found = {o.code: o for o in CORE}
    for spec in extra:
        if spec.code in found:
            raise ValueError(f"{where}: outcome {spec.code!r} is already declared")
        found[spec.code] = spec
    return found


@lru_cache(maxsize=1)
def known() -> dict[str, OutcomeSpec]:
    """Every outcome of the core and of the installed case types, by code.

    Two case types may declare the same code only with the same words.
    """
    from caserobot.rules import case_types, get_case_type  # the rules use this module

    found = {o.code: o for o in CORE}
    for name in case_types():
        for code, spec in get_case_type(name).outcomes.items():
            if found.setdefault(code, spec) != spec:
                raise ValueError(f"ärendetypen {name}: utfallet {code!r} finns med andra ord")
    return found


def spec(code: str) -> OutcomeSpec | None:
    """The outcome ``code``, or None (``refer`` and unknown codes)."""
    return known().get(code)


def label(code: str | None, default: str = "–") -> str:
    """Staff's word for an outcome; ``default`` for None, the code itself if unknown."""
    if code is None:
        return default
    found = spec(code)
    return found.label if found else code


def of_case_type(case_type: str) -> dict[str, OutcomeSpec]:
    """The outcomes a case type can decide (the core's two if it is not installed)."""
    from caserobot.rules import registered_or_installed

    found = registered_or_installed(case_type)
    return found.outcomes if found is not None else {o.code: o for o in CORE}


def written_as(code: str) -> str:
    """The case system's decision value for ``code``; KeyError for an unknown outcome."""
    found = spec(code)
    if found is None:
        raise KeyError(code)
    return found.written_as


def read_back(text: str) -> str | None:
    """The outcome the case system shows as ``text`` ("Beviljas", "bifall"…), or None."""
    word = text.strip().lower()
    return next((o.code for o in known().values() if word in o.words()), None)


def automated(code: str | None) -> bool:
    """Whether a stored outcome is a decision (not a referral or an exception)."""
    return code is not None and code in known()
