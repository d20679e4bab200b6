"""Workbench forms, one module per area. Shape only (types, lengths, required); rules live in the services."""
