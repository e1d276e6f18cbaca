# ruff: noqa: E501 - the templates' lines are HTML as the browser gets it
"""The school register's screens ("VuxReg 3.1"), as Jinja templates kept in the module.

Kept here rather than in template files so the package needs no package-data entry. The
look is its own (a 2000s municipal intranet page): frames-free, inline style, tables with
ids. Every element a robot reads has an id or a class; README.md lists them.
"""

from __future__ import annotations

from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape

BASE = """<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html lang="sv">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{{ title }} - VuxReg</title>
<style type="text/css">
body { font-family: Tahoma, Arial, sans-serif; font-size: 12px; background: #f4f1e8; margin: 0; }
#topp { background: #5a2d0c; color: #fff; padding: 8px 12px; border-bottom: 3px solid #d9a441; }
#topp .namn { font-size: 16px; font-weight: bold; }
#topp .konto { float: right; font-size: 11px; }
#topp a { color: #ffe08a; }
#flikar { background: #e6dcc3; padding: 4px 12px; border-bottom: 1px solid #b8a77c; }
#flikar a { margin-right: 12px; color: #5a2d0c; }
#sida { margin: 12px; padding: 10px; background: #fff; border: 1px solid #b8a77c; }
#fot { font-size: 10px; color: #8a7a55; margin: 0 12px 12px; }
h1 { font-size: 15px; color: #5a2d0c; margin-top: 0; }
table.rutnat { border-collapse: collapse; margin: 6px 0 10px; }
table.rutnat th, table.rutnat td { border: 1px solid #c8b98f; padding: 3px 7px; }
table.rutnat thead th { background: #8c5a2b; color: #fff; }
table.rutnat tbody tr.udda td { background: #faf6ea; }
table.uppgifter th { background: #efe6cd; text-align: left; }
p.fel { color: #a00000; font-weight: bold; background: #fff0ec; border: 1px dashed #a00000; padding: 4px; }
p.info { background: #eef4e4; padding: 4px; }
#sidnavigering { margin: 6px 0; }
</style>
</head>
<body>
<div id="topp"><span class="namn">VuxReg 3.1 &ndash; Elevregister vuxenutbildning</span>
{% if user %}<span class="konto">Användare: <b id="inloggad-anvandare">{{ user }}</b> &middot; <a id="logga-ut" href="/logout">Logga ut</a></span>{% endif %}
</div>
{% if user %}<div id="flikar"><a href="/sok">Sök person</a><a href="/kurskatalog">Kurskatalog</a><a href="/anordnare">Anordnare</a></div>{% endif %}
<div id="sida">
{% block innehall %}{% endblock %}
</div>
<div id="fot">VuxReg 3.1.4 &middot; Nacka kommun, Vuxenutbildningsenheten &middot; &copy; 2006 Skoldata Nord AB. Sessionen avslutas efter en tids inaktivitet.</div>
</body>
</html>
"""

LOGIN = """{% extends "base" %}{% block innehall %}
<h1>Logga in i VuxReg</h1>
{% if expired %}<p class="info" id="session-slut">Du har varit inaktiv för länge och loggats ut. Logga in på nytt.</p>{% endif %}
{% if logged_out %}<p class="info" id="utloggad">Du har loggat ut.</p>{% endif %}
{% if error %}<p class="fel" id="inloggning-fel">{{ error }}</p>{% endif %}
<form id="inloggning" name="inloggning" method="post" action="/login">
<table class="uppgifter">
<tr><th><label for="anvandarnamn">Användar-id</label></th><td><input type="text" id="anvandarnamn" name="anvandarnamn" size="16" maxlength="20"></td></tr>
<tr><th><label for="losenord">Lösenord</label></th><td><input type="password" id="losenord" name="losenord" size="16"></td></tr>
</table>
<input type="submit" id="logga-in" name="logga_in" value="Logga in">
</form>
{% endblock %}"""

NO_SEAT = """{% extends "base" %}{% block innehall %}
<h1>Max antal samtidiga användare</h1>
<p class="fel" id="ingen-licens">Alla {{ seats }} licenser för VuxReg används just nu. Försök igen om en stund.</p>
<p><a href="/login">Till inloggningen</a></p>
{% endblock %}"""

SEARCH = """{% extends "base" %}{% block innehall %}
<h1>Sök person</h1>
<form id="sokform" method="get" action="/sok">
<label for="pnr">Personnummer (ÅÅÅÅMMDD-NNNN)</label>
<input type="text" id="pnr" name="pnr" value="{{ query }}" size="15">
<input type="submit" id="sok" value="Sök">
</form>
{% if message %}<p class="fel" id="{{ message_id }}">{{ message }}</p>{% endif %}
{% endblock %}"""

PERSON = """{% extends "base" %}{% block innehall %}
<h1>Personkort</h1>
{% if person.protected %}<p class="fel" id="skyddade-uppgifter">Personen har skyddade personuppgifter. Lämna inte ut uppgifter om personen.</p>{% endif %}
<table id="personuppgifter" class="rutnat uppgifter">
<tr><th>Personnummer</th><td id="personnummer">{{ pnr_display }}</td></tr>
<tr><th>Namn</th><td id="namn">{{ person.last_name }}, {{ person.first_name }}</td></tr>
<tr><th>Skyddade personuppgifter</th><td id="skydd">{{ "Ja" if person.protected else "Nej" }}</td></tr>
<tr><th>Antal betyg</th><td id="antal-betyg">{{ grades }}</td></tr>
</table>
<h2>Utbildningar</h2>
<table id="program" class="rutnat">
<thead><tr><th>Skolform</th><th>Utbildning</th><th>Skola/anordnare</th><th>Start</th><th>Slut</th><th>Status</th><th>Examen/bevis</th></tr></thead>
<tbody>
{% for p in programmes %}<tr class="{{ loop.cycle('', 'udda') }}"><td class="skolform">{{ p.school_form }}</td><td class="utbildning">{{ p.name }}</td><td>{{ p.school }}</td><td>{{ p.started }}</td><td>{{ p.ended }}</td><td class="status">{{ "Fullföljd" if p.completed else ("Avbruten" if p.ended else "Pågående") }}</td><td class="examen" data-examen="{{ p.diploma }}">{{ diplomas[p.diploma] }}</td></tr>
{% endfor %}</tbody>
</table>
<p><a id="visa-betyg" href="/person/{{ person.pnr }}/betyg">Visa betyg</a> | <a id="ny-sokning" href="/sok">Ny sökning</a></p>
{% endblock %}"""

GRADES = """{% extends "base" %}{% block innehall %}
<h1>Betyg &ndash; {{ person.last_name }}, {{ person.first_name }} ({{ pnr_display }})</h1>
<p>Totalt <span id="antal">{{ total }}</span> betyg. <a id="till-personkort" href="/person/{{ person.pnr }}">Till personkortet</a></p>
{% if rows %}
<table id="betyg" class="rutnat">
<thead><tr><th>Kurskod</th><th>Kurs/ämne</th><th>Nivå</th><th>Poäng</th><th>Betyg</th><th>Betygsdatum</th><th>Skola/anordnare</th></tr></thead>
<tbody>
{% for g in rows %}<tr class="betygsrad {{ loop.cycle('', 'udda') }}"><td class="kurskod">{{ g.code }}</td><td class="kursnamn">{{ g.name }}</td><td class="niva" data-niva="{{ g.level }}">{{ levels[g.level] }}</td><td class="poang">{{ g.points if g.points is not none else "" }}</td><td class="betyg">{{ g.grade }}</td><td class="datum">{{ g.date }}</td><td class="skola">{{ g.school }}</td></tr>
{% endfor %}</tbody>
</table>
{% else %}<p class="info" id="inga-betyg">Inga betyg registrerade.</p>{% endif %}
<div id="sidnavigering">
{% if page > 1 %}<a id="foregaende-sida" href="/person/{{ person.pnr }}/betyg?sida={{ page - 1 }}">&laquo; Föregående sida</a>{% endif %}
<span id="sidinfo">Sida {{ page }} av {{ pages }}</span>
{% if page < pages %}<a id="nasta-sida" href="/person/{{ person.pnr }}/betyg?sida={{ page + 1 }}">Nästa sida &raquo;</a>{% endif %}
</div>
{% endblock %}"""

PROVIDERS = """{% extends "base" %}{% block innehall %}
<h1>Godkända anordnare</h1>
<table id="anordnare" class="rutnat">
<thead><tr><th>Kod</th><th>Anordnare</th><th>Ort</th><th>Kommunkod</th><th>Studieform</th></tr></thead>
<tbody>
{% for p in providers %}<tr class="{{ loop.cycle('', 'udda') }}"><td class="kod">{{ p.code }}</td><td>{{ p.name }}</td><td>{{ p.city }}</td><td>{{ p.municipality }}</td><td>{{ p.mode }}</td></tr>
{% endfor %}</tbody>
</table>
{% endblock %}"""

CATALOGUE = """{% extends "base" %}{% block innehall %}
<h1>Kurskatalog</h1>
<form id="katalogsok" method="get" action="/kurskatalog">
<label for="kurskod">Kurskod</label> <input type="text" id="kurskod" name="kurskod" value="{{ code }}" size="12">
<label for="anordnarkod">Anordnare</label> <input type="text" id="anordnarkod" name="anordnare" value="{{ provider }}" size="10">
<input type="submit" id="filtrera" value="Visa">
</form>
<table id="kurstillfallen" class="rutnat">
<thead><tr><th>Kurskod</th><th>Kurs</th><th>Nivå</th><th>Poäng</th><th>Anordnarkod</th><th>Anordnare</th><th>Kursstart</th><th>Platser</th><th>Ger behörighet</th></tr></thead>
<tbody>
{% for o in offerings %}<tr class="{{ loop.cycle('', 'udda') }}"><td class="kurskod">{{ o.course.code }}</td><td>{{ o.course.name }}</td><td data-niva="{{ o.course.level }}">{{ levels[o.course.level] }}</td><td>{{ o.course.points }}</td><td>{{ o.provider.code }}</td><td>{{ o.provider.name }}</td><td>{{ o.start_date }}</td><td class="platser">{{ o.capacity }}</td><td class="behorighet" data-behorighet="{{ 'ja' if o.course.qualifying else 'nej' }}">{{ "Ja" if o.course.qualifying else "Nej" }}</td></tr>
{% endfor %}</tbody>
</table>
{% if not offerings %}<p class="info" id="inga-kurser">Inga kurstillfällen matchar sökningen.</p>{% endif %}
{% endblock %}"""

ERROR = """{% extends "base" %}{% block innehall %}
<h1>{{ heading }}</h1>
<p class="fel" id="{{ error_id }}">{{ message }}</p>
<p><a href="{{ back }}">Tillbaka</a></p>
{% endblock %}"""

ENV = Environment(
    loader=DictLoader({"base": BASE, "login": LOGIN, "no_seat": NO_SEAT, "search": SEARCH,
                       "person": PERSON, "grades": GRADES, "providers": PROVIDERS,
                       "catalogue": CATALOGUE, "error": ERROR}),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def render(name: str, **context: Any) -> str:
    return ENV.get_template(name).render(**context)
