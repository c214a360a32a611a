"""Configuration: YAML file + ``CHATOPS_*`` environment + command-line flags.

Precedence: flag > environment > file > default.  ``${NAME}`` in a string
of the file is the environment variable ``NAME`` (``$${`` for a literal
``${``), so secrets can stay out of the file where they are written.  The core's settings are
``CoreConfig``; each plugin validates its own section with the model it
returns from ``chatops_config_models``.  Every error names the file, the key
and the fix.  Secrets are ``SecretStr`` and never printed.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_DB_URL = "sqlite:///./chatops.db"
ENV_PREFIX = "CHATOPS_"
# Variables that configure the process rather than the config tree.
_NON_CONFIG_ENV = {"CONFIG", "DB", "TRACE_HOOKS"}


class ConfigError(Exception):
    """A configuration problem a person can fix; the message says how."""

    def __init__(self, source: str, key: str, problem: str, fix: str = "") -> None:
        self.source, self.key, self.problem, self.fix = source, key, problem, fix
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}" + (f" — {fix}" if fix else ""))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseConfig(_Section):
    url: str = DEFAULT_DB_URL
    synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL", description="SQLite only: NORMAL survives a process crash, FULL also a power cut."
    )
    auto_migrate: bool | None = Field(
        None, description="Apply migrations at start (default: yes on SQLite, no on PostgreSQL)."
    )


class WebConfig(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8080


class PluginsConfig(_Section):
    disabled: list[str] = []


class BridgingConfig(_Section):
    """Rooms on several platforms linked into one conversation (``chatops.bridges``)."""

    enabled: bool = Field(False, description="Opt in: mirror bridged rooms into each other.")
    allow_unencrypted: bool = Field(
        False,
        description="Let an end-to-end encrypted room be mirrored into platforms without encryption.",
    )


class CoreConfig(_Section):
    """Settings of the host itself (everything that is not a plugin section)."""

    bot_name: str = "chatops"
    timezone: str = "UTC"
    command_prefix: str = Field("!", min_length=1, pattern=r"^\S+$")
    max_input_chars: int = Field(4000, gt=0)
    hook_timeout_s: float = Field(10.0, gt=0)
    admins: list[str] = Field([], description="User ids with every permission, e.g. console:alice.")
    permissions: dict[str, list[str]] = Field(
        {}, description="Permission name -> roles allowed, overriding each command's default."
    )
    transports: dict[str, dict[str, Any]] = {"console": {}}
    database: DatabaseConfig = DatabaseConfig()
    web: WebConfig = WebConfig()
    plugins: PluginsConfig = PluginsConfig()
    bridging: BridgingConfig = BridgingConfig()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as Europe/Berlin") from None
        return value


CORE_KEYS = set(CoreConfig.model_fields)


class Config:
    """The validated configuration: the core model plus one model per plugin section."""

    def __init__(self, core: CoreConfig, raw: dict[str, Any], source: str) -> None:
        self.core = core
        self.raw = raw
        self.source = source
        self.sections: dict[str, BaseModel] = {}

    def section(self, name: str) -> Any:
        """A plugin's validated section (its model's defaults when absent)."""
        return self.sections[name]

    def bind_sections(self, models: dict[str, type[BaseModel]]) -> None:
        """Validate plugin sections once the plugins are known."""
        unknown = set(self.raw) - CORE_KEYS - set(models)
        if unknown:
            key = sorted(unknown)[0]
            near = difflib.get_close_matches(key, sorted(CORE_KEYS | set(models)), n=1)
            fix = f"did you mean {near[0]!r}?" if near else "remove it, or enable the plugin that reads it"
            raise ConfigError(self.source, key, "unknown setting", fix)
        for name, model in models.items():
            self.sections[name] = _validate(model, self.raw.get(name) or {}, self.source, prefix=name)


def _validate(model: type[BaseModel], data: Any, source: str, prefix: str = "") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        if err["type"] == "extra_forbidden":
            fields = _fields_at(model, err["loc"][:-1])
            near = difflib.get_close_matches(str(err["loc"][-1]), fields, n=1)
            raise ConfigError(
                source, key, "unknown setting", f"did you mean {near[0]!r}?" if near else "remove it"
            ) from None
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(source, key, message, _fix_for(err)) from None


def _fields_at(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) model at ``path``, for "did you mean" hints."""
    current: Any = model
    for part in path:
        field = getattr(current, "model_fields", {}).get(part)
        if (
            field is None
            or not isinstance(field.annotation, type)
            or not issubclass(field.annotation, BaseModel)
        ):
            return []
        current = field.annotation
    return list(getattr(current, "model_fields", {}))


def _fix_for(err: Any) -> str:
    expected = {
        "int_parsing": "use a whole number",
        "float_parsing": "use a number",
        "bool_parsing": "use true or false",
        "literal_error": "use one of the allowed values",
        "list_type": "use a YAML list",
        "dict_type": "use a YAML mapping",
    }
    return expected.get(err["type"], "see config/chatops.example.yaml")


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    """``CHATOPS_WEB__PORT=9000`` -> ``{"web": {"port": 9000}}`` (values parsed as YAML scalars)."""
    tree: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :]
        if path in _NON_CONFIG_ENV or path.startswith("TEST"):
            continue
        keys = [k.lower() for k in path.split("__") if k]
        if not keys:
            continue
        node = tree
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                if child is not None:
                    raise ConfigError(
                        "environment", name, f"conflicts with {ENV_PREFIX}{key.upper()}", "set one of them"
                    )
                child = node[key] = {}
            node = child
        try:
            node[keys[-1]] = yaml.safe_load(value) if value else value
        except yaml.YAMLError:
            node[keys[-1]] = value
    return tree


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_REFERENCE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand(value: Any, env: dict[str, str], source: str, key: str) -> Any:
    """``${NAME}`` in the file's strings replaced by the environment's ``NAME``; unset is an error."""
    if isinstance(value, dict):
        return {k: _expand(v, env, source, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env, source, f"{key}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        escaped, name = match.groups()
        if escaped:
            return "${" + name + "}"
        if name not in env:
            raise ConfigError(
                source, key, f"${{{name}}} is not set", f"export {name}, or write $${{{name}}} for the text"
            )
        return env[name]

    return _REFERENCE.sub(substitute, value)


def load_config(
    path: str | None = None,
    *,
    db_url: str | None = None,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Read the file (if any), apply environment and flags, validate the core section."""
    env = dict(os.environ if environ is None else environ)
    path = path or env.get("CHATOPS_CONFIG")
    source = path or "<defaults>"
    raw: dict[str, Any] = {}
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                path, "", f"cannot read the file ({exc.strerror})", "check the --config path"
            ) from None
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f"line {mark.line + 1}" if mark else ""
            raise ConfigError(path, line, "not valid YAML", "check indentation and quoting") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(path, "", "the top level must be a mapping of settings")
        raw = _expand(loaded or {}, env, path, "")
    raw = _deep_merge(raw, _env_overrides(env))
    if env.get("CHATOPS_DB"):
        raw = _deep_merge(raw, {"database": {"url": env["CHATOPS_DB"]}})
    if db_url:
        raw = _deep_merge(raw, {"database": {"url": db_url}})
    if overrides:
        raw = _deep_merge(raw, overrides)
    core_raw = {k: v for k, v in raw.items() if k in CORE_KEYS}
    core = _validate(CoreConfig, core_raw, source)
    return Config(core, {k: v for k, v in raw.items() if k not in CORE_KEYS}, source)
