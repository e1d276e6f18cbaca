"""caserobot: software robots (RPA) for the legacy case systems of Swedish municipalities."""

__version__ = "0.1.0"
