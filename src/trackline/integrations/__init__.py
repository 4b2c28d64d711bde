"""Orchestrator adapters. Each subpackage imports its orchestrator; the core never imports these."""
