"""Logging that never shows a personnummer.

Libraries log URLs (httpx logs every request at INFO), and register URLs carry personnummer.
:func:`install` adds a filter that masks them on the loggers that can carry them, whatever
handler (Robot Framework's, Prefect's, the console) ends up writing the record.
"""

from __future__ import annotations

import logging

from caserobot.personnummer import mask

_LOGGERS = ("httpx", "httpcore", "caserobot", "prefect", "asyncio", "")


class MaskPersonnummer(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = MaskPersonnummer()


def install() -> None:
    """Mask personnummer in every record of caserobot's and its libraries' loggers."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    # Request lines add nothing a robot log needs; keep them out at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
