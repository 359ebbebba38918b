"""The ready-to-paste commands `make dev` prints."""

from __future__ import annotations

from typing import Any

from localcloud.settings import ROOT, local_token

CONSOLE = ROOT / "console"


def dev_commands(ports: Any) -> str:
    token = local_token("founder-1")
    api = f"http://127.0.0.1:{ports.http}"
    console = f"\nFounder console: {api}/  (use \"dev sign-in\" with any founder id)\n" if CONSOLE.is_dir() else ""
    return f"""{console}
Founder token (sub=founder-1, 12 h):
  export TOKEN={token}

Start a job, then follow it:
  curl -s -X POST {api}/api/jobs -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
       -d '{{"goal": "Validate demand for a B2B invoicing tool", "daily_budget_usd": 1}}'
  curl -s {api}/api/jobs/$JOB_ID/status -H "Authorization: Bearer $TOKEN"
  curl -s {api}/api/jobs/$JOB_ID/escalations -H "Authorization: Bearer $TOKEN"
  curl -s -X POST {api}/api/escalations/$ESCALATION_ID/resolve -H "Authorization: Bearer $TOKEN" \\
       -H 'content-type: application/json' -d '{{"decision": "Approved"}}'
  npx wscat -c "ws://127.0.0.1:{ports.ws}?token=$TOKEN"
    > {{"action": "subscribe", "job_id": "<job_id>", "after": 0}}

Time travel (wakes sleeping agents at their next budget refresh):
  curl -s -X POST {api}/_local/clock/advance -d '{{"seconds": 86400}}'
OpenAPI document: {api}/api/openapi.json
"""
