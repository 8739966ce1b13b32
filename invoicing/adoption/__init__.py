"""Adoption of e-invoicing per locality: the business registry, maintained aggregates, statistics."""
