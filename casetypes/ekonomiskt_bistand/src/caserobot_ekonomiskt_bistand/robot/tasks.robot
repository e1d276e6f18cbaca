*** Settings ***
Documentation       Ekonomiskt bistånd: decide every queued monthly application; for a grant
...                 write the decision and the payment order into the case system.
...                 The rules apply as of the first day of the month applied for (AS_OF is
...                 accepted for symmetry with the other robots but not used by this case type).
...
...                 The process is the keyword `Process Economic Assistance Application` below:
...                 its steps, in order, are what the robot does with each application. The
...                 engine runs it for several applications at once (one per seat) and logs
...                 each one as a task of its own under "Ärenden" in log.html.
Library             caserobot.robotlib.CaseRobot

*** Variables ***
${CASE_TYPE}        ekonomiskt_bistand
${SEATS}            ${NONE}
${MODE}             fast
${RUN_ID}           ${NONE}
${AS_OF}            ${NONE}

*** Tasks ***
Process Ekonomiskt Bistand Applications
    ${stats}=    Process Work Items    ${CASE_TYPE}    process=Process Economic Assistance Application
    ...    seats=${SEATS}    mode=${MODE}    run_id=${RUN_ID}    as_of=${AS_OF}
    Log    Behandlade ${stats}[processed]: ${stats}[decided] beslut, ${stats}[referred] till handläggare, ${stats}[business_exceptions] felaktiga ansökningar, ${stats}[application_errors] systemfel

*** Keywords ***
Process Economic Assistance Application
    [Documentation]    One month's application, from the e-service to the decision and the
    ...    payment order in the case system. Steps side by side run at the same time.
    Read Application
    Side By Side    Read Household In Case System
    ...    AND    Look Up Applicant In Population Register
    ...    AND    Read Payments In Income Register
    Side By Side    Read Previous Decisions, Plan And Rent Caps
    ...    AND    Find Or Create Case
    Apply Rules
    Hand Over To Caseworker If Referred
    Write Decision Once And Read Back
    Order Payment Once And Read Back
