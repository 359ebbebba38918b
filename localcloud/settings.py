"""The local cloud's fixed settings: the dev JWT secret and how tokens are made (shared by `up` and `token`)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from cofounder.auth import issue_token
from cofounder.config import Settings
from localcloud.template import load_template, parameters

ROOT = Path(__file__).resolve().parent.parent
DEV_JWT_SECRET = "cofounder-local-development-secret-never-use-in-aws"
DEFAULT_SCENARIO = ROOT / "localcloud" / "scenarios" / "default.json"


def auth_settings() -> Settings:
    """What the local gateways verify tokens with: HS256 with the dev secret, issuer/audience from the template."""
    params = parameters(load_template(ROOT / "template.yaml"))
    return replace(
        Settings.from_env({}),
        jwt_secret=os.environ.get("LOCALCLOUD_JWT_SECRET", DEV_JWT_SECRET),
        jwt_issuer=str(params.get("JwtIssuer", "")),
        jwt_audience=str(params.get("JwtAudience", "")),
    )


def local_token(sub: str, ttl_s: int = 12 * 3600) -> str:
    return issue_token(sub, auth_settings(), ttl_s=ttl_s)
