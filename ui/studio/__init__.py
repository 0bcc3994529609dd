"""The Streamlit-bound half of the studio's UI: widgets, the model picker, the monitor, the photo views,
the chart options and the process-wide services. Only pages/ and app.py import it."""
