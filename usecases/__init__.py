"""The use cases every front end calls (the CLI in ``shell``, the Streamlit UI in
``search_app``); front ends only parse input and render output.

- index paths: :func:`usecases.indexing.index_paths` (also UI uploads, through
  :mod:`usecases.uploads`; evaluation corpora through :func:`usecases.indexing.index_corpus`;
  the Ray engine through :mod:`usecases.indexing_ray`)
- search, answer, compare: :class:`usecases.search.SearchService`
- distill: :func:`usecases.distilling.distill_student`
- evaluate: :func:`usecases.evaluating.evaluate`
- upgrade: :func:`usecases.upgrading.upgrade_all`
- agreement: :func:`usecases.agreement.estimate`

Nothing is imported here, so importing one use case does not load the others.
"""
