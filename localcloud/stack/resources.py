"""A stack's resources: logical id -> physical id (what ``Ref`` returns) and ``Fn::GetAtt`` attributes, and the
deterministic names the local cloud gives resources whose template sets none.

=================================  =====================================  ==========================
type                               generated name                         Ref
=================================  =====================================  ==========================
AWS::DynamoDB::Table               ``{stack}-{LogicalId}``                table name
AWS::SQS::Queue                    ``{stack}-{LogicalId}`` (+ ``.fifo``)  queue URL
AWS::S3::Bucket                    ``{stack}-{logicalid}`` (lowercased)   bucket name
AWS::Scheduler::ScheduleGroup      ``{stack}-{LogicalId}``                group name
AWS::Scheduler::Schedule           ``{stack}-{LogicalId}``                schedule name
AWS::SecretsManager::Secret        ``{stack}-{LogicalId}``                secret ARN
AWS::IAM::Role                     ``{stack}-{LogicalId}``                role name
AWS::Lambda::Function              ``{stack}-{LogicalId}``                function name
AWS::Lambda::LayerVersion          ``{stack}-{LogicalId}``                layer version ARN (``:1``)
AWS::Lambda::EventSourceMapping    a UUID derived from stack + logical id  that UUID
AWS::Logs::LogGroup                ``{stack}-{LogicalId}``                log group name
AWS::ApiGatewayV2::Api             ``{stack}{logicalid}`` (alphanumeric)  API id (``cofounderhttpapi``)
AWS::ApiGatewayV2::Stage           its ``StageName``                      stage name
AWS::ApiGatewayV2::* (other)       ``{logicalid}`` (alphanumeric)         integration/route/... id
anything else                      ``{stack}-{LogicalId}``                that name (no attributes)
=================================  =====================================  ==========================
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from localcloud.stack.errors import TemplateError

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"


@dataclass
class Resources:
    """What a stack's resources are called, and their ``Fn::GetAtt`` attributes."""

    stack_name: str = "cofounder"
    region: str = "us-east-1"
    account_id: str = DEFAULT_ACCOUNT_ID
    physical_ids: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)

    def add(self, logical_id: str, resource_type: str, ref: Any, **attributes: Any) -> None:
        self.physical_ids[logical_id] = ref
        self.types[logical_id] = resource_type
        self.attributes[logical_id] = dict(attributes)

    def ref(self, logical_id: str) -> Any:
        """What ``!Ref logical_id`` returns (table name, queue URL, secret ARN, function name...)."""
        try:
            return self.physical_ids[logical_id]
        except KeyError:
            raise TemplateError(f"Ref {logical_id}: no such parameter or (provisioned) resource") from None

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """What ``!GetAtt logical_id.attribute`` returns (Arn, QueueUrl, QueueName...)."""
        if logical_id not in self.physical_ids:
            raise TemplateError(f"GetAtt {logical_id}.{attribute}: no such (provisioned) resource")
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            raise TemplateError(
                f"GetAtt {logical_id}.{attribute}: {self.types.get(logical_id)} has no attribute"
                f" {attribute!r} here (known: {', '.join(sorted(self.attributes[logical_id])) or 'none'})"
            ) from None

    def __contains__(self, logical_id: object) -> bool:
        return logical_id in self.physical_ids

    def of_type(self, resource_type: str) -> dict[str, Any]:
        """logical id -> Ref of every resource of one type."""
        return {lid: ref for lid, ref in self.physical_ids.items() if self.types.get(lid) == resource_type}

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{PARTITION}:{service}:{self.region if region else ''}:{self.account_id if account else ''}:{resource}"
        )


def generated_name(stack: str, logical_id: str, max_length: int = 255) -> str:
    return f"{stack}-{logical_id}"[:max_length]


def bucket_name(stack: str, logical_id: str) -> str:
    name = re.sub(r"[^a-z0-9.-]+", "-", f"{stack}-{logical_id}".lower()).strip("-.")
    return name[:63].rstrip("-.")


def api_gateway_id(*parts: str) -> str:
    """A deterministic API Gateway id: lower case letters and digits (a valid host label)."""
    return re.sub(r"[^a-z0-9]", "", "".join(parts).lower())[:63] or "api"


def derived_uuid(stack: str, logical_id: str) -> str:
    """A UUID that is the same for the same stack and logical id (an event source mapping's Ref is a UUID)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"localcloud:{stack}/{logical_id}"))
