"""The ``drill`` config section: where scenarios live and who takes turns leading drills."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class DrillConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenarios_dir: str = Field(
        "config/drills",
        description="Scenario files (*.yaml); a relative path is relative to the directory chatops runs in",
    )
    ic_pool: list[str] | None = Field(
        None,
        description="People (keys of oncall.people) who take turns as a drill's Incident Commander; "
        "unset: the people of oncall.ic_schedule",
    )
    room_prefix: str = Field("drill", description="Drill rooms are named <prefix>-<number>-<scenario>")

    def directory(self, cwd: Path | None = None) -> Path:
        """The scenarios' folder: an absolute path as given, a relative one from ``cwd`` (the working dir)."""
        path = Path(self.scenarios_dir).expanduser()
        return path if path.is_absolute() else (cwd or Path.cwd()) / path
