"""The one harness every benchmark stands on: data sets (``datasets``), scoring through
``evaluation`` (``scoring``), timing (``timing``), the report writer (``report``:
``docs/results/NAME.json`` + ``.md`` with how and where the figures were made), synthetic
rows through the store protocol (``stores``), Milvus beneath the store (``milvus_raw``) and
an untrained student of the right shape for timings (``standin``)."""
