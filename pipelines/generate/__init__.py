"""Synthetic raw data in the contract's formats (`cds generate`)."""

from pipelines.generate.build import FAULT_KINDS, generate

__all__ = ["FAULT_KINDS", "generate"]
