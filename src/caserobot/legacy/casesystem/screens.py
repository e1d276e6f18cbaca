"""What a page object relies on, screen by screen, and how a screen's structure is compared.

Each page object declares, next to its selectors, a :class:`ScreenSpec` per screen: the
path to fetch it with sample ids, the tables it reads (labels read by name, columns read
by position), the forms it fills (field names and kinds) and the elements it looks for.
Two things use the one declaration:

* the parsers (:func:`require`): a screen that lacks what its page object reads is an
  :class:`~caserobot.exceptions.UnexpectedScreen`, never silently parsed as "nothing there";
* the UI-drift canary (:mod:`caserobot.canary`): before a batch, every screen's
  :func:`structure` is reduced to the spec's parts (:func:`features`), hashed
  (:func:`fingerprint`) and compared with the accepted one (:func:`findings`).

A screen's *structure* is its tables with an id (their ``th`` texts in order), its forms
with an id (fields by name: kind and whether required; a submit button) and the ids of its
elements. It is stored as it was seen, so a page object fixed later can be checked against
it without fetching the screen again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from caserobot.exceptions import UnexpectedScreen

__all__ = [
    "Form",
    "ScreenSpec",
    "Table",
    "features",
    "findings",
    "fingerprint",
    "problems",
    "require",
    "structure",
]

SYSTEM = "ärendesystemet"


@dataclass(frozen=True)
class Table:
    """A table the page object reads.

    ``labels``: row headings (``th``) read by name, in any order; ``columns``: header cells of
    a list whose cells are read by position, so they must come first and in this order.
    """

    id: str
    labels: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    """A form the robot fills: ``fields`` are (name, kind) with kind ``select``,
    ``textarea`` or an input type (``text``, ``hidden``); it must have a submit button."""

    id: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ScreenSpec:
    """One screen and what the robot relies on there.

    ``path`` is fetched with sample ids (``{pnr}``, ``{case_id}``, ``{number}`` of a household);
    ``elements`` are ``tag#id`` that must be on the screen.
    """

    name: str  # the step name in errors, e.g. "elevsida"
    title: str  # for people, in Swedish: "elevsidan"
    path: str
    tables: tuple[Table, ...] = ()
    forms: tuple[Form, ...] = ()
    elements: tuple[str, ...] = ()

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(p for p in ("pnr", "case_id", "number") if "{" + p + "}" in self.path)


# -- structure -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenSet:
    """The screens of one case type's robot and how to find sample ids to read them with.

    A case type's package offers one to the UI-drift canary (:mod:`caserobot.canary`).
    ``pnr_path``: where a work item's payload holds the person whose screens are read;
    ``discover``: from that person's screen (its html and the personnummer), the ids of
    cases of this case type (``case_ids``) and other sample ids.
    """

    case_type: str
    screens: tuple[ScreenSpec, ...]
    pnr_path: tuple[str, ...]
    discover: Callable[[str, str], dict[str, Any]]


def structure(html: str | HTMLParser) -> dict[str, Any]:
    """The screen's tables, forms and element ids (see the module docstring)."""
    tree = HTMLParser(html) if isinstance(html, str) else html
    tables: dict[str, list[str]] = {}
    for table in tree.css("table[id]"):
        tid = table.attributes.get("id") or ""
        tables.setdefault(tid, [_label(th.text(strip=True)) for th in table.css("th")])
    forms: dict[str, dict[str, Any]] = {}
    for form in tree.css("form[id]"):
        fields: dict[str, str] = {}
        required: list[str] = []
        for el in form.css("input[name], select[name], textarea[name]"):
            name = el.attributes.get("name") or ""
            kind = el.tag if el.tag != "input" else (el.attributes.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                continue
            fields.setdefault(name, kind)
            if "required" in el.attributes:
                required.append(name)
        submit = form.css_first("[type=submit], button:not([type])") is not None
        forms.setdefault(
            form.attributes.get("id") or "",
            {"fields": fields, "required": sorted(set(required)), "submit": submit},
        )
    ids = sorted({f"{n.tag}#{n.attributes.get('id')}" for n in tree.css("[id]")})
    return {"tables": tables, "forms": forms, "ids": ids}


def features(found: dict[str, Any], spec: ScreenSpec) -> dict[str, Any]:
    """The parts of a screen's structure that the spec relies on (what is fingerprinted).

    A whole table or form is kept, not only the declared labels and fields: a new field in
    a form the robot fills is a change too.
    """
    return {
        "tables": {t.id: _table(found, t) for t in spec.tables},
        "forms": {f.id: found["forms"].get(f.id) for f in spec.forms},
        "elements": {e: e in found["ids"] for e in spec.elements},
    }


def _table(found: dict[str, Any], table: Table) -> list[str] | None:
    labels = found["tables"].get(table.id)
    if labels is None or table.labels or table.columns:
        return labels
    return []  # only its presence is relied on


def fingerprint(feats: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a screen's features."""
    data = json.dumps(feats, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


# -- what is wrong, what changed -----------------------------------------------------------


def problems(spec: ScreenSpec, found: dict[str, Any]) -> dict[str, str]:
    """What the page object relies on and the screen does not have, keyed, in Swedish."""
    out: dict[str, str] = {}
    hint = True  # name what the screen has instead, once

    def others(what: str, present: dict[str, Any]) -> str:
        nonlocal hint
        text, hint = (_others(what, present) if hint else ""), False
        return text

    for element in spec.elements:
        if element not in found["ids"]:
            out[f"element:{element}"] = f"{_element_name(element)} saknas"
    for table in spec.tables:
        labels = found["tables"].get(table.id)
        if labels is None:
            out[f"table:{table.id}"] = f"tabellen #{table.id} saknas" + others(
                "tabellerna", found["tables"]
            )
            continue
        for label in table.labels:
            if label not in labels:
                out[f"label:{table.id}:{label}"] = f"fältet '{label}' saknas i tabellen #{table.id}"
        if table.columns and tuple(labels[: len(table.columns)]) != table.columns:
            out[f"columns:{table.id}"] = (
                f"kolumnerna i tabellen #{table.id} är {_list(labels)}, "
                f"sidobjektet läser {_list(table.columns)}"
            )
    for form in spec.forms:
        seen = found["forms"].get(form.id)
        if seen is None:
            out[f"form:{form.id}"] = f"formuläret #{form.id} saknas" + others(
                "formulären", found["forms"]
            )
            continue
        declared = dict(form.fields)
        for name, kind in form.fields:
            actual = seen["fields"].get(name)
            if actual is None:
                out[f"field:{form.id}:{name}"] = f"formuläret #{form.id} saknar fältet '{name}'"
            elif actual != kind:
                out[f"kind:{form.id}:{name}"] = (
                    f"fältet '{name}' i formuläret #{form.id} är {actual}, inte {kind}"
                )
        for name in seen["required"]:
            if name not in declared:
                out[f"required:{form.id}:{name}"] = (
                    f"formuläret #{form.id} har ett nytt obligatoriskt fält '{name}'"
                )
        if not seen["submit"]:
            out[f"submit:{form.id}"] = f"formuläret #{form.id} saknar knapp för att skicka"
    return out


def findings(spec: ScreenSpec, found: dict[str, Any], accepted: dict[str, Any] | None) -> list[str]:
    """Everything wrong or changed on one screen, in Swedish; empty when all is as accepted.

    ``accepted`` is the screen's accepted :func:`features` (None before the first check).
    """
    out = problems(spec, found)
    now = features(found, spec)
    if accepted is not None:
        for key, message in _differences(accepted, now).items():
            out.setdefault(key, message)
    return list(out.values())


def require(tree: HTMLParser, spec: ScreenSpec, step: str | None = None) -> None:
    """Raise :class:`UnexpectedScreen` if the screen lacks what its page object reads."""
    found = problems(spec, structure(tree))
    if found:
        raise UnexpectedScreen(
            f"{spec.title}: {'; '.join(found.values())}", system=SYSTEM, step=step or spec.name
        )


# -- internals -----------------------------------------------------------------------------


def _differences(old: dict[str, Any], new: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for tid, before in old.get("tables", {}).items():
        after = new["tables"].get(tid, None)
        if before is None or before == after:
            continue
        if after is None:
            out[f"table:{tid}"] = f"tabellen #{tid} saknas"
            continue
        lost = [x for x in before if x not in after]
        gained = [x for x in after if x not in before]
        for label in lost:
            out[f"label:{tid}:{label}"] = f"fältet '{label}' saknas i tabellen #{tid}"
        if gained:
            out[f"gained:{tid}"] = f"tabellen #{tid} har nya fält {_list(gained)}"
        if not lost and not gained:
            out[f"columns:{tid}"] = (
                f"tabellen #{tid} har fälten i ny ordning: {_list(after)} (förut {_list(before)})"
            )
    for fid, before in old.get("forms", {}).items():
        after = new["forms"].get(fid, None)
        if before is None or before == after:
            continue
        if after is None:
            out[f"form:{fid}"] = f"formuläret #{fid} saknas"
            continue
        b_fields, a_fields = before["fields"], after["fields"]
        for name in b_fields:
            if name not in a_fields:
                out[f"field:{fid}:{name}"] = f"formuläret #{fid} saknar fältet '{name}'"
            elif a_fields[name] != b_fields[name]:
                out[f"kind:{fid}:{name}"] = (
                    f"fältet '{name}' i formuläret #{fid} är {a_fields[name]}, "
                    f"förut {b_fields[name]}"
                )
        for name in a_fields:
            if name not in b_fields:
                required = " obligatoriskt" if name in after["required"] else ""
                key = f"required:{fid}:{name}" if required else f"new:{fid}:{name}"
                out[key] = f"formuläret #{fid} har ett nytt{required} fält '{name}'"
        if before["submit"] and not after["submit"]:
            out[f"submit:{fid}"] = f"formuläret #{fid} saknar knapp för att skicka"
    for element, was in old.get("elements", {}).items():
        if was and not new["elements"].get(element, False):
            out[f"element:{element}"] = f"{_element_name(element)} saknas"
    return out


def _label(text: str) -> str:
    return text.rstrip(":").strip()


def _list(items: Any) -> str:
    return ", ".join(f"'{x}'" for x in items) or "inga"


def _others(what: str, present: dict[str, Any]) -> str:
    names = [f"#{name}" for name in present if name]
    return f" (sidan har {what} {', '.join(names)})" if names else ""


def _element_name(element: str) -> str:
    tag, _, eid = element.partition("#")
    kinds = {"table": "tabellen", "form": "formuläret", "a": "länken", "p": "texten"}
    return f"{kinds.get(tag, 'elementet')} #{eid}"
