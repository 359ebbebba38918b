"""Creating a template's resources through boto3 (moto in-process, a moto server, LocalStack), or only naming
them (:func:`plan`), in dependency order; and the stack's ``Outputs``.

A SAM template is translated first (:mod:`localcloud.stack.sam`), so what is created is what CloudFormation
would create on AWS: the tables, queues, buckets, schedule groups, schedules and secrets. Functions, layers,
event source mappings, log groups and API Gateway resources get deterministic physical ids only: the local
cloud runs them itself (see :mod:`localcloud.stack.resources` for the names). So do IAM roles: nothing local
evaluates a policy, and uploading the policies samtranslator expands (about 20 calls) would only slow
``localcloud up``; they stay in the translated template (:func:`localcloud.stack.cloudformation`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from localcloud.stack.errors import TemplateError
from localcloud.stack.intrinsics import Evaluator, evaluate_conditions, evaluator_for, parameters, references
from localcloud.stack.resource_types import create
from localcloud.stack.resources import DEFAULT_ACCOUNT_ID, Resources
from localcloud.stack.sam import cloudformation


class Provisioner:
    """One pass over a template's resources; ``client`` None: plan only, no AWS call."""

    def __init__(
        self,
        template: Mapping[str, Any],
        resources: Resources,
        params: Mapping[str, Any],
        client: Callable[[str], Any] | None,
    ) -> None:
        self.template = template
        self.resources = resources
        self.params = params
        self.client = client
        self.conditions = evaluate_conditions(template, params, resources)
        self.evaluator = Evaluator(resources, params, self.conditions, template.get("Mappings") or {})

    def run(self) -> Resources:
        declared = self.template["Resources"]
        for logical_id in creation_order(declared):
            resource = declared[logical_id]
            if "Condition" in resource and not self.conditions[resource["Condition"]]:
                continue
            create(self, logical_id, resource)
        return self.resources

    def props(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        """The resource's properties, every intrinsic resolved."""
        return self.evaluator.resolve(dict(resource.get("Properties") or {}))

    @property
    def live(self) -> bool:
        return self.client is not None


def creation_order(declared: Mapping[str, Any]) -> list[str]:
    """Logical ids, each after what it refers to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``DependsOn``)."""
    known = set(declared)
    graph = {}
    for logical_id, resource in declared.items():
        depends_on = resource.get("DependsOn") or []
        deps = references(resource.get("Properties") or {}, known)
        deps |= set([depends_on] if isinstance(depends_on, str) else depends_on) & known
        graph[logical_id] = deps - {logical_id}
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, path: tuple[str, ...]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            raise TemplateError("circular dependency: " + " -> ".join((*path, node)))
        state[node] = 1
        for dep in sorted(graph[node]):
            visit(dep, (*path, node))
        state[node] = 2
        order.append(node)

    for logical_id in declared:  # template order, dependencies first
        visit(logical_id, ())
    return order


def _client_factory(
    session: Any, endpoint_url: str | None, region: str, clients: Mapping[str, Any] | None
) -> Callable[[str], Any]:
    import boto3

    session = session or boto3.session.Session()
    cache: dict[str, Any] = dict(clients or {})
    credentials: dict[str, str] = {}
    if endpoint_url and session.get_credentials() is None:
        # An emulator accepts any credentials; boto3 refuses to sign without some.
        credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}

    def client(service: str) -> Any:
        if service not in cache:
            cache[service] = session.client(service, region_name=region, endpoint_url=endpoint_url, **credentials)
        return cache[service]

    return client


def provision(
    template: Mapping[str, Any],
    *,
    session: Any = None,
    endpoint_url: str | None = None,
    clients: Mapping[str, Any] | None = None,
    stack_name: str = "cofounder",
    region: str = "us-east-1",
    parameter_overrides: Mapping[str, Any] | None = None,
    account_id: str | None = None,
) -> Resources:
    """Create the template's resources through boto3 and return what they are called.

    Works under moto's ``mock_aws`` (no ``endpoint_url``), against a moto server or LocalStack
    (``endpoint_url``), with a ``boto3.Session`` of your own or ready-made ``clients`` keyed by service name
    (``"dynamodb"``, ``"sqs"``, ``"s3"``, ``"scheduler"``, ``"secretsmanager"``, ``"iam"``, ``"sts"``).
    Idempotent: resources that already exist are reused.
    """
    client = _client_factory(session, endpoint_url, region, clients)
    if account_id is None:
        try:
            account_id = client("sts").get_caller_identity()["Account"]
        except Exception:  # an emulator without STS
            account_id = DEFAULT_ACCOUNT_ID
    cfn = cloudformation(template)
    resources = Resources(stack_name=stack_name, region=region, account_id=account_id)
    return Provisioner(cfn, resources, parameters(cfn, parameter_overrides), client).run()


def plan(
    template: Mapping[str, Any],
    *,
    stack_name: str = "cofounder",
    region: str = "us-east-1",
    parameter_overrides: Mapping[str, Any] | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> Resources:
    """The physical ids and attributes :func:`provision` would produce, without calling AWS.

    Names are exact; queue URLs use the AWS form, ARNs the ``aws`` partition, secret ARNs a fixed suffix.
    """
    cfn = cloudformation(template)
    resources = Resources(stack_name=stack_name, region=region, account_id=account_id)
    return Provisioner(cfn, resources, parameters(cfn, parameter_overrides), None).run()


def outputs(
    template: Mapping[str, Any], resources: Resources, parameter_overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The template's ``Outputs``, resolved (those whose ``Condition`` is false are left out)."""
    cfn = cloudformation(template)
    evaluator = evaluator_for(cfn, resources, parameters(cfn, parameter_overrides))
    return {
        name: evaluator.resolve(output["Value"])
        for name, output in (cfn.get("Outputs") or {}).items()
        if "Condition" not in output or evaluator.condition(output["Condition"])
    }


def logical_ids(template: Mapping[str, Any], resource_type: str) -> list[str]:
    """Logical ids of the template's resources of one type, in template order (a SAM template translated)."""
    declared = cloudformation(template)["Resources"]
    return [lid for lid, res in declared.items() if res.get("Type") == resource_type]
