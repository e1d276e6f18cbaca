"""The caseworker's side of the exception queue: see, decide, and have the robot write it.

Caseworkers see the open items of their own units' case types (``config/case_types.yaml``),
ordered by due date. An item shows the application, every fact with its source and time, the
rule trace, why the robot stopped and the recommended decision with a draft motivering.

Three actions, each one transaction (action row, audit entry, exception item resolved for a
decision, and a work item of kind ``caseworker_action`` for the robot):

* :func:`accept` the recommendation, :func:`decide` otherwise (with a motivering): the robot
  writes the decision into the case system exactly once (``caserobot.cases.caseworker``),
  then :func:`record_written` fills in the diarienummer and the time;
* :func:`request_completion`: the robot sends the message to the applicant through the
  e-service; the item stays open.

A second decision on an item is refused (:class:`AlreadyDecided`); another unit's item is
:class:`NotPermitted` (the web layer answers 404).
"""

from caserobot.casework._actions import (
    accept,
    action_key,
    decide,
    record_failed,
    record_written,
    request_completion,
)
from caserobot.casework._records import (
    ActionRecord,
    AlreadyDecided,
    CaseworkError,
    ItemDetail,
    NotPermitted,
    QueueEntry,
)
from caserobot.casework._view import due_at, item, queue_for, submitted_at


def __getattr__(name: str) -> object:
    """``wake_robot`` is imported when first asked for: it needs Prefect's client, which
    the robots' own processes (that import this package for the write-backs) never load
    (about 60 MB each, issue 9)."""
    if name == "wake_robot":
        from caserobot.casework._wake import wake_robot

        return wake_robot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "wake_robot",
    "ActionRecord",
    "AlreadyDecided",
    "CaseworkError",
    "ItemDetail",
    "NotPermitted",
    "QueueEntry",
    "accept",
    "action_key",
    "decide",
    "due_at",
    "item",
    "queue_for",
    "record_failed",
    "record_written",
    "request_completion",
    "submitted_at",
]
