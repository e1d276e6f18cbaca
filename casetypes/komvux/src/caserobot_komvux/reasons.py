"""Why a Komvux application goes to a caseworker: Komvux's own reason codes.

The core's codes (bad input, registers, protected identity, the case system) are
:class:`caserobot.exceptions.ReasonCode`; these are found through the package.
"""

from __future__ import annotations

from caserobot.exceptions import Reason


class KomvuxReason(Reason):
    # The rules say a person decides
    OTHER_HOME_MUNICIPALITY = ("other_home_municipality", "Annan hemkommun")
    NOT_REGISTERED_IN_SWEDEN = ("not_registered_in_sweden", "Inte folkbokförd i Sverige")
    FOREIGN_GRADES = ("foreign_grades", "Utländska betyg")
    UNDER_20_SPECIAL_REASONS = ("under_20_special_reasons", "Under 20 år – särskilda skäl")
