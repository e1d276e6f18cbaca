"""Why an application for ekonomiskt bistånd goes to a caseworker: the case type's own
reason codes (Trelleborg's checks and more).

The core's codes (bad input, registers, protected identity, health data, a proposed
refusal, the case system) are :class:`caserobot.exceptions.ReasonCode`; these are found
through the package.
"""

from __future__ import annotations

from caserobot.exceptions import Reason


class BistandReason(Reason):
    # A means test: the rules say a person decides
    FIRST_APPLICATION = ("first_application", "Första ansökan")
    REGISTER_MISMATCH = ("register_mismatch", "Registrerade inkomster avviker från ansökan")
    CHANGED_SINCE_PREVIOUS = ("changed_since_previous", "Ändrat sedan förra ansökan")
    NO_LABOUR_MARKET_PLAN = ("no_labour_market_plan", "Ingen aktiv planering mot arbete")
    RENT_ABOVE_CAP = ("rent_above_cap", "Hyran över kommunens tak")
    SPECIAL_EXPENSES = ("special_expenses", "Särskilda utgifter sökta")
    ASSETS_DECLARED = ("assets_declared", "Tillgångar uppgivna")
    SAMORDNINGSNUMMER = ("samordningsnummer", "Samordningsnummer")
    NOT_REGISTERED_IN_MUNICIPALITY = (
        "not_registered_in_municipality",
        "Inte folkbokförd i kommunen",
    )
    ADULT_CHILD = ("adult_child", "Vuxet barn i hushållet")
    NORM_ESTIMATED = ("norm_estimated", "Normen för året är en uppskattning")
    # Absurd values: a person decides (issue 13)
    COST_ABOVE_GUIDELINE = ("cost_above_guideline", "Belopp över kommunens riktvärde")
