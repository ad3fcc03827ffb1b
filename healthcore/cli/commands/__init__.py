"""The commands of the ``healthcore`` CLI beyond evaluate, validate and plugins, one module
each, every one a thin layer over the Python API."""
