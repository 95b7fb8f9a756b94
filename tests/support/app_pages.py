"""Driving the Streamlit app through AppTest: open a page, read what it shows."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.support.app_builders import APP


def run_page(page: str | None = None, timeout: float = 120) -> AppTest:
    """The app after a first run, switched to ``views/<page>.py``; fails on an exception."""
    app = AppTest.from_file(str(APP), default_timeout=timeout)
    app.run()
    if page:
        app.switch_page(f"views/{page}.py")
        app.run()
    assert not app.exception, app.exception
    return app


def texts(elements) -> str:
    """The elements' values, one per line, with Markdown escapes removed."""
    return "\n".join(str(e.value) for e in elements).replace("\\", "")


def table_with(app: AppTest, column: str):
    """The first dataframe on the page that has ``column``."""
    return next(d.value for d in app.dataframe if column in d.value.columns)
