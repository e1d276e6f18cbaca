"""Population register (Navet-like XML) and route service stand-ins."""

from __future__ import annotations

import httpx
from lxml import etree

from standins.world import Person, World


def personpost(base: str, number: str) -> tuple[int, etree._Element]:
    r = httpx.get(f"{base}/navet/personpost/{number}", timeout=10)
    assert r.headers["content-type"].startswith("application/xml")
    return r.status_code, etree.fromstring(r.content)


def text(root: etree._Element, path: str) -> str | None:
    node = root.find(path)
    assert node is not None, f"{path} missing"
    return node.text


def ordinary_child(world: World, alternating: bool = False) -> Person:
    return next(c for c in world.children if not c.protected and not c.secrecy
                and len(c.guardians) == 2 and bool(c.second_address) == alternating)


def test_child_record_has_the_contract_shape(standins, world: World) -> None:  # type: ignore[no-untyped-def]
    child = ordinary_child(world)
    status, root = personpost(standins.population_url, child.pnr)
    assert status == 200 and root.tag == "Personpost"
    assert text(root, "PersonId/PersonNr") == child.pnr
    assert text(root, "Sekretessmarkering") == "N"
    assert text(root, "SkyddadFolkbokforing") == "N"
    assert text(root, "Namn/Fornamn") == child.first_name
    assert text(root, "Namn/Efternamn") == child.last_name
    assert text(root, "Folkbokforing/KommunKod") == child.address.municipality
    assert text(root, "Folkbokforing/KommunNamn") == world.municipality_name(
        child.address.municipality)
    assert text(root, "Adresser/Folkbokforingsadress/Utdelningsadress2") == child.address.street
    assert text(root, "Adresser/Folkbokforingsadress/PostNr") == child.address.postal_code
    assert text(root, "Adresser/Folkbokforingsadress/Postort") == child.address.city
    relations = [(text(r, "Relationstyp"), text(r, "PersonNr"))
                 for r in root.findall("Relationer/Relation")]
    assert relations == [("VF", g) for g in child.guardians]


def test_guardian_lists_children_and_alternating_homes_differ(standins, world: World) -> None:  # type: ignore[no-untyped-def]
    child = ordinary_child(world, alternating=True)
    _, first = personpost(standins.population_url, child.guardians[0])
    _, second = personpost(standins.population_url, f"{child.guardians[1][:8]}-"
                                                    f"{child.guardians[1][8:]}")
    for root in (first, second):
        kinds = {(text(r, "Relationstyp"), text(r, "PersonNr"))
                 for r in root.findall("Relationer/Relation")}
        assert ("B", child.pnr) in kinds
    street = "Adresser/Folkbokforingsadress/Utdelningsadress2"
    assert text(first, street) == child.address.street
    assert child.second_address is not None
    assert text(second, street) == child.second_address.street != child.address.street


def test_protected_identity_withholds_the_address(standins, world: World) -> None:  # type: ignore[no-untyped-def]
    child = next(c for c in world.children if c.protected)
    status, root = personpost(standins.population_url, child.pnr)
    assert status == 200
    assert text(root, "SkyddadFolkbokforing") == "J"
    assert text(root, "Sekretessmarkering") == "J"
    address = root.find("Adresser/Folkbokforingsadress")
    assert address is not None
    assert [el.tag for el in address] == ["Utdelningsadress2", "PostNr", "Postort"]
    assert all(not el.text for el in address)
    assert child.address.street.encode() not in etree.tostring(root)


def test_unknown_person_is_404_fel(standins, world: World) -> None:  # type: ignore[no-untyped-def]
    unknown = "201501019808"
    assert unknown not in world.people
    status, root = personpost(standins.population_url, unknown)
    assert status == 404 and root.tag == "Fel" and text(root, "Kod") == "PERSON_SAKNAS"
    assert standins.ledger("population") == []


def distance(base: str, a: str, b: str) -> httpx.Response:
    return httpx.get(f"{base}/api/walking-distance", params={"from": a, "to": b}, timeout=10)


def test_route_service_gives_the_worlds_walking_distance(standins, world: World) -> None:  # type: ignore[no-untyped-def]
    child = ordinary_child(world)
    school = world.schools[child.placement.unit_code]  # type: ignore[union-attr]
    home = f"{child.address.street}, {child.address.postal_code}"
    to = f"{school.address.street}, {school.address.postal_code}"
    r = distance(standins.route_url, home, to)
    assert r.status_code == 200
    assert r.json() == {"walking_distance_m": world.school_distance(child)}
    assert distance(standins.route_url, to, home).json() == r.json()
    assert distance(standins.route_url, home.upper(), school.address.one_line()).json() == r.json()
    assert distance(standins.route_url, child.address.street, to).json() == r.json()


def test_route_service_rejects_unknown_addresses(standins, world: World) -> None:  # type: ignore[no-untyped-def]
    school = world.schools["SK0001"].address.one_line()
    r = distance(standins.route_url, "Påhittade gränd 7, 13140", school)
    assert r.status_code == 404
    assert r.json() == {"error": "unknown_address", "address": "Påhittade gränd 7, 13140"}
    wrong_postal = f"{world.schools['SK0001'].address.street}, 99999"
    assert distance(standins.route_url, school, wrong_postal).json()["address"] == wrong_postal
