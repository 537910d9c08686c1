"""The Streamlit front end: a French client of the API over HTTP."""
