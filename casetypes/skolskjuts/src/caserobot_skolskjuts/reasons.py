"""Why a skolskjuts application goes to a caseworker: skolskjuts's own reason codes.

The core's codes (bad input, registers, protected identity, the case system) are
:class:`caserobot.exceptions.ReasonCode`; these are found through the package.
"""

from __future__ import annotations

from caserobot.exceptions import Reason


class SkolskjutsReason(Reason):
    # The application does not match the case system or the route service
    UNKNOWN_SCHOOL = ("unknown_school", "Okänd skola")
    SCHOOL_MISMATCH = ("school_mismatch", "Skolan stämmer inte med skolplaceringen")
    ABSURD_DISTANCE = ("absurd_distance", "Orimligt avstånd")
    NOT_GUARDIAN = ("not_guardian", "Sökanden är inte vårdnadshavare")
    UNKNOWN_MUNICIPALITY = ("unknown_municipality", "Okänd kommun")
    # The rules say a person decides
    MEDICAL_CERTIFICATE = ("medical_certificate", "Läkarintyg bifogat")
    TRAFFIC_DANGER = ("traffic_danger", "Trafikfarlig väg anges")
    TAXI_REQUESTED = ("taxi_requested", "Taxi begärs")
    FORSKOLEKLASS = ("forskoleklass", "Förskoleklass")
