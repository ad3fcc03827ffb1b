"""The built-in plugins, registered through the same hooks as third-party plugins.

A module's ``METRICS`` are the metrics it registers. Their parameter schemas ship with
healthcore and are checked against the JSON Schema meta-schema by the test suite, so a run does
not check them again (a costly check: see :meth:`healthcore.plugin.registry.Registry.schema_problem`).
"""
