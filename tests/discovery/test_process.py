"""The process a robot's tasks.robot declares: read with Robot Framework's parser, checked
against the case type's steps before any item runs, and run step by step for each item."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from caserobot import discovery, process
from caserobot.cases.base import Facts, Referred, WorkContext
from caserobot.exceptions import ConfigurationError
from caserobot.robots import read_manifest

HEADER = """*** Settings ***
Library    caserobot.robotlib.CaseRobot

*** Tasks ***
Run
    Process Work Items    komvux    process=Process Course Choice

*** Keywords ***
Process Course Choice
"""

STEPS = """    Read Application
    Check Course Start In Catalogue
    Side By Side    Look Up Applicant In Population Register
    ...    AND    Read Education In School Register
    ...    AND    Find Or Create Case
    Apply Rules
    Hand Over To Caseworker If Referred
    Write Decision Once And Read Back
"""


def _komvux() -> type[process.ItemProcess]:
    cls = discovery.package("komvux")._import(discovery.package("komvux").handler, "")
    assert issubclass(cls, process.ItemProcess)
    return cls


def _load(tmp_path: Path, body: str) -> process.Process:
    path = tmp_path / "tasks.robot"
    path.write_text(HEADER + body, encoding="utf-8")
    return process.load(path, _komvux())


WITH_ROBOT = sorted(n for n, p in discovery.installed().items() if p.robot is not None)


def test_the_installed_robots_are_all_found() -> None:
    assert {"ekonomiskt_bistand", "komvux", "skolskjuts"} <= set(WITH_ROBOT)


@pytest.mark.parametrize("name", WITH_ROBOT)
def test_every_installed_robot_declares_a_process_that_checks(name: str) -> None:
    package = discovery.package(name)
    assert package.robot is not None
    handler = package.new_handler()
    declared = handler.declared
    assert declared.source == read_manifest(package.robot).tasks_path
    assert declared.calls[-1].name in {s.name for s in handler.process_cls.steps().values()}
    # Every step the file names is one the case type offers, with a description.
    for call in declared.calls:
        for step in call.side_by_side or (call,):
            spec = handler.process_cls.steps()[process._norm(step.name)]
            assert spec.doc, f"{name}: step {spec.name} has no docstring"


def test_the_file_as_shipped_is_read_in_order(tmp_path: Path) -> None:
    declared = _load(tmp_path, STEPS)
    assert [c.name for c in declared.calls] == [
        "Read Application",
        "Check Course Start In Catalogue",
        "Side By Side",
        "Apply Rules",
        "Hand Over To Caseworker If Referred",
        "Write Decision Once And Read Back",
    ]
    assert [c.name for c in declared.calls[2].side_by_side] == [
        "Look Up Applicant In Population Register",
        "Read Education In School Register",
        "Find Or Create Case",
    ]


def test_names_match_as_robot_framework_matches_them(tmp_path: Path) -> None:
    body = STEPS.replace("Read Application", "read_application").replace(
        "Apply Rules", "APPLY RULES"
    )
    assert _load(tmp_path, body).calls[0].name == "Read Application"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            STEPS.replace("Apply Rules", "Apply The Rules"),
            "rad 15: inget steg heter 'Apply The Rules'",
        ),
        (
            # the rules before the facts they need
            "    Read Application\n    Apply Rules\n" + STEPS.split("    Apply Rules\n")[1],
            "steget 'Apply Rules' behöver person, som inget steg före ger; steget "
            "'Look Up Applicant In Population Register' hämtar det och måste komma före",
        ),
        (
            STEPS.replace("    Write Decision Once And Read Back\n", ""),
            "sista steget 'Hand Over To Caseworker If Referred' avslutar inte ärendet",
        ),
        (STEPS.replace("Apply Rules", "Apply Rules    snabbt"), "tar inga argument"),
        (
            STEPS.replace("    ...    AND    Find Or Create Case\n", "").replace(
                "AND    Read Education", "Read Education"
            ),
            "'Side By Side' tar två eller flera steg med AND emellan",
        ),
        (
            STEPS + "    FOR    ${i}    IN RANGE    2\n        Apply Rules\n    END\n",
            "processen består bara av steg och 'Side By Side'",
        ),
        ("    ${x}=    Read Application\n" + STEPS, "stegen tilldelar inga variabler"),
    ],
)
def test_a_wrong_process_is_refused_naming_what_is_wrong(
    tmp_path: Path, body: str, expected: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        _load(tmp_path, body)
    assert expected in str(caught.value), str(caught.value)
    assert "tasks.robot" in str(caught.value)


def test_a_suite_that_names_no_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tasks.robot"
    path.write_text(HEADER.replace("    process=Process Course Choice", "") + STEPS)
    with pytest.raises(ConfigurationError, match="process=<nyckelordet som är processen>"):
        process.load(path, _komvux())
    with pytest.raises(ConfigurationError, match="'Finns Inte' finns inte"):
        process.load(path, _komvux(), keyword="Finns Inte")


class _Steps(process.ItemProcess):
    """A process of three steps that records the order they ran in."""

    case_type = "komvux"
    ran: list[str]

    @process.step("First", gives=("a",))
    async def first(self) -> None:
        """First."""
        self.ran.append("first")
        self.facts.add("a", 1, "test")

    @process.step("Slow", needs=("a",), gives=("b",))
    async def slow(self) -> None:
        """Slow."""
        await asyncio.sleep(0.05)
        self.ran.append("slow")

    @process.step("Fast", needs=("a",), gives=("c",))
    async def fast(self) -> None:
        """Fast."""
        self.ran.append("fast")

    @process.step("Hand Over", needs=("b", "c"), final=True)
    async def hand_over(self) -> Referred:
        """Hand over."""
        self.ran.append("hand over")
        return Referred([], "klart", self.facts, None, None)


def _ctx() -> WorkContext:
    async def mark(step: str) -> None:
        return None

    return WorkContext(
        item_id=1,
        application_id="A-1",
        step=None,
        systems=None,  # type: ignore[arg-type]
        session=None,  # type: ignore[arg-type]
        as_of=date(2026, 8, 1),
        mark_step=mark,
        facts=Facts(),
    )


def test_the_engine_runs_the_steps_as_written_and_logs_each(tmp_path: Path) -> None:
    path = tmp_path / "p.robot"
    path.write_text(
        "*** Keywords ***\nP\n    First\n    Side By Side    Slow    AND    Fast\n    Hand Over\n"
    )
    handler = process.ProcessHandler(_Steps, process.load(path, _Steps, keyword="P"))
    ctx = _ctx()

    class Item(_Steps):
        def __init__(self, ctx: WorkContext) -> None:
            super().__init__(ctx)
            self.ran = ran

    ran: list[str] = []
    handler.process_cls = Item
    result = asyncio.run(handler.process(ctx))

    assert isinstance(result, Referred) and result.detail == "klart"
    assert ran == ["first", "fast", "slow", "hand over"]  # side by side: fast did not wait
    steps = ctx.log.steps
    assert [s.name for s in steps] == ["First", "Side By Side", "Hand Over"]
    assert [s.name for s in steps[1].body] == ["Slow", "Fast"]
    assert steps[1].body[0].elapsed_ms >= 50 > steps[1].body[1].elapsed_ms
    assert "a = 1  [test]" in steps[0].messages[0][2]  # the fact, under the step that got it


def test_caserobot_steps_shows_the_process_and_the_steps_it_may_use() -> None:
    from typer.testing import CliRunner

    from caserobot.cli import app, commands  # noqa: F401  # registers the commands

    out = CliRunner().invoke(app, ["steps", "ekonomiskt_bistand"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "Process Economic Assistance Application" in out.output
    assert " 7. Order Payment Once And Read Back" in out.output
    assert "Read Payments In Income Register" in out.output
    wrong = CliRunner().invoke(app, ["steps", "finns_inte"])
    assert wrong.exit_code == 2 and "okänd ärendetyp 'finns_inte'" in wrong.output
