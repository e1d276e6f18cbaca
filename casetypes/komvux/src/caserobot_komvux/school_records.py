"""The school register (VuxReg, a 2000s web UI with seat licences): page objects.

The robot reads, never writes here: a person's completed programmes, every grade (a list
paginated ten to a page) and the course catalogue's course starts. A seat is one
:class:`SchoolRecordsSession`; the core opens it per robot seat on first use
(``await ctx.web("elevregister")``) and logs it out when the seat ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from caserobot.exceptions import NoFreeSeat, SessionExpired, UnexpectedScreen
from caserobot.legacy.web import LoginForm, WebSession

SYSTEM = "elevregistret"
NAME = "elevregister"  # as robot.yaml names it; CASEROBOT_WEB_SYSTEMS__ELEVREGISTER__…
#: The defaults of its settings (``CASEROBOT_WEB_SYSTEMS__ELEVREGISTER__BASE_URL``…).
DEFAULTS = {"base_url": "http://127.0.0.1:8706", "seat_limit": 4, "timeout_s": 15.0}
PASSING = frozenset("ABCDE")
_PAGES = re.compile(r"Sida\s+(\d+)\s+av\s+(\d+)")


@dataclass(frozen=True)
class Programme:
    school_form: str  # Grundskola, Gymnasieskola, Komvux
    name: str
    status: str  # Fullföljd, Avbruten, Pågående
    diploma: str  # slutbetyg, hogskoleforberedande_examen, yrkesexamen, studiebevis or ""


@dataclass(frozen=True)
class Grade:
    code: str
    name: str
    level: str  # grundskola, grundlaggande, gymnasial
    grade: str  # A–F
    date: str

    @property
    def passed(self) -> bool:
        return self.grade in PASSING


@dataclass(frozen=True)
class PersonCard:
    personnummer: str
    protected: bool
    programmes: tuple[Programme, ...]
    grades: tuple[Grade, ...]


@dataclass(frozen=True)
class Offering:
    course_code: str
    level: str
    provider_code: str
    start_date: str
    places: int
    qualifying: bool  # counts towards eligibility for higher education


class SchoolRecordsSession(WebSession):
    """A seat in the school register."""

    SYSTEM = SYSTEM
    LOGIN = LoginForm(
        path="/login",
        user="input#anvandarnamn",
        password="input#losenord",  # nosec B106  # a CSS selector, not a password
        submit="input#logga-in",
    )

    def check_screen(self, html: str, step: str) -> HTMLParser:
        tree = HTMLParser(html)
        if tree.css_first("#ingen-licens") is not None:
            raise NoFreeSeat("ingen ledig licens i elevregistret", system=SYSTEM, step=step)
        if tree.css_first("form#inloggning") is not None:
            raise SessionExpired("sessionen har gått ut", system=SYSTEM, step=step)
        return tree

    def logged_in_as(self, html: str) -> str | None:
        node = HTMLParser(html).css_first("#inloggad-anvandare")
        return node.text(strip=True) if node is not None else None

    async def person(self, pnr12: str) -> PersonCard | None:
        """The person's programmes and every grade; None if the register has no record."""
        step = "personkort"
        tree = self.check_screen(await self.read(f"/person/{pnr12}", step), step)
        if tree.css_first("#ingen-traff") is not None:
            return None
        _require(tree, ("table#personuppgifter", "table#program"), step)
        programmes = tuple(
            Programme(
                school_form=_cell(row, "td.skolform", step),
                name=_cell(row, "td.utbildning", step),
                status=_cell(row, "td.status", step),
                diploma=_attr(row, "td.examen", "data-examen", step),
            )
            for row in tree.css("table#program tbody tr")
        )
        return PersonCard(
            personnummer=pnr12,
            protected=tree.css_first("#skyddade-uppgifter") is not None,
            programmes=programmes,
            grades=await self._grades(pnr12),
        )

    async def _grades(self, pnr12: str) -> tuple[Grade, ...]:
        """Every grade, page by page (a seat answers one screen at a time: no gain in
        asking for several at once)."""
        step = "betygslista"
        grades: list[Grade] = []
        page, pages = 1, 1
        while page <= pages:
            path = f"/person/{pnr12}/betyg?sida={page}"
            tree = self.check_screen(await self.read(path, step), step)
            if tree.css_first("#inga-betyg") is not None:
                return ()
            _require(tree, ("table#betyg", "span#sidinfo", "span#antal"), step)
            found = _PAGES.search(tree.css_first("span#sidinfo").text())  # type: ignore[union-attr]
            if found is None or int(found.group(1)) != page:
                raise UnexpectedScreen(f"sidinfo visar inte sida {page}", system=SYSTEM, step=step)
            pages = int(found.group(2))
            grades += [_grade(row, step) for row in tree.css("table#betyg tr.betygsrad")]
            page += 1
        total = int(tree.css_first("span#antal").text(strip=True) or -1)  # type: ignore[union-attr]
        if total != len(grades):  # a page lost or read twice: never decide on half a list
            raise UnexpectedScreen(
                f"betygslistan gav {len(grades)} betyg men anger {total}", system=SYSTEM, step=step
            )
        return tuple(grades)

    async def offerings(self, course_code: str, provider_code: str) -> tuple[Offering, ...]:
        """The catalogue's starts of a course at a provider."""
        step = "kurskatalog"
        query = urlencode({"kurskod": course_code, "anordnare": provider_code})
        tree = self.check_screen(await self.read(f"/kurskatalog?{query}", step), step)
        _require(tree, ("table#kurstillfallen",), step)
        out = []
        for row in tree.css("table#kurstillfallen tbody tr"):
            cells = row.css("td")
            if len(cells) < 9:
                raise UnexpectedScreen(
                    "kurskatalogen har ändrat kolumner", system=SYSTEM, step=step
                )
            out.append(
                Offering(
                    course_code=cells[0].text(strip=True),
                    level=cells[2].attributes.get("data-niva") or "",
                    provider_code=cells[4].text(strip=True),
                    start_date=cells[6].text(strip=True),
                    places=int(cells[7].text(strip=True) or 0),
                    qualifying=(cells[8].attributes.get("data-behorighet") == "ja"),
                )
            )
        return tuple(out)


def _require(tree: HTMLParser, selectors: tuple[str, ...], step: str) -> None:
    missing = [s for s in selectors if tree.css_first(s) is None]
    if missing:
        raise UnexpectedScreen(f"saknar {', '.join(missing)}", system=SYSTEM, step=step)


def _cell(row: Node, selector: str, step: str) -> str:
    node = row.css_first(selector)
    if node is None:
        raise UnexpectedScreen(f"raden saknar {selector}", system=SYSTEM, step=step)
    return node.text(strip=True)


def _attr(row: Node, selector: str, attribute: str, step: str) -> str:
    node = row.css_first(selector)
    if node is None:
        raise UnexpectedScreen(f"raden saknar {selector}", system=SYSTEM, step=step)
    return node.attributes.get(attribute) or ""


def _grade(row: Node, step: str) -> Grade:
    return Grade(
        code=_cell(row, "td.kurskod", step),
        name=_cell(row, "td.kursnamn", step),
        level=_attr(row, "td.niva", "data-niva", step),
        grade=_cell(row, "td.betyg", step),
        date=_cell(row, "td.datum", step),
    )


def on_day(offerings: tuple[Offering, ...], start: date) -> Offering | None:
    """The course start on ``start``, if the catalogue has one."""
    return next((o for o in offerings if o.start_date == start.isoformat()), None)
