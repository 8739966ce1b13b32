"""The README's promises that code can check: every setting is documented, every command exists."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from invoicing.cli import app
from invoicing.config import Settings
from invoicing.main import create_app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    documented = set(re.findall(r"^\| `(HOADON_[A-Z_]+)` \|", README, flags=re.MULTILINE))
    expected = {f"HOADON_{name.upper()}" for name in Settings.model_fields}
    assert documented == expected


def test_cli_commands_named_in_the_readme_exist() -> None:
    runner = CliRunner()
    for command in (
        ["migrate"],
        ["serve"],
        ["worker"],
        ["jobs", "retry"],
        ["chain", "verify"],
        ["officials", "create"],
    ):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert " ".join(command) in README


def test_every_api_path_is_in_the_api_overview(settings: Settings) -> None:
    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path)

    overview = README[README.index("## API overview") : README.index("### Walk-through")]
    named = {shape(path) for path in re.findall(r"(/[a-z0-9/{}._-]*[a-z0-9}])", overview)}
    paths = {shape(path) for path in create_app(settings).openapi()["paths"]}
    assert paths - named == set()
