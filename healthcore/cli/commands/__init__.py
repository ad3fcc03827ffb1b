"""The commands of the ``healthcore`` CLI, one module each (``common``: what they share),
every one a thin layer over the Python API."""
