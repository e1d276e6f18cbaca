*** Settings ***
Documentation     First attempt: killed with SIGKILL after one task, as a robot killed mid-run.
...               Later attempts pass. ${KILLER_MARKER} (environment) records the first.

*** Variables ***
${RUN_ID}    0

*** Tasks ***
Work Before The Kill
    # enough output that part of output.xml reaches the disk before the kill
    ${line}=    Evaluate    'arbete ' * 500
    FOR    ${i}    IN RANGE    40
        Log    ${i}: ${line}
    END

Killed On The First Attempt
    ${marker}=    Get Environment Variable    KILLER_MARKER
    ${first}=    Evaluate    not __import__('os').path.exists($marker)
    IF    ${first}
        Evaluate    open($marker, 'w').close()
        Evaluate    __import__('os').kill(__import__('os').getpid(), 9)
    END
    Log    second attempt passes

*** Keywords ***
Get Environment Variable
    [Arguments]    ${name}
    ${value}=    Evaluate    __import__('os').environ[$name]
    RETURN    ${value}
