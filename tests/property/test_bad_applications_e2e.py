"""Bad applications at scale through the e-service and the real robot engine (issue 13).

Per case type, hypothesis generates at least 200 bad applications (derandomized): a real
application from the stand-ins' generator with one or two values broken so that no
version of the contract can accept it (wrong types, missing fields, absurd amounts and
distances, months and submission times out of range, garbage personnummer, deep
nesting), plus noise (extra fields, unicode, NUL characters). They are submitted as raw
JSON to the e-service stand-in next to a few good applications, taken in by the intake
and processed in one run of :class:`caserobot.worker.RobotWorker` (headless Chromium).

For ekonomiskt bistånd the same run also holds each good application again with 250 000
kr of household electricity (issue 13: such an application was granted and paid): it
must be referred with ``cost_above_guideline`` naming the item, never paid.

Every bad one must end as a business exception whose reason names a field it broke
(not abandoned, not an application error, one attempt), the run must go on (the good
ones are decided as usual), and the case system's ledger must hold no decision and no
payment order for any bad one.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from caserobot.queue import WorkQueue
from tests.utils.e2e import run_engine

pytestmark = [pytest.mark.slow, pytest.mark.browser]

BAD_PER_TYPE = 200
GOOD_PER_TYPE = 6
DELETE = object()
FIELD_RE = re.compile(r"\(fält: ([^)]+)\)$")
REASONS = {
    "missing_field",
    "invalid_field",
    "invalid_personnummer",
    "implausible_value",
    "absurd_distance",
}


def _nested(depth: int) -> Any:
    value: Any = ["x"]
    for _ in range(depth):
        value = [value]
    return value


bad_int = st.one_of(
    st.integers(min_value=10_000_001, max_value=10**40),
    st.integers(min_value=-(10**12), max_value=-1),
    st.sampled_from(["abc", "12 kr", None, [], {}, 1.5, 2**63]),
    st.integers(min_value=10, max_value=60).map(_nested),
)
bad_str = st.sampled_from([[], {}, 123, None, True]) | st.integers(10, 60).map(_nested)
bad_bool = st.sampled_from(["kanske", 2, [], {}, "ja tack"])
bad_pnr = st.one_of(
    st.text(max_size=20).filter(lambda t: sum(c.isdigit() for c in t) < 10),
    st.sampled_from(["19781205-9992", "19781305-9990", "000000-0000", "x" * 60, 198112189876]),
)
bad_submitted = st.one_of(
    st.sampled_from(
        [
            "9999-12-31T23:59:59+01:00",
            "0001-01-01T00:00:00+01:00",
            "2026-11-16T07:00:00",
            "igår",
            "",
            "2100-01-01T00:00:00+00:00",
        ]
    ),
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(1999, 12, 31),
        timezones=st.just(UTC),
    ).map(lambda d: d.isoformat()),
)
bad_month = st.sampled_from(
    ["0000-12", "2026-13", "9999-01", "december 2026", "", "2026-12-01", 202612, None, "1999-12"]
)

EB_HARD: list[tuple[str, st.SearchStrategy[Any]]] = [
    ("month", bad_month),
    ("month", st.just(DELETE)),
    ("submitted_at", bad_submitted),
    *[
        (f"costs.{item}", bad_int)
        for item in (
            "rent",
            "household_electricity",
            "home_insurance",
            "work_travel",
            "union_fee",
            "a_kassa_fee",
        )
    ],
    ("costs", st.sampled_from(["x", [], DELETE])),
    ("incomes", st.sampled_from(["x", DELETE, {}])),
    ("incomes.0.amount", bad_int),
    ("incomes.0.type", st.sampled_from(["swish", "", 1, None])),
    ("household", st.sampled_from([[], "x", DELETE]) | st.integers(10, 60).map(_nested)),
    ("household.0.birth_date", st.sampled_from(["1800-01-01", "2026-02-30", "", None, 19900101])),
    ("household.0.role", st.sampled_from(["king", "", None, 1])),
    ("household.0.personnummer", bad_pnr),
    ("applicant", st.sampled_from(["x", DELETE, []])),
    ("applicant.personnummer", bad_pnr),
    ("address", st.sampled_from(["x", DELETE])),
    ("address.street", st.sampled_from(["", "x" * 300, None])),
    ("payout_account", st.sampled_from(["123", "abc", 5])),
    ("special_expenses", st.just([{"type": "dental_care", "amount": 10**30}])),
    ("assets", st.just([{"type": "car", "value": 10**12}])),
    ("free_text", st.just("x" * 10_001)),
    ("first_application", bad_bool),
]
SK_HARD: list[tuple[str, st.SearchStrategy[Any]]] = [
    ("grade", st.sampled_from(["11", "0", "G", None, [], 3.5, "F2", 10, DELETE])),
    ("child.personnummer", bad_pnr),
    ("applicant.personnummer", bad_pnr),
    ("child", st.sampled_from(["x", DELETE])),
    ("applicant", st.sampled_from([[], DELETE])),
    ("addresses", st.sampled_from([[], "x", [{}], [{"street": "", "postal_code": "1"}], DELETE])),
    ("school", st.sampled_from(["x", DELETE])),
    ("school.unit_code", st.sampled_from(["", None, [], "1" * 41])),
    ("declared_distance_m", st.sampled_from([10**30, -1, 100_001, "far", 10**20])),
    ("submitted_at", bad_submitted),
    ("alternating_residence", bad_bool),
    ("medical_certificate_attached", bad_bool),
    ("free_text", st.just("x" * 10_001)),
]
HARD = {"ekonomiskt_bistand": EB_HARD, "skolskjuts": SK_HARD}

noise_text = st.text(max_size=40) | st.sampled_from(["\x00", "a\x00b", "\u202e", "🦀" * 10])
noise_json = st.recursive(
    st.none() | st.booleans() | st.integers() | noise_text,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=6,
)


def _exists(app: dict[str, Any], path: str) -> bool:
    node: Any = app
    for key in path.split(".")[:-1]:
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                return False
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return False
        if not isinstance(node, dict | list):
            return False
    last = path.split(".")[-1]
    if isinstance(node, list):
        return last.isdigit() and int(last) < len(node)
    return isinstance(node, dict)


def _set(app: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = app
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is DELETE:
        node.pop(last, None)
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


@st.composite
def bad_application(
    draw: st.DrawFn, case_type: str, bases: list[dict[str, Any]]
) -> tuple[dict[str, Any], set[str]]:
    """A good application with one or two values broken, and some noise."""
    app = copy.deepcopy(draw(st.sampled_from(bases)))
    broken: set[str] = set()
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        options = [(p, s) for p, s in HARD[case_type] if _exists(app, p)]
        path, strategy = draw(st.sampled_from(options))
        _set(app, path, draw(strategy))
        broken.add(path.split(".")[0])
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        kind = draw(st.sampled_from(["extra", "name", "free_text"]))
        if kind == "extra":
            app[draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in app))] = draw(
                noise_json
            )
        elif kind == "name" and isinstance(app.get("applicant"), dict):
            app["applicant"]["name"] = draw(noise_text)
        elif kind == "free_text" and "free_text" not in broken:
            app["free_text"] = draw(noise_text)
    app["type"] = case_type  # the e-service files it under its type
    return app, broken


def _collect(strategy: st.SearchStrategy[Any], n: int) -> list[Any]:
    """``n`` derandomized examples of ``strategy`` (hypothesis as a generator)."""
    out: list[Any] = []

    @settings(
        max_examples=n,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        out.append(example)

    collect()
    return out


@pytest.mark.parametrize("case_type", ["skolskjuts", "ekonomiskt_bistand"])
def test_bad_applications_end_as_business_exceptions_naming_the_field(
    case_type: str, platform_settings, fresh_standins, sqlite_db
) -> None:
    http = fresh_standins.http
    good = fresh_standins.generate(GOOD_PER_TYPE, seed=11, malformed_share=0.0, type=case_type)
    bases = []
    for app_id in good["ids"]:
        app = http.get(f"{fresh_standins.eservice_url}/api/applications/{app_id}").json()
        bases.append({k: v for k, v in app.items() if k not in ("id", "status")})

    examples = _collect(bad_application(case_type, bases), BAD_PER_TYPE + 20)
    assert len(examples) >= BAD_PER_TYPE
    broken_by_id: dict[str, set[str]] = {}
    for app, broken in examples:
        r = http.post(f"{fresh_standins.eservice_url}/api/applications", json=app)
        assert r.status_code == 201, r.text[:300]
        broken_by_id[r.json()["id"]] = broken
    # Issue 13: 250 000 kr of household electricity was granted and paid 255 654 kr. Valid
    # applications in every other respect: referred (cost_above_guideline), never paid.
    absurd_cost: list[str] = []
    if case_type == "ekonomiskt_bistand":
        for base in bases:
            body = copy.deepcopy(base)
            body["costs"]["household_electricity"] = 250_000
            r = http.post(f"{fresh_standins.eservice_url}/api/applications", json=body)
            absurd_cost.append(r.json()["id"])

    queue = WorkQueue(sqlite_db.sessions)
    stats = run_engine(platform_settings, queue, case_type=case_type)

    items = {i.application_id: i for i in queue.items(case_type=case_type, limit=10_000)}
    assert set(items) == set(broken_by_id) | set(good["ids"]) | set(absurd_cost)
    assert stats.processed == len(items)
    wrong: dict[str, Any] = {}
    reasons: Counter[str] = Counter()
    for app_id, broken in broken_by_id.items():
        item = items[app_id]
        if item.state != "business_exception" or item.attempts != 1:
            wrong[app_id] = (item.state, item.attempts, item.last_error)
            continue
        exc = queue.exception_item(item.id)
        reasons.update(exc.reason_codes)
        named = FIELD_RE.search(exc.detail or "")
        if (
            len(exc.reason_codes) != 1
            or exc.reason_codes[0] not in REASONS
            or named is None
            or named.group(1).split(".")[0] not in broken
            or "Traceback" in (exc.detail or "")
        ):
            wrong[app_id] = (exc.reason_codes, exc.detail, sorted(broken))
    assert not wrong, f"{len(wrong)} of {len(broken_by_id)}: {list(wrong.items())[:5]}"

    named = 0
    for app_id in absurd_cost:
        item = items[app_id]
        assert item.state == "business_exception", (item.state, item.last_error)
        exc = queue.exception_item(item.id)
        if "first_application" not in exc.reason_codes:  # else decided before any amount
            assert "cost_above_guideline" in exc.reason_codes, exc.reason_codes
            assert "Hushållsel 250 000 kr" in (exc.detail or "")
            named += 1
    assert named >= len(absurd_cost) // 2

    # The run went on: the good applications were decided or referred as usual.
    assert {items[a].state for a in good["ids"]} <= {"done", "business_exception"}
    assert stats.application_errors == 0

    ledger = fresh_standins.ledger("case_system")
    written = {e.get("extern_ref") for e in ledger if e["kind"] in ("decision", "payment_order")}
    assert not written & (set(broken_by_id) | set(absurd_cost))
    assert any(e["kind"] == "decision" for e in ledger) or case_type == "ekonomiskt_bistand"
    print(f"{case_type}: {len(broken_by_id)} bad applications, reasons {dict(reasons)}")
