*** Settings ***
Documentation       Skolskjuts: decide every queued school-transport application and
...                 write the decision back into the case system.
...
...                 The process is the keyword `Process School Transport Application` below:
...                 its steps, in order, are what the robot does with each application. The
...                 engine runs it for several applications at once (one per seat) and logs
...                 each one as a task of its own under "Ärenden" in log.html.
Library             caserobot.robotlib.CaseRobot

*** Variables ***
${CASE_TYPE}        skolskjuts
${SEATS}            ${NONE}
${MODE}             fast
${RUN_ID}           ${NONE}
${AS_OF}            ${NONE}

*** Tasks ***
Process Skolskjuts Applications
    ${stats}=    Process Work Items    ${CASE_TYPE}    process=Process School Transport Application
    ...    seats=${SEATS}    mode=${MODE}    run_id=${RUN_ID}    as_of=${AS_OF}
    Log    Behandlade ${stats}[processed]: ${stats}[decided] beslut, ${stats}[referred] till handläggare, ${stats}[business_exceptions] felaktiga ansökningar, ${stats}[application_errors] systemfel

*** Keywords ***
Process School Transport Application
    [Documentation]    One application, from the e-service to the decision in the case
    ...    system. Steps side by side run at the same time.
    Read Application
    Side By Side    Read Pupil And Placement In Case System
    ...    AND    Look Up Child And Guardians In Population Register
    Side By Side    Find Or Create Case
    ...    AND    Measure Walking Distances
    Apply Rules
    Hand Over To Caseworker If Referred
    Write Decision Once And Read Back
