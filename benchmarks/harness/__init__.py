"""The one harness every benchmark stands on: data sets, scoring through ``evaluation``,
timing, and the report writer (``docs/results/NAME.json`` + ``.md`` with how and where
the figures were made)."""
