"""The Gradio-bound pieces of the try-it demo (demo.py): bounded inputs and the API argument checks
(``inputs``), and starting the demo from the studio (``server``)."""
