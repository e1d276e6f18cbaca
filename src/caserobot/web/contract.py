"""The JSON API's contract (``/api``): its error answers, how routes declare them, row ids.

Every error answer of the API is JSON with ``detail``, a message in Swedish for a person:

====  ==================================================================================
400   the request body could not be read at all (not UTF-8, say)
401   nobody is logged in
403   the user's role may not do this, or (writes) the CSRF token is missing or wrong
404   no such resource (another unit's exception item answers 404 too)
409   the exception item was handled already
413   the request body is larger than the web server accepts
422   bad input; ``field`` names the field at fault. A request that does not match the
      schema (a missing field, a string where a number belongs, malformed JSON) also
      lists FastAPI's findings in ``errors``
503   Prefect does not answer; nothing was changed
====  ==================================================================================

A route declares the statuses it can really answer with ``responses=errors(404, 422)``;
routers declare those of their dependencies (401 and 403). A row id in a path is a
:data:`RowId` (1 … 2^31 - 1), so an absurd one is a 422 rather than a database error.
The app's exception handlers (:mod:`caserobot.web.app`) produce these bodies, and
``tests/web/test_api_contract.py`` checks with schemathesis that every answer is documented
and matches its schema.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

__all__ = [
    "BODY_UNREADABLE",
    "DESCRIPTIONS",
    "MAX_ROW_ID",
    "RowId",
    "ApiError",
    "InvalidInput",
    "ValidationIssue",
    "errors",
    "invalid_request",
]

#: FastAPI's detail of its own 400 (a body it cannot decode); the app answers in Swedish.
BODY_UNREADABLE = "There was an error parsing the body"

#: Largest id of a row (PostgreSQL's INTEGER): a larger one in a path is a 422, not a
#: database error.
MAX_ROW_ID = 2**31 - 1

#: A row id in a path (an exception item, a run).
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

#: What each error status means, as the API documentation says it.
DESCRIPTIONS: dict[int, str] = {
    400: "The request body could not be read (it is not UTF-8 text)",
    401: "Not logged in",
    403: "The user's role may not do this, or the CSRF token (X-CSRF-Token) is missing or wrong",
    404: "No such resource",
    409: "The item was handled already; nothing changed",
    413: "The request body is larger than the server accepts",
    422: "Bad input: `field` names the field at fault",
    503: "Prefect does not answer; nothing changed",
}

_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})

# Pydantic's error types, as the end of a Swedish sentence about the field.
_PROBLEMS: dict[str, str] = {
    "missing": "saknas",
    "int_parsing": "ska vara ett heltal",
    "int_type": "ska vara ett heltal",
    "int_from_float": "ska vara ett heltal",
    "float_parsing": "ska vara ett tal",
    "float_type": "ska vara ett tal",
    "string_type": "ska vara text",
    "bool_parsing": "ska vara true eller false",
    "bool_type": "ska vara true eller false",
    "list_type": "ska vara en lista",
    "dict_type": "ska vara ett JSON-objekt",
    "model_attributes_type": "ska vara ett JSON-objekt",
    "json_invalid": "är inte giltig JSON",
    "literal_error": "har inget av de tillåtna värdena",
    "enum": "har inget av de tillåtna värdena",
    "greater_than_equal": "är för litet",
    "greater_than": "är för litet",
    "less_than_equal": "är för stort",
    "less_than": "är för stort",
    "string_too_long": "är för långt",
    "string_too_short": "är för kort",
    "too_long": "har för många delar",
    "too_short": "har för få delar",
    "string_unicode": "är inte text i UTF-8",
}


class ApiError(BaseModel):
    """The body of every error answer of the API."""

    detail: str = Field(description="What went wrong, in Swedish, for a person to read")


class ValidationIssue(BaseModel):
    """One finding of FastAPI's request validation."""

    loc: list[str | int] = Field(description="Where: the location (body, query, path) and field")
    msg: str = Field(description="Pydantic's message, in English")
    type: str = Field(description="Pydantic's error type, e.g. missing or int_parsing")


class InvalidInput(ApiError):
    """The body of a 422: the input was refused, and which field was at fault."""

    field: str = Field(description="The input field at fault, e.g. amount, limit or body")
    errors: list[ValidationIssue] = Field(
        default_factory=list,
        description="Every finding when the request did not match the schema; empty when "
        "the input matched the schema but was refused on its content",
    )


def errors(
    *statuses: int, descriptions: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route (or router) that can answer with these error statuses.

    Args:
        statuses: The error statuses, e.g. ``errors(404, 409, 422)``.
        descriptions: Route-specific wording instead of :data:`DESCRIPTIONS`.
    """
    wording = {**DESCRIPTIONS, **(descriptions or {})}
    return {
        status: {
            "model": InvalidInput if status == 422 else ApiError,
            "description": wording[status],
        }
        for status in statuses
    }


def invalid_request(findings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The 422 body for FastAPI's request-validation findings: the first one in Swedish.

    The submitted values (pydantic's ``input``) are left out: a refused password or
    personnummer is not echoed back.
    """
    issues = [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in f.get("loc", ())],
            "msg": str(f.get("msg", "")),
            "type": str(f.get("type", "")),
        }
        for f in findings
    ]
    first = issues[0] if issues else {"loc": ["body"], "msg": "", "type": ""}
    field = _field(first["loc"], first["type"])
    problem = _PROBLEMS.get(first["type"], "har ett ogiltigt värde")
    detail = f"Fältet '{field}' {problem}."
    if len(issues) > 1:
        detail += f" ({len(issues) - 1} fel till, se errors.)"
    return {"detail": detail, "field": field, "errors": issues}


def _field(loc: Sequence[str | int], error_type: str) -> str:
    """``("body", "amount")`` -> ``amount``; the body itself (or its JSON) -> ``body``."""
    if error_type == "json_invalid" or not loc:
        return "body"
    names = list(loc[1:]) if loc[0] in _LOCATIONS else list(loc)
    return ".".join(str(p) for p in names) or str(loc[0])
