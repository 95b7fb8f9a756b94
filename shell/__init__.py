"""The application shell: the ``distilsearch`` command over every package below it."""
