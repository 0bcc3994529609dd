"""UI helpers of the Streamlit studio.

Pure modules (no Streamlit import; tests call them without a browser):
``figures`` (plotly figure builders), ``images`` (pixel-exact PNGs), ``analysis`` (what the pages
compute from a model and a split), ``jobs`` (the process-wide training-job registry),
``dataset`` (download with progress). ``widgets`` holds the Streamlit pieces the pages share.
"""
