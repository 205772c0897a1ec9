"""Synthetic raw data in the contract's formats (`cds generate`)."""

from pipelines.generate.district import generate

__all__ = ["generate"]
