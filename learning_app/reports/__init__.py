"""Participation reports (contract 5): rollups, figures, dashboard and exports."""
