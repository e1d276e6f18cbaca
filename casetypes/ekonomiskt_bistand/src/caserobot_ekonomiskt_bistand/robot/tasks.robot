*** Settings ***
Documentation       Ekonomiskt bistånd: decide every queued monthly application; for a grant
...                 write the decision and the payment order into the case system.
...                 The rules apply as of the first day of the month applied for (AS_OF is
...                 accepted for symmetry with the other robots but not used by this case type).
Library             caserobot.robotlib.CaseRobot

*** Variables ***
${CASE_TYPE}        ekonomiskt_bistand
${SEATS}            ${NONE}
${MODE}             fast
${RUN_ID}           ${NONE}
${AS_OF}            ${NONE}

*** Tasks ***
Process Ekonomiskt Bistand Applications
    ${stats}=    Process Work Items    ${CASE_TYPE}    seats=${SEATS}    mode=${MODE}
    ...    run_id=${RUN_ID}    as_of=${AS_OF}
    Log    Behandlade ${stats}[processed]: ${stats}[decided] beslut, ${stats}[referred] till handläggare, ${stats}[business_exceptions] felaktiga ansökningar, ${stats}[application_errors] systemfel
