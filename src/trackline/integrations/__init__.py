"""Orchestrator adapters (Airflow, Prefect). Each subpackage imports its orchestrator; the core
never imports these."""
