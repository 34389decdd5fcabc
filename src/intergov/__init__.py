"""intergov: validate and publish the curated intergovernmental-commissions data package."""

__version__ = "0.1.0"
