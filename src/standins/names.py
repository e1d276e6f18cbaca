"""Word lists for the synthetic world: names, street names, schools, municipalities."""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FEMALE_NAMES = _words(
    """
    Alice Anna Astrid Ebba Elin Ella Ellen Elsa Emma Emilia Ester Freja Hanna Ida Ines Iris
    Julia Karin Klara Lina Linnea Lova Lovisa Maja Maria Matilda Moa Molly Nora Olivia Saga
    Sara Selma Signe Siri Stella Sofia Tilde Vera Wilma Agnes Alma Cecilia Eva Helena Jenny
    Johanna Kristina Lena Malin Sanna Therese Ulrika
    """
)
MALE_NAMES = _words(
    """
    Adam Albin Alexander Alfred Anton Arvid August Axel Carl Casper Elias Elliot Emil Erik
    Filip Frans Gustav Harry Hugo Isak Ivar Jack Jonathan Leo Liam Loke Lucas Ludvig Melker
    Milo Nils Noah Oliver Olle Oscar Otto Sixten Theo Vincent Viktor William Anders Daniel
    Fredrik Henrik Johan Magnus Mattias Niklas Per Stefan Tobias
    """
)
SURNAMES = _words(
    """
    Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson
    Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson
    Olofsson Lindström Lindqvist Lindgren Berg Axelsson Bergström Lundberg Lind Lundgren
    Lundqvist Mattsson Berglund Fredriksson Sandberg Henriksson Forsberg Sjöberg Wallin Ali
    Engström Eklund Danielsson Lundin Håkansson Björk Bergman Gunnarsson Holm Wikström
    Samuelsson Isaksson Fransson Bergqvist Nyström Holmberg Arvidsson Löfgren Söderberg
    Nyberg Blomqvist Claesson Nordström Mårtensson
    """
)

STREET_PREFIXES = _words(
    """
    Björk Ek Lönn Alm Ask Lind Gran Tall Rönn Hassel Sälg Asp Al Oxel Hägg Fläder Syren
    Tulpan Ros Lilje Vallmo Klöver Ljung Mossa Sten Klipp Berg Sjö Strand Vik Udd Ängs Åker
    Skogs Back Kvarn Smedje Skol Kyrk Torg Hamn Båtsmans Fiskar Lots Mjölnar
    """
)
STREET_SUFFIXES = _words(
    """
    vägen gatan stigen backen gränd allén slingan gången torget leden svängen branten
    """
)

INVENTED_STREETS = ("Påhittade gränd", "Låtsasvägen", "Felskrivna gatan", "Ingenstans allé")
"""Street names that never occur in the world (for malformed applications)."""

# code, name, postal-code series, postal towns
MUNICIPALITIES = {
    "0182": ("Nacka", 13100, ("Nacka", "Saltsjö-Boo", "Saltsjöbaden")),
    "0180": ("Stockholm", 12030, ("Stockholm",)),
    "0120": ("Värmdö", 13430, ("Gustavsberg",)),
    "0138": ("Tyresö", 13530, ("Tyresö",)),
}
NACKA = "0182"

# name, kommunkod, huvudman, grades (first, last; 0 = F), position as grid fractions (x, y)
SCHOOLS = (
    ("Sickla skola", "0182", "Kommunal", (0, 9), (0.22, 0.22)),
    ("Järla skola", "0182", "Kommunal", (0, 6), (0.38, 0.12)),
    ("Ektorps skola", "0182", "Kommunal", (0, 6), (0.52, 0.38)),
    ("Björknäs skola", "0182", "Kommunal", (0, 6), (0.74, 0.16)),
    ("Fisksätra skola", "0182", "Kommunal", (0, 6), (0.62, 0.70)),
    ("Neglinge skola", "0182", "Kommunal", (0, 6), (0.30, 0.60)),
    ("Saltsjöbadens samskola", "0182", "Kommunal", (0, 9), (0.80, 0.80)),
    ("Myrsjöskolan", "0182", "Kommunal", (7, 9), (0.70, 0.34)),
    ("Kunskapsskolan Nacka", "0182", "Fristående", (0, 9), (0.30, 0.38)),
    ("Engelska skolan Nacka", "0182", "Fristående", (0, 9), (0.48, 0.18)),
    ("Montessoriskolan Båtsmannen", "0182", "Fristående", (0, 6), (0.45, 0.78)),
    ("Vilans skola", "0182", "Kommunal", (0, 6), (0.20, 0.42)),
    ("Hammarby skola", "0180", "Kommunal", (0, 9), (0.05, 0.30)),
    ("Gustavsbergsskolan", "0120", "Kommunal", (0, 9), (0.95, 0.45)),
    ("Tyresö skola", "0138", "Kommunal", (0, 9), (0.50, 0.96)),
)
