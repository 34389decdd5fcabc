"""intergov: validate and publish the curated intergovernmental-commissions data package."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """Lazy exports: ``from intergov import load, LoadError`` (see :func:`intergov.reader.load`)."""
    if name in ("load", "LoadError"):
        from intergov import reader

        return getattr(reader, name)
    raise AttributeError(f"module 'intergov' has no attribute {name!r}")
