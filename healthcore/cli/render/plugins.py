"""The plugins, their metrics and functions, as text."""

from __future__ import annotations

from typing import Any


def render_catalogue(catalogue: dict[str, Any]) -> str:
    """The plugins, metrics (with their parameters) and functions of
    :func:`healthcore.authoring.reference.plugin_catalogue`, as text."""
    lines = ["Plugins:"]
    for plugin in catalogue["plugins"]:
        version = f" {plugin['version']}" if plugin["version"] else ""
        lines.append(f"  {plugin['name']}{version} ({plugin['source']})")
    lines.append("\nMetrics:")
    for metric in catalogue["metrics"]:
        lines.append(f"  {metric['name']}: {metric['summary']}  [{metric['plugin']}]")
        spec = metric["parameters"]
        required = set(spec.get("required", []))
        for name, prop in spec.get("properties", {}).items():
            details = [prop.get("type", "any")]
            if name in metric["inputs"]:
                details.append(f"{metric['inputs'][name]} field"
                               if metric["inputs"][name] != "expression" else "expression")
            if name in required:
                details.append("required")
            if "default" in prop:
                details.append(f"default {prop['default']!r}")
            lines.append(f"      {name} ({', '.join(details)}): {prop.get('description', '')}")
    lines.append("\nFunctions in expressions:")
    for function in catalogue["functions"]:
        lines.append(f"  {function['name']}: {function['summary']}  [{function['plugin']}]")
    return "\n".join(lines)
