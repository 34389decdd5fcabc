"""intergov: validate and publish the curated intergovernmental-commissions data package."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """Lazy exports: ``from intergov import load`` (see :func:`intergov.reader.load`)."""
    if name == "load":
        from intergov.reader import load

        return load
    raise AttributeError(f"module 'intergov' has no attribute {name!r}")
