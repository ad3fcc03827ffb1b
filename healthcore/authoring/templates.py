"""The bundled ruleset templates, and new rulesets made from them.

A template is a ruleset of the ``rulesets/`` directory of the repository (shipped in the wheel as
``healthcore/templates``): ``<name>.yaml``, with its sample accounts ``<name>.accounts.*`` next to
it. Its header comment says what business it is for (``# healthcore ruleset for ...``) and its
``description`` what it scores. Files named ``<name>.tests.yaml`` are the example cases of
``healthcore test``, not templates.

>>> from healthcore.authoring.templates import list_templates, create_from_template
>>> [t.name for t in list_templates()]
['agency', 'b2c-subscription', 'saas-b2b', 'support-centre', 'telco']
>>> create_from_template("saas-b2b", "acme.yaml")      # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from healthcore.errors import HealthcoreError
from healthcore.errors import did_you_mean
from healthcore.ruleset.source import load_yaml

TESTS_SUFFIX = ".tests.yaml"
SAMPLE_FORMATS = ("csv", "tsv", "json", "jsonl", "parquet")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_NAME_LINE = re.compile(r"^name:[^\n]*$", re.MULTILINE)


class TemplateError(HealthcoreError):
    """A template cannot be found, or a new ruleset cannot be written from it."""


@dataclass(frozen=True)
class Template:
    """One bundled template: its ``name`` (the file stem), the ``business`` it is for (from its
    header comment), its ``description`` (the ruleset's), and where its file and sample are."""

    name: str
    business: str
    description: str
    path: Path
    sample: Path | None

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


def templates_dir() -> Path:
    """Where the templates are: inside the installed package, or ``rulesets/`` of the source
    tree."""
    packaged = resources.files("healthcore") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "rulesets"


def is_template_file(path: Path) -> bool:
    """A ruleset file of the templates directory (not a ``.tests.yaml`` file)."""
    return path.suffix == ".yaml" and not path.name.endswith(TESTS_SUFFIX)


def list_templates(directory: Path | None = None) -> list[Template]:
    """Every template, sorted by name."""
    directory = templates_dir() if directory is None else directory
    found = []
    for path in sorted(directory.glob("*.yaml")):
        if is_template_file(path):
            found.append(_template(path))
    return found


def get_template(name: str, directory: Path | None = None) -> Template:
    """The template called ``name``; :class:`TemplateError` (with a did-you-mean) if none."""
    templates = list_templates(directory)
    for template in templates:
        if template.name == name:
            return template
    names = [t.name for t in templates]
    hint = did_you_mean(name, names) or f" (the templates are: {', '.join(names)})"
    raise TemplateError(f"no template '{name}'{hint}")


def _template(path: Path) -> Template:
    text = path.read_text(encoding="utf-8")
    description = ""
    try:
        data, _ = load_yaml(text, str(path))
        if isinstance(data, dict) and isinstance(data.get("description"), str):
            description = " ".join(data["description"].split())
    except HealthcoreError:
        pass
    samples = [p for p in sorted(path.parent.glob(f"{path.stem}.accounts.*"))
               if p.suffix.lstrip(".") in SAMPLE_FORMATS]
    return Template(path.stem, business_of(text), description, path,
                    samples[0] if samples else None)


def business_of(text: str) -> str:
    """What business a template is for: the words after 'healthcore ruleset for' in its header
    comment, up to the end of that sentence (or a colon)."""
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line.lstrip("#").strip())
    words = " ".join(" ".join(header).split())
    found = re.search(r"healthcore ruleset for (.+?)(?:[.:](?:\s|$)|$)", words)
    return found.group(1).strip() if found else ""


def render(template: Template, name: str) -> str:
    """The template's text with its top-level ``name:`` changed to ``name``; every comment is
    kept."""
    if not _NAME.fullmatch(name):
        raise TemplateError(f"'{name}' cannot be a ruleset name: use letters, digits, '-', '_' "
                            "and '.', starting with a letter or a digit (up to 64 characters)")
    text = template.text()
    new, count = _NAME_LINE.subn(f"name: {name}", text, count=1)
    if not count:
        raise TemplateError(f"the template {template.path} has no top-level 'name:' line")
    return new


def create_from_template(template: str | Template, destination: str | Path, *,
                         force: bool = False) -> Path:
    """Write a new ruleset at ``destination`` from ``template`` (a name or a
    :class:`Template`), named after the file's stem. Refuses to replace an existing file unless
    ``force``. The file is written atomically. Returns the path written."""
    chosen = get_template(template) if isinstance(template, str) else template
    destination = Path(destination)
    if destination.is_dir():
        raise TemplateError(f"{destination} is a directory: give the new ruleset's file name, "
                            f"such as {destination / (chosen.name + '.yaml')}")
    if destination.exists() and not force:
        raise TemplateError(f"{destination} already exists: choose another name, or give "
                            "force=True to replace it")
    if destination.suffix not in (".yaml", ".yml"):
        raise TemplateError(f"{destination}: a ruleset file name ends with .yaml or .yml")
    if destination.name.endswith(TESTS_SUFFIX):
        raise TemplateError(f"{destination}: files named *{TESTS_SUFFIX} hold the test cases "
                            "of a ruleset; choose another name")
    text = render(chosen, destination.stem)
    directory = destination.parent
    if not directory.is_dir():
        raise TemplateError(f"{destination}: the directory {directory} does not exist")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{destination.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return destination
