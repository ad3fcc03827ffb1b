"""healthcore templates and healthcore init: the bundled templates, and rulesets made from them."""

from __future__ import annotations

import json

import pytest

from helpers import REPO
from helpers import run_cli as run
from healthcore import load_ruleset
from healthcore.authoring.templates import (TemplateError, business_of, create_from_template, get_template,
                                  list_templates, templates_dir)

SAAS = REPO / "rulesets" / "saas-b2b.yaml"


def test_templates_are_found_and_tests_files_are_not_templates():
    names = [t.name for t in list_templates()]
    assert names == ["agency", "b2c-subscription", "saas-b2b", "support-centre", "telco"]
    assert templates_dir().is_dir()
    saas = get_template("saas-b2b")
    assert saas.business == "a B2B SaaS business (seat-based subscriptions)"
    assert saas.description.startswith("Health of B2B SaaS accounts from product usage")
    assert saas.sample.name == "saas-b2b.accounts.csv"


def test_business_of_the_header_comment():
    assert business_of("# healthcore ruleset for an AGENCY: retainers.\nhealthcore: 1\n") == \
        "an AGENCY"
    assert business_of("healthcore: 1\n") == ""


def test_templates_command_text_and_json():
    result = run("templates")
    assert result.exit_code == 0
    assert "saas-b2b: for a B2B SaaS business (seat-based subscriptions)\n    Health of B2B " \
           "SaaS accounts from product usage, customer sentiment, support load and billing " \
           "signals.\n" in result.stdout
    listed = json.loads(run("templates", "--format", "json").stdout)
    assert [t["name"] for t in listed] == ["agency", "b2c-subscription", "saas-b2b",
                                           "support-centre", "telco"]
    assert listed[2]["sample"] == "saas-b2b.accounts.csv"


def test_init_copies_the_template_with_its_comments_and_the_new_name(tmp_path):
    new = tmp_path / "acme.yaml"
    result = run("init", str(new), "--template", "saas-b2b")
    assert result.exit_code == 0, result.output
    assert f"{new}: written from the template saas-b2b" in result.stdout
    original = SAAS.read_text(encoding="utf-8")
    assert new.read_text(encoding="utf-8") == original.replace("\nname: saas-b2b\n",
                                                               "\nname: acme\n")
    assert "# Business values used in the conditions" in new.read_text(encoding="utf-8")
    assert load_ruleset(new).name == "acme"


def test_init_refuses_to_overwrite_without_force(tmp_path):
    new = tmp_path / "acme.yaml"
    new.write_text("mine\n")
    result = run("init", str(new), "-t", "saas-b2b")
    assert result.exit_code == 2
    assert result.stderr == f"error: {new} already exists: choose another name, or give " \
                            "--force to replace it\n"
    assert new.read_text() == "mine\n"
    assert run("init", str(new), "-t", "saas-b2b", "--force").exit_code == 0
    assert "name: acme" in new.read_text()


def test_init_unknown_template_says_did_you_mean(tmp_path):
    result = run("init", str(tmp_path / "a.yaml"), "--template", "saas-b2")
    assert result.exit_code == 2
    assert result.stderr == "error: no template 'saas-b2' (did you mean 'saas-b2b'?)\n"
    result = run("init", str(tmp_path / "a.yaml"), "--template", "zzz")
    assert "(the templates are: agency, b2c-subscription, saas-b2b, support-centre, telco)" in \
        result.stderr
    assert not (tmp_path / "a.yaml").exists()


@pytest.mark.parametrize("name,message", [
    ("acme.txt", "a ruleset file name ends with .yaml or .yml"),
    ("acme.tests.yaml", "hold the test cases"),
    ("bad name!.yaml", "cannot be a ruleset name"),
])
def test_init_refuses_bad_file_names(tmp_path, name, message):
    with pytest.raises(TemplateError, match=message):
        create_from_template("saas-b2b", tmp_path / name)


def test_init_with_a_sample_names_each_missing_field_with_did_you_mean(tmp_path):
    sample = tmp_path / "accounts.csv"
    columns = SAAS.with_name("saas-b2b.accounts.csv").read_text().splitlines()[0].split(",")
    renamed = ["num_seats" if c == "seats" else c for c in columns]
    sample.write_text(",".join(renamed) + "\n" + ",".join("1" for _ in renamed) + "\n")
    new = tmp_path / "acme.yaml"
    result = run("init", str(new), "-t", "saas-b2b", "--sample", str(sample))
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[0] == (f"{new}:27:56: indicators[0].params.denominator: warning: indicator "
                        f"'seat_usage' reads the field 'seats', which the sample {sample} does "
                        "not have (did you mean 'num_seats'?)")
    assert len(lines) == 4  # seats in seat_usage, support_load, renewal_at_risk; the summary
    assert lines[-1].startswith(f"warning: the sample {sample} lacks fields that {new} reads "
                                "(3 warnings above)")


def test_init_with_a_matching_sample_says_how_to_try_it(tmp_path):
    sample = SAAS.with_name("saas-b2b.accounts.csv")
    new = tmp_path / "acme.yaml"
    result = run("init", str(new), "-t", "saas-b2b", "--sample", str(sample))
    assert result.exit_code == 0 and result.stderr == ""
    assert f"try it with 'healthcore evaluate {new} {sample}'" in result.stdout


def test_init_with_an_unreadable_sample_writes_nothing(tmp_path):
    new = tmp_path / "acme.yaml"
    result = run("init", str(new), "-t", "saas-b2b", "--sample", str(tmp_path / "none.csv"))
    assert result.exit_code == 2 and "cannot read the file" in result.stderr
    assert not new.exists()


def test_help_has_exit_codes_and_examples():
    for command in ("templates", "init"):
        text = run(command, "--help").stdout
        assert "Exit codes:" in text and "Examples:" in text


def test_the_wheel_ships_the_templates():
    """The pyproject force-include maps rulesets/ into the package as healthcore/templates."""
    import tomllib

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include["rulesets"] == "healthcore/templates"


def test_packaged_templates_dir_comes_first(tmp_path, monkeypatch):
    import healthcore.authoring.templates as module

    packaged = tmp_path / "healthcore" / "templates"
    packaged.mkdir(parents=True)
    (packaged / "only.yaml").write_text("# healthcore ruleset for tests.\nhealthcore: 1\n"
                                        "name: only\n")

    class Files:
        def __truediv__(self, name):
            return packaged

    monkeypatch.setattr(module.resources, "files", lambda package: Files())
    assert module.templates_dir() == packaged
    assert [t.name for t in module.list_templates()] == ["only"]
