"""The Streamlit search UI and the SearchService it depends on."""
