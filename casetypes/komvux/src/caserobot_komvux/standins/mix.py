"""The Komvux application mix: each kind of application and the outcome it is built for.

Every applicant is built for exactly one kind (:mod:`.people`), so an application of that
kind needs a caseworker for exactly one reason, or for none. Weights are per 100
applications before the malformed share. The outcome a robot reading the systems should
reach (case-rules.md section 2):

* ``granted`` (bifall): resident in Nacka, 20 or older on 1 July of the start year, and
  lacking the knowledge the course gives: no pass in grundskolan's subject (grundläggande
  courses; nothing in the school register and no foreign grades counts as none), or no
  gymnasieexamen (so no basic eligibility) and no pass in the course or one giving the same
  knowledge (gymnasial courses that count towards eligibility, 20 kap. 19 §);
* ``selection`` (urval, "Behörig – urval"): eligible but without a right to the course, so
  admitted by selection: a gymnasieexamen (basic eligibility) and a course that gives no
  further eligibility, or under 20 with a completed national programme;
* ``denied`` (avslag): the course already passed (grade A–E in the school records) or
  grundskolan's subject passed (the applicant does not lack the knowledge);
* ``refer``: foreign grades to assess, protected identity, home municipality other than
  Nacka (the application goes there), not folkbokförd in Sweden (utvandrad: whether the
  applicant still counts as resident is a person's call), or under 20 without a completed
  programme (special reasons are a person's call; some write them in the free text);
* ``malformed``: bad input the e-service let through.
"""

from __future__ import annotations

CATEGORIES: dict[str, dict[str, int]] = {
    "granted": {"grund_lacks_subject": 14, "gym_no_examen": 18, "grund_no_records": 7},
    "selection": {"gym_has_examen": 14, "under20_completed_programme": 4},
    "denied": {"already_passed": 8, "grund_has_knowledge": 6},
    "refer": {"foreign_grades": 8, "protected_identity": 4, "other_municipality": 7,
              "not_resident": 3, "under20_special_reasons": 3, "under20_no_programme": 2},
    "malformed": {"wrong_check_digit": 1, "missing_field": 1, "unknown_course": 1,
                  "course_not_offered": 1, "bad_start_date": 1},
}
OUTCOME = {"granted": "bifall", "selection": "urval", "denied": "avslag", "refer": "refer",
           "malformed": "refer"}
"""The case system's ``utfall`` for each category (``refer``: a caseworker decides)."""
KINDS = [kind for category, kinds in CATEGORIES.items() if category != "malformed"
         for kind in kinds]
UNDER_20 = ("under20_completed_programme", "under20_no_programme", "under20_special_reasons")

SPECIAL_REASONS = (
    "Jag har varit långvarigt sjuk och kunde inte gå klart gymnasiet. Min kurator och "
    "läkare stödjer att jag läser vidare på komvux i stället.",
    "Jag bor i ett familjehem sedan i våras och kan inte fortsätta på min gamla skola. "
    "Socialtjänsten har hjälpt mig med ansökan.",
    "Jag har en neuropsykiatrisk diagnos och klarade inte de stora klasserna på gymnasiet. "
    "Intyg kan skickas in.",
)
FOREIGN_TEXT = ("Jag har gymnasieutbildning från {country}. Betygen är bifogade och "
                "översatta till svenska.")
COUNTRIES = ("Syrien", "Irak", "Iran", "Somalia", "Eritrea", "Afghanistan", "Polen",
             "Ukraina", "Chile", "Turkiet")
