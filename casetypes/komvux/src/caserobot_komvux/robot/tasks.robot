*** Settings ***
Documentation       Komvux: decide every queued course choice and write the decision back
...                 into the case system.
Library             caserobot.robotlib.CaseRobot

*** Variables ***
${CASE_TYPE}        komvux
${SEATS}            ${NONE}
${MODE}             fast
${RUN_ID}           ${NONE}
${AS_OF}            ${NONE}

*** Tasks ***
Process Komvux Applications
    ${stats}=    Process Work Items    ${CASE_TYPE}    seats=${SEATS}    mode=${MODE}
    ...    run_id=${RUN_ID}    as_of=${AS_OF}
    Log    Behandlade ${stats}[processed]: ${stats}[decided] beslut, ${stats}[referred] till handläggare, ${stats}[business_exceptions] felaktiga ansökningar, ${stats}[application_errors] systemfel
