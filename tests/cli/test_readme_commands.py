"""The README documents every command the CLI has, and names no command it lacks."""

import re
from pathlib import Path

import typer.main

from cyberops.cli.main import app

README = Path(__file__).resolve().parents[2] / "README.md"


def cli_commands() -> set[str]:
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def readme_commands() -> set[str]:
    # Command lines inside the README's shell blocks.
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text("utf-8"), re.DOTALL)
    return {m for block in blocks for m in re.findall(r"^(?:cat \S+ \| )?cyberops ([a-z]+)", block, re.MULTILINE)}


def test_every_command_is_in_the_readme():
    assert cli_commands() - readme_commands() == set()


def test_the_readme_names_only_real_commands():
    assert readme_commands() - cli_commands() == set()
