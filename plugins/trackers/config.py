"""The ``trackers`` config section: which trackers action items go to, and how to reach them."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
JIRA_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,49}")


def _base_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.rstrip("/")


class _Tracker(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr = Field(description="The API token (set it from the environment)")
    webhook_secret: SecretStr | None = Field(
        None, description="The webhook's secret; without it, closing there does not close here"
    )
    users: dict[str, str] = Field(
        {},
        description="Owners as tracker users: {person key in oncall.people, or chat name: tracker user}; "
        "oncall.people.<key>.external entries '<tracker>:<user>' count too",
    )
    labels: list[str] = Field([], description="Labels every issue gets")


class GithubConfig(_Tracker):
    repo: str = Field(description="owner/name of the repository issues are opened in")
    api_url: str = Field("https://api.github.com", description="GitHub Enterprise: https://HOST/api/v3")

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str) -> str:
        if not REPO.fullmatch(value):
            raise ValueError(f"{value!r} is not owner/name (e.g. acme/ops)")
        return value

    @field_validator("api_url")
    @classmethod
    def _api(cls, value: str) -> str:
        return _base_url(value)


class GitlabConfig(_Tracker):
    url: str = Field("https://gitlab.com", description="The GitLab instance")
    project: str = Field(description="The project's id (1234) or path (group/project)")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _base_url(value)

    @field_validator("users")
    @classmethod
    def _ids(cls, value: dict[str, str]) -> dict[str, str]:
        wrong = sorted(k for k, v in value.items() if not str(v).isdigit())
        if wrong:
            raise ValueError(f"GitLab assignees are numeric user ids; not one for {', '.join(wrong)}")
        return value


class JiraConfig(_Tracker):
    url: str = Field(description="The site: https://acme.atlassian.net (or your Jira Data Center)")
    project: str = Field(description="The project key: OPS")
    email: str = Field(description="The account the API token belongs to (HTTP Basic: email:token)")
    issue_type: str = Field("Task", description="The issue type's name")
    assignee_field: Literal["accountId", "name"] = Field(
        "accountId", description="How users are named: accountId (Jira Cloud) or name (Data Center)"
    )
    webhook_auth: Literal["signature", "query"] = Field(
        "signature",
        description="signature: X-Hub-Signature, HMAC-SHA256 of the body (a Jira Cloud admin webhook's "
        "secret); query: ?secret=<webhook_secret> in the webhook's URL (Jira Data Center)",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _base_url(value)

    @field_validator("project")
    @classmethod
    def _key(cls, value: str) -> str:
        if not JIRA_KEY.fullmatch(value):
            raise ValueError(f"{value!r} is not a Jira project key (e.g. OPS)")
        return value


class TrackersConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    github: GithubConfig | None = Field(None, description="Action items as GitHub issues")
    gitlab: GitlabConfig | None = Field(None, description="Action items as GitLab issues")
    jira: JiraConfig | None = Field(None, description="Action items as Jira issues")
