"""Configuration: flag > environment > file > default, and errors that say how to fix them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr

from chatops.config import DEFAULT_DB_URL, ConfigError, load_config


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "chatops.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults_need_no_file() -> None:
    config = load_config(None, environ={})
    assert config.core.database.url == DEFAULT_DB_URL
    assert config.core.command_prefix == "!"
    assert config.core.max_input_chars == 4000
    assert config.core.timezone == "UTC"


def test_precedence_flag_over_env_over_file(tmp_path: Path) -> None:
    path = write(tmp_path, "database:\n  url: sqlite:///file.db\ntimezone: Europe/Berlin\n")
    assert load_config(path, environ={}).core.database.url == "sqlite:///file.db"
    env = {"CHATOPS_DB": "sqlite:///env.db", "CHATOPS_TIMEZONE": "America/New_York"}
    from_env = load_config(path, environ=env)
    assert from_env.core.database.url == "sqlite:///env.db"
    assert from_env.core.timezone == "America/New_York"
    assert load_config(path, db_url="sqlite:///flag.db", environ=env).core.database.url == "sqlite:///flag.db"


def test_nested_environment_keys_are_typed() -> None:
    config = load_config(None, environ={"CHATOPS_WEB__PORT": "9001", "CHATOPS_WEB__ENABLED": "false"})
    assert config.core.web.port == 9001 and config.core.web.enabled is False


def test_config_file_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "bot_name: pager\n")
    assert load_config(None, environ={"CHATOPS_CONFIG": path}).core.bot_name == "pager"


def test_misspelt_key_gets_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, "web:\n  prot: 9000\n"), environ={})
    assert error.value.key == "web.prot"
    assert "did you mean 'port'?" in str(error.value)
    assert str(tmp_path) in str(error.value)


def test_wrong_type_names_key_and_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"max_input_chars: .* — use a whole number"):
        load_config(write(tmp_path, "max_input_chars: lots\n"), environ={})


def test_unknown_timezone(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Europe/Berlin"):
        load_config(write(tmp_path, "timezone: Mars/Olympus\n"), environ={})


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="line 2"):
        load_config(write(tmp_path, "bot_name: a\nweb: port: 1\n"), environ={})


def test_unreadable_file() -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config("/nonexistent/chatops.yaml", environ={})


class SecretSection(BaseModel):
    token: SecretStr


def test_plugin_sections_are_validated_by_their_models_and_secrets_stay_hidden(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "vault:\n  token: hunter2\n"), environ={})
    config.bind_sections({"vault": SecretSection})
    section = config.section("vault")
    assert section.token.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(section) and "hunter2" not in str(section)


def test_section_nobody_reads_is_an_error(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "severty: {}\n"), environ={})
    with pytest.raises(ConfigError, match="did you mean 'severity'"):
        config.bind_sections({"severity": SecretSection})


def test_the_example_config_is_valid() -> None:
    from chatops.app import App

    root = Path(__file__).resolve().parents[2]
    app = App(load_config(str(root / "config" / "chatops.example.yaml"), environ={}), transports={})
    assert app.config.section("severity").default == 3
    assert "scribe" in app.config.section("roles").definitions()


def test_environment_references_in_the_file_are_expanded_and_an_unset_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "chatops.yaml"
    path.write_text(
        "bot_name: ${BOT}\n"
        "mitigations:\n"
        "  actions:\n"
        "    rollback:\n"
        "      help: costs $${NOT_EXPANDED}\n"
        "      webhook: {url: 'https://deploy.internal', headers: {Authorization: 'Bearer ${DEPLOY_TOKEN}'}}\n"
    )
    config = load_config(str(path), environ={"BOT": "opsbot", "DEPLOY_TOKEN": "t0k3n"})
    assert config.core.bot_name == "opsbot"
    rollback = config.raw["mitigations"]["actions"]["rollback"]
    assert rollback["webhook"]["headers"]["Authorization"] == "Bearer t0k3n"
    assert rollback["help"] == "costs ${NOT_EXPANDED}"
    with pytest.raises(ConfigError) as unset:
        load_config(str(path), environ={"BOT": "opsbot"})
    assert str(unset.value) == (
        f"{path}: mitigations.actions.rollback.webhook.headers.Authorization: ${{DEPLOY_TOKEN}} is not set"
        " — export DEPLOY_TOKEN, or write $${DEPLOY_TOKEN} for the text"
    )
