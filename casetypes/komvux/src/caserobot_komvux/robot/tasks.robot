*** Settings ***
Documentation       Komvux: decide every queued course choice and write the decision back
...                 into the case system.
...
...                 The process is the keyword `Process Course Choice` below: its steps, in
...                 order, are what the robot does with each course choice. The engine runs
...                 it for several course choices at once (one per seat) and logs each one as
...                 a task of its own under "Ärenden" in log.html.
Library             caserobot.robotlib.CaseRobot

*** Variables ***
${CASE_TYPE}        komvux
${SEATS}            ${NONE}
${MODE}             fast
${RUN_ID}           ${NONE}
${AS_OF}            ${NONE}

*** Tasks ***
Process Komvux Applications
    ${stats}=    Process Work Items    ${CASE_TYPE}    process=Process Course Choice
    ...    seats=${SEATS}    mode=${MODE}    run_id=${RUN_ID}    as_of=${AS_OF}
    Log    Behandlade ${stats}[processed]: ${stats}[decided] beslut, ${stats}[referred] till handläggare, ${stats}[business_exceptions] felaktiga ansökningar, ${stats}[application_errors] systemfel

*** Keywords ***
Process Course Choice
    [Documentation]    One course choice, from the application to the decision in the case
    ...    system. Steps side by side run at the same time.
    Read Application
    Check Course Start In Catalogue
    Side By Side    Look Up Applicant In Population Register
    ...    AND    Read Education In School Register
    ...    AND    Find Or Create Case
    Apply Rules
    Hand Over To Caseworker If Referred
    Write Decision Once And Read Back
