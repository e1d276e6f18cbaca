"""Population register stand-in: Navet-like person records as XML.

``GET /navet/personpost/{pnr12}`` answers with a ``<Personpost>``. A child's relations list
its guardians (``VF``), a guardian's list the children (``B``). People with skyddad
folkbokföring have ``SkyddadFolkbokforing`` J and empty address elements, as in Navet.
The members of the ekonomiskt bistånd households (:mod:`standins.social`) are registered too,
except those with a samordningsnummer, who are not folkbokförda, and so are the people a
plugin brings (:mod:`standins.plugins`, :class:`~standins.plugins.Registration`); one of
them who is not resident (utvandrad) has ``Avregistrering`` (``AvregistreringsorsakKod`` UV,
``Avregistreringsdatum``) and neither home municipality nor address.
The register is read-only, so its ledger stays empty.
"""

from __future__ import annotations

from fastapi import FastAPI, Response
from lxml import etree

from standins import pnr
from standins.common import StandIn, Tuning, install_common
from standins.plugins import PluginSet, Registration, installed
from standins.social import build_social
from standins.world import Person, World

XML = "application/xml; charset=utf-8"


class PopulationRegister(StandIn):
    name = "population"

    def __init__(self, world: World, tuning: Tuning | None = None) -> None:
        super().__init__(tuning, fault_seed=world.seed + 3)
        self.world = world

    def unavailable_response(self) -> Response:
        return fel("TJANSTEN_OTILLGANGLIG", "Tjänsten är tillfälligt otillgänglig", 503)

    def server_error_response(self) -> Response:
        return fel("INTERNT_FEL", "Ett internt fel har inträffat", 500)

    def maintenance_response(self, retry_after: int) -> Response:
        return fel("UNDERHALL", "Tjänsten är stängd för planerat underhåll", 503)


def fel(code: str, message: str, status: int) -> Response:
    """A ``<Fel>`` answer, as Navet gives when it cannot answer."""
    root = etree.Element("Fel")
    _sub(root, "Kod", code)
    _sub(root, "Meddelande", message)
    return Response(etree.tostring(root, encoding="UTF-8"), status_code=status, media_type=XML)


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def personpost(world: World, person: Person, entry: Registration | None = None) -> bytes:
    """The ``<Personpost>`` XML of one person (``entry``: how a plugin registered them)."""
    gone = entry is not None and not entry.resident
    root = etree.Element("Personpost")
    _sub(_sub(root, "PersonId"), "PersonNr", person.pnr)
    _sub(root, "Sekretessmarkering", "J" if person.secrecy or person.protected else "N")
    _sub(root, "SkyddadFolkbokforing", "J" if person.protected else "N")
    namn = _sub(root, "Namn")
    _sub(namn, "Fornamn", person.first_name)
    _sub(namn, "Efternamn", person.last_name)
    _sub(_sub(root, "Fodelse"), "Fodelsedatum", person.birth_date.strftime("%Y%m%d"))
    _sub(root, "Kon", person.sex)
    if gone:
        avreg = _sub(root, "Avregistrering")
        _sub(avreg, "AvregistreringsorsakKod", "UV")  # utvandrad
        when = entry.deregistered_on if entry else None
        _sub(avreg, "Avregistreringsdatum", when.strftime("%Y%m%d") if when else None)
    folk = _sub(root, "Folkbokforing")
    code = person.address.municipality
    _sub(folk, "KommunKod", None if gone else code)
    _sub(folk, "KommunNamn", None if gone else world.municipality_name(code))
    adress = _sub(_sub(root, "Adresser"), "Folkbokforingsadress")
    hidden = person.protected or gone
    _sub(adress, "Utdelningsadress2", None if hidden else person.address.street)
    _sub(adress, "PostNr", None if hidden else person.address.postal_code)
    _sub(adress, "Postort", None if hidden else person.address.city)
    relationer = _sub(root, "Relationer")
    for kind, others in (("VF", person.guardians), ("B", person.children)):
        for other in others:
            rel = _sub(relationer, "Relation")
            _sub(rel, "Relationstyp", kind)
            _sub(rel, "PersonNr", other)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def not_found(number: str) -> Response:
    root = etree.Element("Fel")
    _sub(root, "Kod", "PERSON_SAKNAS")
    _sub(root, "Meddelande", "Personen finns inte i folkbokföringen")
    _sub(root, "PersonNr", pnr.normalize(number)[:12])
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return Response(body, status_code=404, media_type=XML)


def create_app(world: World, tuning: Tuning | None = None,
               plugins: PluginSet | None = None) -> FastAPI:
    state = PopulationRegister(world, tuning)
    app = FastAPI(title="Folkbokföring (Navet) stand-in", docs_url=None, redoc_url=None)
    install_common(app, state)
    social = build_social(world)  # households on försörjningsstöd are folkbokförda too
    extra = (installed() if plugins is None else plugins).registrations(world)

    @app.get("/navet/personpost/{number}")
    async def get_personpost(number: str) -> Response:
        digits = pnr.normalize(number) if len(number) <= 13 else ""
        person = world.people.get(digits) or social.registered.get(digits)
        if person is not None:
            return Response(personpost(world, person), media_type=XML)
        entry = extra.get(digits)
        if entry is None:
            return not_found(number)
        return Response(personpost(world, entry.person, entry), media_type=XML)

    return app
