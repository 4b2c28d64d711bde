"""Adapters that translate orchestrator identities into the capture core (Airflow, Prefect)."""
