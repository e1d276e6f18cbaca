"""``caserobot decide``: apply a case type's rules to one application, print the decision.

Reads facts from a JSON file (or stdin), touches no system, and prints the decision as
JSON. User errors (bad JSON, bad field, unknown case type, bad date) give one line on
stderr and exit code 2; a broken rules configuration gives exit code 1.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from caserobot.cli import app
from caserobot.exceptions import ConfigurationError, InputError

EXIT_INPUT = 2
EXIT_CONFIG = 1


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    # One line, printable on any terminal: the message may quote the user's own keys.
    line = " ".join(message.splitlines())
    line = line.encode("utf-8", "backslashreplace").decode("utf-8")
    typer.echo(f"error: {line}", err=True)
    raise typer.Exit(code)


def _read_input(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        _fail(f"--input: cannot read {source!r}: {reason}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"--input: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    except RecursionError:
        _fail("--input: JSON-datat är för djupt nästlat (objekt eller listor i för många nivåer)")
    except ValueError:
        # Python refuses to read integers of more than sys.get_int_max_str_digits() digits.
        _fail(f"--input: ett tal i JSON-datat har fler än {sys.get_int_max_str_digits()} siffror")


def _parse_date(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"--as-of: {value!r} is not a date (expected YYYY-MM-DD)")


@app.command()
def decide(
    case_type: Annotated[
        str,
        typer.Argument(
            metavar="CASE_TYPE", help="An installed case type (see `caserobot case-types`)."
        ),
    ],
    input_file: Annotated[
        str,
        typer.Option(
            "--input",
            "-i",
            metavar="FILE",
            help="JSON object with the application's facts; '-' reads stdin.",
        ),
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD",
            help="Apply the rules and parameters in force on this date. Default: today.",
        ),
    ] = None,
) -> None:
    """Decide one application by the rules and print the decision as JSON.

    Output keys: outcome (granted, denied or refer), recommended_outcome, reasons,
    reason_codes, rule_set, as_of, inputs, trace (every rule applied) and motivering.

    A case type that calculates an amount adds amount, norm, reasonable_costs,
    counted_income (whole kronor) and calculation (every norm, cost and income line).

    Writes to no system. Bad input: one line on stderr, exit code 2.

    Example: caserobot decide CASE_TYPE --input ansokan.json --as-of 2026-08-01
    """
    from caserobot import rules  # import here: keeps `caserobot --help` fast

    when = _parse_date(as_of)
    data = _read_input(input_file)
    try:
        decision = rules.decide(case_type, data, when)
    except InputError as exc:
        field = "--as-of" if exc.field == "as_of" else exc.field
        _fail(f"{field}: {exc.detail}")
    except ConfigurationError as exc:
        _fail(f"rules configuration: {exc}", EXIT_CONFIG)
    typer.echo(json.dumps(decision.model_dump(mode="json"), ensure_ascii=False, indent=2))


@app.command("case-types")
def list_case_types(
    as_of: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="Show whether each rule set is in force then."),
    ] = None,
) -> None:
    """List the case types `caserobot decide` knows, with their rule sets."""
    from caserobot import rules

    when = _parse_date(as_of)
    for name in rules.case_types():
        try:
            rs = rules.get_case_type(name).load().rule_set
        except ConfigurationError as exc:
            _fail(f"rules configuration: {exc}", EXIT_CONFIG)
        status = "in force" if rs.in_force(when) else "NOT in force"
        typer.echo(f"{name}\t{rs.ref}\t{rs.municipality}\tfrom {rs.effective_from} ({status})")
