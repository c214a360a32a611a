"""The ``metrics`` config section."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class MetricsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recur_within_days: int = Field(30, ge=1, le=365, description="Incidents sharing a label this close recur")
    token: SecretStr | None = Field(
        None, description="Bearer token Prometheus sends to GET /metrics (no token: no endpoint)"
    )
