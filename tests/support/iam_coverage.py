"""The comparisons behind the IAM tests: the needs tables against the template's roles, and against the calls the
code made. Each returns the problems it found, one readable line each (no problem: an empty list)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from localcloud.stack import Resources, event_source_mappings
from tests.support.iam_calls import Recorded, SourceCall
from tests.support.iam_needs import KNOWN_GAPS, NEEDS, Need
from tests.support.iam_policies import (
    action_matches,
    allows,
    arn_matches,
    function_ids,
    logical_name,
    need_arn,
    role_statements,
    sample_arn,
)

POLLER_NEEDS = {
    # What Lambda's event source mapping does with the function's role, by source type.
    "AWS::SQS::Queue": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
}


def tables_for_every_function(template: Mapping[str, Any], needs: Mapping[str, Any] = NEEDS) -> list[str]:
    functions = function_ids(template)
    return [
        f"{f} is a function of template.yaml without an IAM table: add what its code calls to"
        " tests/support/iam_needs.py NEEDS (and a scenario to tests/integration/test_iam_coverage.py)"
        for f in functions
        if f not in needs
    ] + [
        f"tests/support/iam_needs.py NEEDS has a table for {f}, which template.yaml does not have"
        for f in needs
        if f not in functions
    ]


def event_source_needs(template: Mapping[str, Any], resources: Resources) -> dict[str, set[Need]]:
    """function -> what its event sources' pollers need (an SQS queue: receive, delete, read its attributes)."""
    needs: dict[str, set[Need]] = {}
    for mapping in event_source_mappings(template):
        kind = resources.types.get(mapping.source or "")
        if kind not in POLLER_NEEDS:
            raise LookupError(f"{mapping.logical_id}: what its poller needs ({kind}) is not in POLLER_NEEDS")
        needs.setdefault(mapping.function, set()).update((a, str(mapping.source)) for a in POLLER_NEEDS[kind])
    return needs


def _gaps_fixed(
    function_id: str, checked: set[str], denied: set[str], known_gaps: Mapping[tuple[str, str], str]
) -> list[str]:
    """Known gaps of the function whose action was checked and allowed: fixed, so their entries must go."""
    return [
        f"{function_id} is now allowed {action}: remove it from tests/support/iam_needs.py KNOWN_GAPS"
        for (gap_function, action) in known_gaps
        if gap_function == function_id and action in checked - denied
    ]


def table_against_template(
    template: Mapping[str, Any],
    resources: Resources,
    needs: Mapping[str, Iterable[Need]] = NEEDS,
    known_gaps: Mapping[tuple[str, str], str] = KNOWN_GAPS,
) -> list[str]:
    """Every function's role allows each entry of its table (and what its event sources need)."""
    problems = []
    pollers = event_source_needs(template, resources)
    for function_id in function_ids(template):
        if function_id not in needs:
            continue  # tables_for_every_function says so
        statements = role_statements(template, resources, function_id)
        denied: set[str] = set()
        for action, resource in sorted({*needs[function_id], *pollers.get(function_id, ())}):
            if allows(statements, action, sample_arn(need_arn(resources, resource))):
                continue
            denied.add(action)
            if (function_id, action) not in known_gaps:
                problems.append(
                    f"{function_id} needs {action} on {resource}, which its role in template.yaml does not allow"
                )
        problems += _gaps_fixed(function_id, {a for a, _ in needs[function_id]}, denied, known_gaps)
    return problems


def calls_against_tables(
    calls: Iterable[Recorded],
    template: Mapping[str, Any],
    resources: Resources,
    needs: Mapping[str, Iterable[Need]] = NEEDS,
    known_gaps: Mapping[tuple[str, str], str] = KNOWN_GAPS,
) -> list[str]:
    """Each function called exactly what its table lists, and its role allowed every call (the very ARN)."""
    calls = sorted(set(calls))
    problems = []
    for function_id in function_ids(template):
        if function_id not in needs:
            continue  # tables_for_every_function says so
        made = [c for c in calls if c.function == function_id]
        if not made:
            problems.append(
                f"{function_id}: no scenario runs its handler: add one to tests/integration/test_iam_coverage.py"
            )
            continue
        table = {(action, resource): need_arn(resources, resource) for action, resource in needs[function_id]}
        statements = role_statements(template, resources, function_id)
        called: set[Need] = set()
        denied: set[str] = set()
        for call in made:
            what = f"{call.action} on {logical_name(resources, call.arn)} (by {call.operation})"
            entries = {
                need
                for need, pattern in table.items()
                if action_matches(need[0], call.action) and arn_matches(pattern, call.arn)
            }
            if not entries:
                problems.append(f"{function_id} calls {what}, which its table in tests/support/iam_needs.py lacks")
            called |= entries
            if not allows(statements, call.action, call.arn):
                denied.add(call.action)
                if (function_id, call.action) not in known_gaps:
                    problems.append(f"{function_id} calls {what}, which its role does not allow: AccessDenied on AWS")
        problems += [
            f"{function_id}'s table lists {action} on {resource}, which it never called: a stale entry, or a path"
            " no scenario reaches yet"
            for action, resource in sorted(set(table) - called)
        ]
        problems += _gaps_fixed(function_id, {c.action for c in made}, denied, known_gaps)
    return problems


def source_against_calls(source_calls: Iterable[SourceCall], calls: Iterable[Recorded]) -> list[str]:
    """Every AWS operation in the source was called by some function (so it is in some table, checked)."""
    called = {c.operation for c in calls}
    return [
        f"{c.operation} at {c.where} is called by no scenario, so no function's IAM table covers it: add the"
        " scenario that reaches it to tests/integration/test_iam_coverage.py and the entries to NEEDS"
        for c in source_calls
        if str(c.operation) not in called
    ]
