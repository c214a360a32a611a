"""Settings of the Matrix transport (``transports: {matrix: {...}}``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class MatrixConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    homeserver: str = Field(description="Client-server API base URL, e.g. https://matrix.example.org")
    user_id: str = Field(description="The bot's full user id, e.g. @chatops:example.org")
    password: SecretStr | None = Field(
        None, description="Log in with a password (the device is then remembered)"
    )
    access_token: SecretStr | None = Field(None, description="Or use an existing access token")
    device_id: str | None = Field(None, description="The device of access_token (remembered after a login)")
    device_name: str = "chatops"
    store_path: str = Field("./matrix-store", description="Where the bot keeps its device and credentials")
    command_prefix: str | None = Field(None, description="Defaults to the core command_prefix")
    auto_join_users: list[str] = Field([], description="Accept invites from these users (@alice:example.org)")
    auto_join_servers: list[str] = Field([], description="Accept invites from anyone on these servers")
    room_aliases: bool = Field(True, description="Give incident rooms an alias #inc-42-title:server")
    responders: list[str] = Field([], description="Invited into every incident room")
    moderator_level: int = Field(50, description="Power level given to the Incident Commander")
    reconnect_max_wait_s: float = Field(30.0, gt=0, description="Longest wait between reconnect attempts")
    encryption: bool = Field(True, description="End-to-end encryption (needs matrix-nio[e2e])")
    pickle_key: SecretStr | None = Field(
        None, description="Key that encrypts the crypto store at rest (required with encryption)"
    )
    trust: Literal["tofu", "allowlist"] = Field(
        "tofu",
        description="tofu: share keys with every device of room members; allowlist: trusted_users only",
    )
    trusted_users: list[str] = Field([], description="With trust: allowlist, whose devices receive keys")
    encrypt_incident_rooms: Literal["auto", "always", "never"] = Field(
        "auto", description="auto: encrypted when the room the incident was declared in is"
    )
    state_details_in_encrypted_rooms: bool = Field(
        False, description="Room name, alias and topic are not encrypted: keep them to the ref unless allowed"
    )

    @field_validator("homeserver")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("use the homeserver's URL, e.g. https://matrix.example.org")
        return value.rstrip("/")

    @field_validator("user_id")
    @classmethod
    def _mxid(cls, value: str) -> str:
        if not value.startswith("@") or ":" not in value:
            raise ValueError("use the full user id, e.g. @chatops:example.org")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> MatrixConfig:
        if self.password is None and self.access_token is None:
            raise ValueError("set password or access_token (e.g. CHATOPS_TRANSPORTS__MATRIX__PASSWORD)")
        if self.encryption and self.pickle_key is None:
            raise ValueError(
                "encryption needs a pickle_key to protect the crypto store "
                "(e.g. CHATOPS_TRANSPORTS__MATRIX__PICKLE_KEY), or set encryption: false"
            )
        return self

    @property
    def server_name(self) -> str:
        return self.user_id.split(":", 1)[1]
