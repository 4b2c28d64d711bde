"""Airflow 3 adapter: identities, ``@task.tracked``, tracked operators and the listener plugin.

Importing this package does not import Airflow: entry points (the ambient identity provider,
the provider info, the plugin) name the submodules directly, and the public names are
re-exported by ``trackline.airflow``.
"""
