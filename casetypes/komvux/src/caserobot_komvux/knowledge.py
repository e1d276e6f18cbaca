"""What the school register's grades say about the knowledge a course aims to give.

Course codes follow Skolverket's scheme, which the register uses for every grade (older
grades converted): grundskolan's subjects ``GRGR<SUBJ>01`` (``GRGRSVA01``, Svenska som
andraspråk, counts as Svenska), Komvux grundläggande ``GRN<SUBJ><n>``, gymnasial courses
``<SUBJ><SUBJ><nn>`` with a letter or digit for variants that give the same knowledge
(``MATMAT01a``/``b``/``c``; ``SVASVA01`` and ``SVESVE01``).

* **Grundläggande nivå** (skollagen 20 kap. 11 §, "saknar sådana kunskaper som
  utbildningen syftar till att ge"): the applicant lacks the knowledge unless grundskolan's
  subject the course builds on was passed (A–E).
* **Gymnasial nivå** (20 kap. 20 §): the applicant lacks the knowledge unless the course,
  or one giving the same knowledge, was passed.
* **Basic eligibility** (20 kap. 19 §): a gymnasieexamen (högskoleförberedande or
  yrkesexamen) in the register. [U] A yrkesexamen gives basic eligibility only with
  Svenska 2–3 and Engelska 6; the register does not say which were read, so this reading
  is the stand-in's and a municipality should check it against its own practice.
"""

from __future__ import annotations

from caserobot_komvux.school_records import Grade, PersonCard

EXAMEN = frozenset({"hogskoleforberedande_examen", "yrkesexamen"})
UPPER_SECONDARY = "Gymnasieskola"
COMPLETED = "Fullföljd"


def subject_of(course_code: str) -> str:
    """Grundskolan's subject a grundläggande course builds on: ``GRNSVE2`` → ``SVE``."""
    return course_code[3:6]


def step_of(course_code: str) -> str:
    """Courses that give the same knowledge share a step (``MATMAT01a`` → ``MATMAT01``)."""
    return course_code[:8].replace("SVASVA", "SVESVE")


def _grundskola_subject(grade: Grade) -> str:
    subject = grade.code[4:7]
    return "SVE" if subject == "SVA" else subject


def lacks_knowledge(card: PersonCard | None, course_code: str, level: str) -> bool:
    """Whether the register shows the applicant lacks what the course aims to give."""
    if card is None:  # nothing in Sweden's school register: nothing passed here
        return True
    if level == "grundlaggande":
        subject = subject_of(course_code)
        return not any(
            g.passed and g.level == "grundskola" and _grundskola_subject(g) == subject
            for g in card.grades
        )
    step = step_of(course_code)
    return not any(g.passed and step_of(g.code) == step for g in card.grades)


def completed_national_programme(card: PersonCard | None) -> bool:
    return card is not None and any(
        p.school_form == UPPER_SECONDARY and p.status == COMPLETED for p in card.programmes
    )


def has_basic_eligibility(card: PersonCard | None) -> bool:
    return card is not None and any(p.diploma in EXAMEN for p in card.programmes)
