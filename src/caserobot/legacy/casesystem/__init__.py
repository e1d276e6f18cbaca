"""The legacy case system, reached only through its web UI (see README.md)."""

from caserobot.legacy.casesystem.pages import CaseRecord, CaseSummary, Placement, Pupil, School
from caserobot.legacy.casesystem.session import CaseSystemSession

__all__ = ["CaseRecord", "CaseSummary", "CaseSystemSession", "Placement", "Pupil", "School"]
