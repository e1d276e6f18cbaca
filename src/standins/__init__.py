"""Stand-ins for the legacy systems caserobot works with, over one synthetic world.

The platform never imports this package; it talks HTTP (and a browser) to it. See
``README.md`` next to this file and docs/architecture.md, "Legacy stand-in contracts".
"""

from standins.world import World, build_world

__all__ = ["World", "build_world"]
