"""Client for the population register (Navet-like XML over HTTP)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from caserobot.exceptions import BusinessException, ReasonCode, UnexpectedScreen
from caserobot.legacy._http import ApiClient
from caserobot.personnummer import mask

SYSTEM = "folkbokföringen (Navet)"


@dataclass(frozen=True)
class Address:
    street: str
    postal_code: str
    city: str

    @property
    def route_key(self) -> str:
        return f"{self.street}, {self.postal_code}"

    def __str__(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


@dataclass(frozen=True)
class PersonRecord:
    personnummer: str
    name: str
    municipality_code: str
    municipality: str
    address: Address | None  # None when protected
    protected_identity: bool
    guardians: tuple[str, ...] = field(default_factory=tuple)
    children: tuple[str, ...] = field(default_factory=tuple)
    #: Navet's ``AvregistreringsorsakKod`` (``UV`` utvandrad, ``AV`` avliden, ``OB``
    #: obefintlig…) when the person is no longer folkbokförd; empty while registered.
    deregistration: str = ""
    deregistered_on: str = ""  # YYYYMMDD

    @property
    def registered(self) -> bool:
        """Folkbokförd in Sweden now (not deregistered)."""
        return not self.deregistration


class PopulationRegisterClient(ApiClient):
    SYSTEM = SYSTEM

    async def person(self, pnr12: str) -> PersonRecord:
        resp = await self._call("personpost", lambda: self._http.get(f"/navet/personpost/{pnr12}"))
        if resp.status_code == 404:
            raise BusinessException(
                ReasonCode.PERSON_NOT_FOUND,
                f"personen {mask(pnr12)} finns inte i folkbokföringen",
            )
        if resp.status_code >= 400:
            raise UnexpectedScreen(
                f"oväntat svar {resp.status_code}", system=SYSTEM, step="personpost"
            )
        return parse_personpost(resp.content)


def _text(node: etree._Element, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


def parse_personpost(xml: bytes) -> PersonRecord:
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        raise UnexpectedScreen("ogiltig XML", system=SYSTEM, step="personpost") from exc
    if root.tag != "Personpost":
        raise UnexpectedScreen(f"oväntat rotelement {root.tag}", system=SYSTEM, step="personpost")
    protected = (
        _text(root, "SkyddadFolkbokforing") == "J" or _text(root, "Sekretessmarkering") == "J"
    )
    street = _text(root, "Adresser/Folkbokforingsadress/Utdelningsadress2")
    address = (
        Address(
            street=street,
            postal_code=_text(root, "Adresser/Folkbokforingsadress/PostNr").replace(" ", ""),
            city=_text(root, "Adresser/Folkbokforingsadress/Postort"),
        )
        if street
        else None
    )
    relations = [
        (_text(r, "Relationstyp"), _text(r, "PersonNr"))
        for r in root.findall("Relationer/Relation")
    ]
    name = f"{_text(root, 'Namn/Fornamn')} {_text(root, 'Namn/Efternamn')}".strip()
    return PersonRecord(
        personnummer=_text(root, "PersonId/PersonNr"),
        name=name,
        municipality_code=_text(root, "Folkbokforing/KommunKod"),
        municipality=_text(root, "Folkbokforing/KommunNamn"),
        address=address,
        protected_identity=protected,
        guardians=tuple(p for kind, p in relations if kind == "VF"),
        children=tuple(p for kind, p in relations if kind == "B"),
        deregistration=_text(root, "Avregistrering/AvregistreringsorsakKod"),
        deregistered_on=_text(root, "Avregistrering/Avregistreringsdatum"),
    )
