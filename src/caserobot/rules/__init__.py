"""Rules as code: dated parameters, rule sets per case type, decisions with a trace.

Entry points: :func:`decide` and :func:`case_types`. A case type's package builds a
:class:`CaseType` and registers it; the installed case types are found through
:mod:`caserobot.discovery` (entry points). Its rule set and parameters live in the package
(``CaseType.config_dir``); ``config/rules/<case_type>/`` overrides them. See README.md
next to this file.
"""

from caserobot.rules._calculation import Calculation, CalculationLine, kronor
from caserobot.rules._decision import Decision, Outcome, RecommendedOutcome, Trace, TraceStep
from caserobot.rules._engine import (
    CaseType,
    Check,
    Conclusion,
    Evaluation,
    LoadedRules,
    Referral,
    case_types,
    decide,
    get_case_type,
    register,
    registered_or_installed,
)
from caserobot.rules._parameters import Parameter, ParameterSet, ParameterUse, load_parameters
from caserobot.rules._rule_set import RuleSet, RuleSpec, load_rule_set

__all__ = [
    "Calculation",
    "CalculationLine",
    "CaseType",
    "Check",
    "Conclusion",
    "Decision",
    "Evaluation",
    "LoadedRules",
    "Outcome",
    "Parameter",
    "ParameterSet",
    "ParameterUse",
    "RecommendedOutcome",
    "Referral",
    "RuleSet",
    "RuleSpec",
    "Trace",
    "TraceStep",
    "kronor",
    "case_types",
    "decide",
    "get_case_type",
    "load_parameters",
    "load_rule_set",
    "register",
    "registered_or_installed",
]
