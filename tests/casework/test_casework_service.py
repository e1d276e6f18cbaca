"""The caseworker's exception queue as a service, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from caserobot import audit, casework
from caserobot.exceptions import InputError
from caserobot.queue import WorkQueue
from tests.utils.casework import refer

SKOLSKJUTS = ["Skolskjuts"]
FSSTOD = ["Försörjningsstöd"]


@pytest.fixture
def queue(db) -> WorkQueue:  # type: ignore[no-untyped-def]
    return WorkQueue(db.sessions)


def test_queue_is_ordered_by_due_date_and_limited_to_the_units_case_types(db, queue):
    late = refer(queue, "ES-3", submitted_at="2026-08-05T09:00:00+02:00")
    early = refer(queue, "ES-1", submitted_at="2026-07-20T09:00:00+02:00")
    middle = refer(queue, "ES-2", submitted_at="2026-08-01T09:00:00+02:00")
    eb = refer(queue, "ES-9", case_type="ekonomiskt_bistand", amount=5400)

    entries = casework.queue_for(db.sessions, SKOLSKJUTS)

    assert [e.id for e in entries] == [early.id, middle.id, late.id]
    # due = submitted + the case type's SLA (21 days for skolskjuts)
    assert entries[0].due_at == datetime(2026, 8, 10, 7, 0, tzinfo=UTC)
    assert entries[0].case_type_label == "Skolskjuts"
    assert entries[0].reasons == [("medical_certificate", "Läkarintyg bifogat")]
    assert [e.id for e in casework.queue_for(db.sessions, FSSTOD)] == [eb.id]
    assert casework.queue_for(db.sessions, FSSTOD)[0].recommended_amount == 5400
    assert casework.queue_for(db.sessions, ["Okänd enhet"]) == []
    both = casework.queue_for(db.sessions, SKOLSKJUTS + FSSTOD, case_type="ekonomiskt_bistand")
    assert [e.id for e in both] == [eb.id]


def test_overdue_is_marked_against_the_given_time(db, queue):
    refer(queue, "ES-1", submitted_at="2026-07-01T09:00:00+02:00")  # due 2026-07-22
    [before] = casework.queue_for(db.sessions, SKOLSKJUTS, now=datetime(2026, 7, 21, tzinfo=UTC))
    [after] = casework.queue_for(db.sessions, SKOLSKJUTS, now=datetime(2026, 7, 23, tzinfo=UTC))
    assert (before.overdue, after.overdue) == (False, True)


def test_reason_filter(db, queue):
    medical = refer(queue, "ES-1", reasons=("medical_certificate",))
    taxi = refer(queue, "ES-2", reasons=("taxi_requested", "traffic_danger"))
    assert [e.id for e in casework.queue_for(db.sessions, SKOLSKJUTS, reason="traffic_danger")] == [
        taxi.id
    ]
    assert [
        e.id for e in casework.queue_for(db.sessions, SKOLSKJUTS, reason="medical_certificate")
    ] == [medical.id]
    assert casework.queue_for(db.sessions, SKOLSKJUTS, reason="protected_identity") == []


def test_detail_shows_application_facts_trace_and_recommendation(db, queue):
    ref = refer(queue, "ES-1", legacy_case_id="A-77")

    detail = casework.item(db.sessions, ref.id, SKOLSKJUTS)

    assert detail.application["applicant"]["personnummer"] == "19800101-9803"
    facts = {f["name"]: f for f in detail.facts}
    assert facts["gångavstånd_m"]["value"] == 2500
    assert facts["gångavstånd_m"]["source"] == "vägtjänsten"
    assert facts["gångavstånd_m"]["fetched_at"] == "2026-08-02T08:00:00+00:00"
    assert detail.trace[0]["legal_reference"] == "SL 10 kap. 32 §"
    assert detail.rule_set == "skolskjuts@1.0"
    assert detail.recommended_outcome == "granted"
    assert detail.draft_motivering.startswith("Förslag till beslut\n")
    assert detail.decision_motivering == (
        "Beslut\nAnsökan om skolskjuts beviljas.\n\n"
        "Skäl för beslutet:\n- Läkarintyg.\n\nBeslutet har fattats av en handläggare."
    )
    assert detail.legacy_case_id == "A-77"
    assert detail.actions == [] and not detail.decided and not detail.amount_required


def test_another_units_item_is_not_permitted(db, queue):
    eb = refer(queue, "ES-9", case_type="ekonomiskt_bistand", amount=100)
    with pytest.raises(casework.NotPermitted):
        casework.item(db.sessions, eb.id, SKOLSKJUTS)
    with pytest.raises(casework.NotPermitted):
        casework.accept(db.sessions, eb.id, SKOLSKJUTS, actor="skolskjuts")
    with pytest.raises(casework.NotPermitted):
        casework.item(db.sessions, 999_999, SKOLSKJUTS)
    assert casework.item(db.sessions, eb.id, FSSTOD).status == "open"


def test_accept_resolves_the_item_queues_a_write_back_and_audits_it(db, queue):
    ref = refer(queue, "ES-1")

    action = casework.accept(db.sessions, ref.id, SKOLSKJUTS, actor="anna", client="10.0.0.5")

    assert (action.action, action.outcome, action.state) == ("accept", "granted", "pending")
    assert action.motivering.startswith("Beslut\nAnsökan om skolskjuts beviljas.")
    assert action.legacy_case_id == "A-1"
    detail = casework.item(db.sessions, ref.id, SKOLSKJUTS)
    assert (detail.status, detail.resolved_by, detail.decided) == ("resolved", "anna", True)
    assert casework.queue_for(db.sessions, SKOLSKJUTS) == []
    [work] = [i for i in queue.items(case_type="skolskjuts") if i.kind == "caseworker_action"]
    assert work.idempotency_key == f"skolskjuts:ES-1:caseworker-action:{action.id}"
    assert work.payload["action_id"] == action.id and work.state == "new"
    assert work.payload["application"]["id"] == "ES-1"
    [entry] = audit.entries(db.sessions, action_prefix="exception.")
    assert (entry.actor, entry.action, entry.target) == (
        "anna",
        "exception.accept",
        f"exception:{ref.id}",
    )
    assert entry.before == {"status": "open"} and entry.after["status"] == "resolved"
    assert entry.client == "10.0.0.5"
    # write-back items are not applications: run counts leave them out
    assert queue.counts("skolskjuts")["new"] == 0
    assert queue.counts("skolskjuts", kind="caseworker_action")["new"] == 1


def test_no_second_decision(db, queue):
    ref = refer(queue, "ES-1")
    casework.decide(
        db.sessions, ref.id, SKOLSKJUTS, outcome="denied", motivering="Avslås.", actor="anna"
    )
    with pytest.raises(casework.AlreadyDecided, match="redan beslutat av anna"):
        casework.accept(db.sessions, ref.id, SKOLSKJUTS, actor="bertil")
    with pytest.raises(casework.AlreadyDecided):
        casework.decide(
            db.sessions, ref.id, SKOLSKJUTS, outcome="granted", motivering="x", actor="bertil"
        )
    with pytest.raises(casework.AlreadyDecided):
        casework.request_completion(db.sessions, ref.id, SKOLSKJUTS, message="x", actor="b")
    assert len(casework.item(db.sessions, ref.id, SKOLSKJUTS).actions) == 1
    assert len(audit.entries(db.sessions, action_prefix="exception.")) == 1


def test_decisions_are_validated_per_case_type(db, queue):
    sk = refer(queue, "ES-1")
    eb = refer(queue, "ES-9", case_type="ekonomiskt_bistand", amount=4200)
    with pytest.raises(InputError) as exc:
        casework.decide(db.sessions, sk.id, SKOLSKJUTS, outcome="maybe", motivering="x", actor="a")
    assert exc.value.field == "outcome"
    with pytest.raises(InputError) as exc:
        casework.decide(
            db.sessions, sk.id, SKOLSKJUTS, outcome="denied", motivering=" \n", actor="a"
        )
    assert exc.value.field == "motivering"
    with pytest.raises(InputError) as exc:
        casework.decide(
            db.sessions, sk.id, SKOLSKJUTS, outcome="granted", motivering="x", amount=5, actor="a"
        )
    assert exc.value.field == "amount"
    with pytest.raises(InputError, match="belopp") as exc:
        casework.decide(db.sessions, eb.id, FSSTOD, outcome="granted", motivering="x", actor="a")
    with pytest.raises(InputError, match="avslag har inget belopp"):
        casework.decide(
            db.sessions, eb.id, FSSTOD, outcome="denied", motivering="x", amount=10, actor="a"
        )
    assert casework.queue_for(db.sessions, FSSTOD)[0].id == eb.id  # nothing half-done

    action = casework.decide(
        db.sessions,
        eb.id,
        FSSTOD,
        outcome="granted",
        motivering="Beviljas.",
        amount=3900,
        actor="a",
    )
    assert (action.outcome, action.amount) == ("granted", 3900)


def test_accept_takes_the_recommended_amount_and_needs_a_recommendation(db, queue):
    eb = refer(queue, "ES-9", case_type="ekonomiskt_bistand", amount=6120)
    bad = refer(queue, "ES-10", reasons=("missing_field",), recommended=None)
    assert casework.accept(db.sessions, eb.id, FSSTOD, actor="a").amount == 6120
    with pytest.raises(casework.CaseworkError, match="ingen rekommendation"):
        casework.accept(db.sessions, bad.id, SKOLSKJUTS, actor="a")


def test_completion_request_keeps_the_item_open_then_a_decision_is_possible(db, queue):
    ref = refer(queue, "ES-1")
    first = casework.request_completion(
        db.sessions, ref.id, SKOLSKJUTS, message="Skicka läkarintyget.", actor="anna"
    )
    assert (first.action, first.state, first.outcome) == ("request_completion", "pending", None)
    [entry] = casework.queue_for(db.sessions, SKOLSKJUTS)
    assert entry.pending_action == "request_completion"
    with pytest.raises(casework.CaseworkError, match="väntar redan"):
        casework.request_completion(db.sessions, ref.id, SKOLSKJUTS, message="Igen", actor="anna")
    with pytest.raises(InputError):
        casework.request_completion(db.sessions, ref.id, SKOLSKJUTS, message="", actor="anna")
    casework.accept(db.sessions, ref.id, SKOLSKJUTS, actor="anna")
    assert [a.action for a in casework.item(db.sessions, ref.id, SKOLSKJUTS).actions] == [
        "request_completion",
        "accept",
    ]


def test_the_robots_record_of_the_write_and_of_giving_up(db, queue):
    ok = refer(queue, "ES-1")
    bad = refer(queue, "ES-2")
    written = casework.accept(db.sessions, ok.id, SKOLSKJUTS, actor="anna")
    failed = casework.accept(db.sessions, bad.id, SKOLSKJUTS, actor="anna")
    claimed = queue.claim("skolskjuts", "robot", lease_seconds=60, limit=5)
    assert {i.payload["action_id"] for i in claimed} == {written.id, failed.id}
    by_action = {i.payload["action_id"]: i for i in claimed}
    at = datetime(2026, 8, 20, 9, 30, tzinfo=UTC)

    queue.complete_with(
        by_action[written.id].id,
        "robot",
        lambda s: casework.record_written(
            s,
            written.id,
            legacy_case_id="A-1",
            diarienummer="SK-2026-00042",
            written_at=at,
            recovered=False,
        ),
    )
    state = queue.application_exception(
        by_action[failed.id].id, "robot", "ärendesystemet svarade inte", max_attempts=1, backoff_s=0
    )
    assert state == "abandoned"

    [w] = casework.item(db.sessions, ok.id, SKOLSKJUTS).actions
    assert (w.state, w.diarienummer, w.written_at) == ("written", "SK-2026-00042", at)
    assert queue.get(by_action[written.id].id).state == "done"
    # abandoned by the queue before the worker recorded it: shown as failed with the error
    [f] = casework.item(db.sessions, bad.id, SKOLSKJUTS).actions
    assert (f.state, f.error) == ("failed", "ärendesystemet svarade inte")
    casework.record_failed(db.sessions, failed.id, "ärendesystemet svarade inte")
    [f] = casework.item(db.sessions, bad.id, SKOLSKJUTS).actions
    assert f.state == "failed"
    actions = [e.action for e in audit.entries(db.sessions, action_prefix="exception.")]
    assert "exception.accept.written" in actions and "exception.accept.failed" in actions
