"""caserobot's web UI: server-rendered pages in Swedish and a JSON API under ``/api``.

Entry point: :func:`create_app`. How to add a page: see ``README.md`` next to this file.
"""

from caserobot.web.app import create_app

__all__ = ["create_app"]
