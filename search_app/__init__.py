"""The Streamlit UI: pages and their rendering. What the pages show comes from :mod:`usecases`."""
