"""Data profiles: mergeable column summaries (quantile sketches, distinct counts, top values).

Below capture (tracked artifacts carry a profile) and below monitoring (drift compares profiles).
numpy and pandas load only when a profile is made or compared.
"""
