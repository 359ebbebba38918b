"""template.yaml as the single source of truth for tests and the local cloud.

- :func:`load_template` parses the SAM/CloudFormation YAML, short tags (``!Ref``, ``!GetAtt``, ``!Sub``...)
  included, into their long JSON forms.
- :func:`provision` creates the template's stateful resources (DynamoDB tables, SQS queues, S3 buckets,
  scheduler groups, secrets, IAM roles) through boto3: moto in-process (``mock_aws``), a moto server or
  LocalStack at an endpoint URL. Functions, layers and log groups get deterministic physical ids only.
- :func:`plan` computes the same physical ids and attributes without calling AWS.
- :func:`resolve` evaluates intrinsic functions against provisioned resources and parameters.
- :func:`functions` / :func:`function_environment` describe the Lambda functions (handler, code, events,
  environment) so the local cloud wires exactly what AWS would.

Physical names (a generated name is used only when the template sets none):

=============================  =====================================  ==========================
type                           generated name                         Ref
=============================  =====================================  ==========================
AWS::DynamoDB::Table           ``{stack}-{LogicalId}``                table name
AWS::SQS::Queue                ``{stack}-{LogicalId}`` (+ ``.fifo``)  queue URL
AWS::S3::Bucket                ``{stack}-{logicalid}`` (lowercased)   bucket name
AWS::Scheduler::ScheduleGroup  ``{stack}-{LogicalId}``                group name
AWS::SecretsManager::Secret    ``{stack}-{LogicalId}``                secret ARN
AWS::IAM::Role                 ``{stack}-{LogicalId}``                role name
AWS::Serverless::Function      ``{stack}-{LogicalId}``                function name
AWS::Serverless::LayerVersion  ``{stack}-{LogicalId}``                layer version ARN (``:1``)
AWS::Logs::LogGroup            ``{stack}-{LogicalId}``                log group name
AWS::Serverless::HttpApi       ``{stack}{logicalid}`` (alphanumeric)  API id (``cofounderhttpapi``)
AWS::ApiGatewayV2::Api         ``{stack}{logicalid}`` (alphanumeric)  API id
AWS::ApiGatewayV2::Stage       its ``StageName``                      stage name
AWS::ApiGatewayV2::* (other)   ``{logicalid}`` (alphanumeric)         integration/route/... id
anything else                  ``{stack}-{LogicalId}``                that name (no attributes)
=============================  =====================================  ==========================

API Gateway resources are not created in the emulator (the local cloud serves the APIs itself from
:func:`http_routes` and :func:`websocket_routes`): they only get these deterministic ids, so that
``https://${WebSocketApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}`` resolves to a valid URL.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "NO_VALUE",
    "EventSpec",
    "FunctionSpec",
    "HttpRoute",
    "Resources",
    "TemplateError",
    "evaluate_conditions",
    "function_environment",
    "functions",
    "http_routes",
    "load_template",
    "logical_ids",
    "outputs",
    "parameters",
    "plan",
    "provision",
    "resolve",
    "websocket_routes",
]

DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
_PARTITION = "aws"
_URL_SUFFIX = "amazonaws.com"


class TemplateError(ValueError):
    """The template (or a value in it) cannot be understood or resolved."""


class _NoValue:
    """``AWS::NoValue``: the property it is assigned to is removed."""

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


# ---------------------------------------------------------------------------------------------------------
# Loading: a SafeLoader that knows the CloudFormation short tags
# ---------------------------------------------------------------------------------------------------------

_SHORT_TAGS = (
    "Sub", "Join", "If", "Select", "Split", "Equals", "Not", "And", "Or", "FindInMap", "Base64",
    "ImportValue", "GetAZs", "Cidr", "Length", "ToJsonString", "Transform",
)  # fmt: skip


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader + CloudFormation short tags; dates such as ``2010-09-09`` stay strings."""


# CloudFormation reads timestamps as plain strings (AWSTemplateFormatVersion: 2010-09-09).
CloudFormationLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_node(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _long_form(name: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {name: _construct_node(loader, node)}

    return construct


def _construct_getatt(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct_node(loader, node)
    if isinstance(value, str):
        logical_id, sep, attribute = value.partition(".")
        if not sep:
            raise TemplateError(f"!GetAtt {value!r}: expected 'LogicalId.Attribute'")
        value = [logical_id, attribute]
    return {"Fn::GetAtt": value}


CloudFormationLoader.add_constructor("!Ref", _long_form("Ref"))
CloudFormationLoader.add_constructor("!Condition", _long_form("Condition"))
CloudFormationLoader.add_constructor("!GetAtt", _construct_getatt)
for _tag in _SHORT_TAGS:
    CloudFormationLoader.add_constructor(f"!{_tag}", _long_form(f"Fn::{_tag}"))


def load_template(path: str | Path = "template.yaml") -> dict[str, Any]:
    """Parse a CloudFormation/SAM template (YAML or JSON) into plain dicts with long-form intrinsics."""
    with open(path, encoding="utf-8") as fh:
        document = yaml.load(fh, Loader=CloudFormationLoader)  # a SafeLoader subclass
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
    return document


# ---------------------------------------------------------------------------------------------------------
# Parameters, conditions, resolution
# ---------------------------------------------------------------------------------------------------------


def parameters(template: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The template's parameter values: defaults, replaced by ``overrides``; list types become lists.

    Values are strings, as CloudFormation passes them (``Ref`` to a ``Number`` parameter is a string).
    """
    overrides = dict(overrides or {})
    declared = template.get("Parameters") or {}
    unknown = set(overrides) - set(declared)
    if unknown:
        raise TemplateError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            raw = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no Default: pass it in parameter_overrides")
        kind = str(spec.get("Type", "String"))
        if kind.startswith("List<") or kind == "CommaDelimitedList":
            values[name] = raw if isinstance(raw, list) else [p.strip() for p in str(raw).split(",")]
        else:
            values[name] = _scalar_str(raw)
    return values


def _scalar_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def evaluate_conditions(
    template: Mapping[str, Any], params: Mapping[str, Any], resources: Resources | None = None
) -> dict[str, bool]:
    """Evaluate the template's ``Conditions`` section (conditions may refer to one another)."""
    declared = template.get("Conditions") or {}
    resources = resources or Resources()
    done: dict[str, bool] = {}
    visiting: set[str] = set()

    def condition(name: str) -> bool:
        if name in done:
            return done[name]
        if name not in declared:
            raise TemplateError(f"unknown condition {name!r}")
        if name in visiting:
            raise TemplateError(f"condition {name!r} refers to itself")
        visiting.add(name)
        ctx = _Context(resources, params, _LazyConditions(condition), template.get("Mappings") or {})
        done[name] = bool(ctx.resolve(declared[name]))
        visiting.discard(name)
        return done[name]

    return {name: condition(name) for name in declared}


class _LazyConditions(dict):
    def __init__(self, lookup: Callable[[str], bool]) -> None:
        super().__init__()
        self._lookup = lookup

    def __missing__(self, key: str) -> bool:
        return self._lookup(key)

    def __contains__(self, key: object) -> bool:
        return True


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass
class _Context:
    resources: Resources
    params: Mapping[str, Any]
    conditions: Mapping[str, bool]
    mappings: Mapping[str, Any]

    def pseudo(self, name: str) -> Any:
        r = self.resources
        table = {
            "AWS::Region": r.region,
            "AWS::AccountId": r.account_id,
            "AWS::StackName": r.stack_name,
            "AWS::StackId": f"arn:{_PARTITION}:cloudformation:{r.region}:{r.account_id}:stack/"
            f"{r.stack_name}/00000000-0000-0000-0000-000000000000",
            "AWS::Partition": _PARTITION,
            "AWS::URLSuffix": _URL_SUFFIX,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        if name not in table:
            raise TemplateError(f"unknown pseudo parameter {name}")
        return table[name]

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.params:
            return self.params[name]
        return self.resources.ref(name)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(self.resolve(arg))
            if key == "Condition" and isinstance(arg, str):
                return self.condition(arg)
            if key.startswith("Fn::"):
                handler = getattr(self, "fn_" + key[4:].lower(), None)
                if handler is None:
                    raise TemplateError(f"unsupported intrinsic function {key}")
                return handler(arg)
        out = {}
        for k, v in value.items():
            resolved = self.resolve(v)
            if resolved is not NO_VALUE:
                out[k] = resolved
        return out

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise TemplateError(f"unknown condition {name!r}")
        return bool(self.conditions[name])

    # -- intrinsic functions -------------------------------------------------------------------------------

    def fn_getatt(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        logical_id, attribute = (self.resolve(a) for a in arg)
        return self.resources.get_att(logical_id, attribute)

    def fn_sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = (
                arg[0],
                {k: self.resolve(v) for k, v in (arg[1] if len(arg) > 1 else {}).items()},
            )
        else:
            text, variables = arg, {}
        if not isinstance(text, str):
            raise TemplateError(f"Fn::Sub expects a string, got {text!r}")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                return _scalar_str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return _scalar_str(self.resources.get_att(logical_id, attribute))
            value = self.ref(name)
            if isinstance(value, list):
                raise TemplateError(f"Fn::Sub: ${{{name}}} is a list")
            return _scalar_str(value)

        return _SUB_VARIABLE.sub(substitute, text)

    def fn_join(self, arg: Any) -> str:
        delimiter, items = arg
        items = self.resolve(items)
        return self.resolve(delimiter).join(_scalar_str(i) for i in items)

    def fn_select(self, arg: Any) -> Any:
        index, items = self.resolve(arg[0]), self.resolve(arg[1])
        return items[int(index)]

    def fn_split(self, arg: Any) -> list[str]:
        delimiter, text = (self.resolve(a) for a in arg)
        return str(text).split(delimiter)

    def fn_if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def fn_equals(self, arg: Any) -> bool:
        left, right = (self.resolve(a) for a in arg)
        return _scalar_str(left) == _scalar_str(right)

    def fn_not(self, arg: Any) -> bool:
        (value,) = arg
        return not self.resolve(value)

    def fn_and(self, arg: Any) -> bool:
        return all(self.resolve(a) for a in arg)

    def fn_or(self, arg: Any) -> bool:
        return any(self.resolve(a) for a in arg)

    def fn_findinmap(self, arg: Any) -> Any:
        name, top, second = (self.resolve(a) for a in arg[:3])
        try:
            return self.mappings[name][top][second]
        except KeyError as exc:
            raise TemplateError(f"Fn::FindInMap: no {name}/{top}/{second}") from exc

    def fn_base64(self, arg: Any) -> str:
        import base64

        return base64.b64encode(str(self.resolve(arg)).encode()).decode()

    def fn_getazs(self, arg: Any) -> list[str]:
        region = self.resolve(arg) or self.resources.region
        return [f"{region}{zone}" for zone in "abc"]

    def fn_length(self, arg: Any) -> int:
        return len(self.resolve(arg))

    def fn_tojsonstring(self, arg: Any) -> str:
        return json.dumps(self.resolve(arg), separators=(",", ":"))

    def fn_importvalue(self, arg: Any) -> Any:
        raise TemplateError(f"Fn::ImportValue {self.resolve(arg)!r}: cross-stack exports are not available")


def resolve(
    value: Any,
    resources: Resources,
    parameters: Mapping[str, Any] | None = None,
    *,
    conditions: Mapping[str, bool] | None = None,
    mappings: Mapping[str, Any] | None = None,
) -> Any:
    """Evaluate the intrinsic functions in ``value``.

    ``Ref`` reaches parameters, pseudo parameters (``AWS::Region``, ``AWS::AccountId``, ``AWS::StackName``,
    ``AWS::Partition``, ``AWS::URLSuffix``, ``AWS::NoValue``...) and resources; ``Fn::GetAtt``, ``Fn::Sub``
    (``${X}``, ``${X.Attr}``, ``${!Literal}``, the list form), ``Fn::Join``, ``Fn::Select``, ``Fn::Split``,
    ``Fn::If``/``Fn::Equals``/``Fn::Not``/``Fn::And``/``Fn::Or`` (with ``conditions``), ``Fn::FindInMap``
    (with ``mappings``), ``Fn::Base64``, ``Fn::GetAZs``. Properties set to ``AWS::NoValue`` are removed.
    """
    return _Context(resources, parameters or {}, conditions or {}, mappings or {}).resolve(value)


# ---------------------------------------------------------------------------------------------------------
# Resources: logical id -> physical id + attributes
# ---------------------------------------------------------------------------------------------------------


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
            f"arn:{_PARTITION}:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )


# ---------------------------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------------------------

_EVENT_SOURCE_KEYS = ("Queue", "Stream", "ApiId", "RestApiId", "Bucket", "Table")
_API_EVENT_TYPES = ("HttpApi", "Api")


@dataclass(frozen=True)
class EventSpec:
    """One entry of a function's ``Events`` (properties unresolved, as written)."""

    name: str
    type: str
    properties: Mapping[str, Any]
    source: str | None = None
    """Logical id of the resource the event comes from (the SQS event's ``Queue``, an API's ``ApiId``...)."""

    @property
    def batch_size(self) -> int | None:
        value = self.properties.get("BatchSize")
        return None if value is None else int(value)

    @property
    def function_response_types(self) -> tuple[str, ...]:
        return tuple(self.properties.get("FunctionResponseTypes") or ())

    @property
    def enabled(self) -> bool:
        return str(self.properties.get("Enabled", True)).lower() != "false"

    # -- API events (HttpApi / Api): the route they add ------------------------------------------------

    @property
    def method(self) -> str | None:
        """The route's HTTP method, upper case (``ANY`` when an API event leaves it out); None otherwise."""
        if self.type not in _API_EVENT_TYPES:
            return None
        return str(self.properties.get("Method") or "ANY").upper()

    @property
    def path(self) -> str | None:
        """The route's path as written (``/api/jobs/{job_id}/status``); ``$default`` for an HttpApi event
        without Path and Method (its catch-all route); None for a non-API event."""
        if self.type not in _API_EVENT_TYPES:
            return None
        if "Path" not in self.properties and "Method" not in self.properties and self.type == "HttpApi":
            return "$default"
        return str(self.properties.get("Path", ""))

    @property
    def route_key(self) -> str | None:
        """API Gateway's routeKey (``GET /api/jobs/{job_id}/status``, ``$default``), None for a non-API event."""
        if self.path is None:
            return None
        return self.path if self.path == "$default" else f"{self.method} {self.path}"

    @property
    def authorizer(self) -> str | None:
        """The authorizer the event names in ``Auth.Authorizer`` (``NONE`` included); None: the API's default."""
        value = (self.properties.get("Auth") or {}).get("Authorizer")
        return None if value is None else str(value)

    @property
    def auth_none(self) -> bool:
        """True if the event opts out of authorization (``Auth: {Authorizer: NONE}``)."""
        return self.authorizer == "NONE"


@dataclass(frozen=True)
class FunctionSpec:
    """An ``AWS::Serverless::Function`` with ``Globals.Function`` applied."""

    logical_id: str
    code_uri: str
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    architectures: tuple[str, ...]
    environment: Mapping[str, Any]
    """Unresolved ``Environment.Variables`` (globals merged): see :func:`function_environment`."""
    events: Mapping[str, EventSpec]
    properties: Mapping[str, Any]
    """Every merged property, unresolved."""

    @property
    def handler_module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def handler_function(self) -> str:
        return self.handler.rsplit(".", 1)[1]

    def events_of_type(self, event_type: str) -> list[EventSpec]:
        return [e for e in self.events.values() if e.type == event_type]


def _merge_globals(global_value: Any, local_value: Any) -> Any:
    # SAM: maps merge (the resource wins), lists concatenate (globals first), scalars are replaced.
    if isinstance(global_value, dict) and isinstance(local_value, dict) and not _is_intrinsic(local_value):
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = _merge_globals(global_value[key], value) if key in global_value else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return [*global_value, *local_value]
    return local_value


def _is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def _merged_function_properties(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    resource = template["Resources"][logical_id]
    if resource.get("Type") != "AWS::Serverless::Function":
        raise TemplateError(f"{logical_id} is not an AWS::Serverless::Function")
    global_props = ((template.get("Globals") or {}).get("Function")) or {}
    return _merge_globals(dict(global_props), dict(resource.get("Properties") or {}))


def _referenced_logical_id(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and isinstance(arg, str):
            return arg
        if key == "Fn::GetAtt":
            return (arg.split(".", 1) if isinstance(arg, str) else arg)[0]
        if key == "Fn::Sub" and isinstance(arg, str):
            match = _SUB_VARIABLE.search(arg)
            return match.group(1).split(".", 1)[0] if match else None
    return None


def functions(template: Mapping[str, Any]) -> dict[str, FunctionSpec]:
    """Every ``AWS::Serverless::Function`` of the template, with ``Globals.Function`` applied."""
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = _merged_function_properties(template, logical_id)
        events = {}
        for name, event in (props.get("Events") or {}).items():
            event_props = dict(event.get("Properties") or {})
            source = next(
                (_referenced_logical_id(event_props[k]) for k in _EVENT_SOURCE_KEYS if k in event_props), None
            )
            events[name] = EventSpec(name=name, type=event["Type"], properties=event_props, source=source)
        code_uri = props.get("CodeUri", "")
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_uri=code_uri if isinstance(code_uri, str) else json.dumps(code_uri),
            handler=str(props.get("Handler", "")),
            runtime=str(props.get("Runtime", "")),
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
            architectures=tuple(props.get("Architectures") or ("x86_64",)),
            environment=dict((props.get("Environment") or {}).get("Variables") or {}),
            events=events,
            properties=props,
        )
    return specs


def function_environment(
    template: Mapping[str, Any],
    logical_id: str,
    resources: Resources,
    parameter_overrides: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """``Globals.Function.Environment.Variables`` merged with the function's own, resolved to strings."""
    props = _merged_function_properties(template, logical_id)
    params = parameters(template, parameter_overrides)
    variables = (props.get("Environment") or {}).get("Variables") or {}
    resolved = _Context(
        resources, params, evaluate_conditions(template, params, resources), template.get("Mappings") or {}
    ).resolve(variables)
    return {name: _scalar_str(value) for name, value in resolved.items()}


# ---------------------------------------------------------------------------------------------------------
# API routes: what the local cloud serves, and which function answers
# ---------------------------------------------------------------------------------------------------------

_IMPLICIT_HTTP_API = "ServerlessHttpApi"  # SAM's API for HttpApi events without ApiId


class HttpRoute(NamedTuple):
    """One route of an HTTP API: ``(method, path, function, auth_none)``."""

    method: str
    path: str
    function: str
    """Logical id of the function that answers."""
    auth_none: bool
    """True if no authorizer applies (the event says ``Authorizer: NONE``, or the API has no default one)."""

    @property
    def route_key(self) -> str:
        return self.path if self.path == "$default" else f"{self.method} {self.path}"


def _http_api_default_authorizer(template: Mapping[str, Any], api: str) -> str | None:
    global_auth = (((template.get("Globals") or {}).get("HttpApi")) or {}).get("Auth") or {}
    resource = template["Resources"].get(api) or {}
    auth = {**global_auth, **((resource.get("Properties") or {}).get("Auth") or {})}
    value = auth.get("DefaultAuthorizer")
    return None if value in (None, "NONE") else str(value)


def http_routes(template: Mapping[str, Any], api: str | None = None) -> list[HttpRoute]:
    """Every ``HttpApi`` event of the template's functions as a route, in template order.

    ``api`` keeps the routes of one API (its logical id; events without ``ApiId`` belong to SAM's implicit
    ``ServerlessHttpApi``). Two functions claiming one route key of one API is a :class:`TemplateError`.
    """
    routes: list[HttpRoute] = []
    seen: dict[tuple[str, str], str] = {}
    for logical_id, spec in functions(template).items():
        for event in spec.events_of_type("HttpApi"):
            event_api = event.source or _IMPLICIT_HTTP_API
            if api is not None and event_api != api:
                continue
            if event.authorizer is None:
                auth_none = _http_api_default_authorizer(template, event_api) is None
            else:
                auth_none = event.auth_none
            route = HttpRoute(str(event.method), str(event.path), logical_id, auth_none)
            key = (event_api, route.route_key)
            if key in seen:
                raise TemplateError(f"{event_api}: route {route.route_key!r} of both {seen[key]} and {logical_id}")
            seen[key] = f"{logical_id}.{event.name}"
            routes.append(route)
    return routes


def websocket_routes(template: Mapping[str, Any], api: str | None = None) -> dict[str, str]:
    """Route key (``$connect``, ``$disconnect``, ``$default``, custom actions) -> logical id of the function
    that answers, for the template's WebSocket APIs (``AWS::ApiGatewayV2::Api`` with ``ProtocolType:
    WEBSOCKET``; ``api``: only that one). Resolved as API Gateway does: route ``Target``
    (``integrations/{IntegrationId}``) -> integration ``IntegrationUri`` (``...functions/{Function.Arn}
    /invocations``) -> function.
    """
    declared = template["Resources"]

    def of_type(*types: str) -> set[str]:
        return {lid for lid, res in declared.items() if res.get("Type") in types}

    apis = {
        lid
        for lid in of_type("AWS::ApiGatewayV2::Api")
        if str((declared[lid].get("Properties") or {}).get("ProtocolType", "")).upper() == "WEBSOCKET"
    }
    if api is not None:
        if api not in apis:
            raise TemplateError(f"{api} is not a WebSocket API (AWS::ApiGatewayV2::Api, ProtocolType WEBSOCKET)")
        apis = {api}
    integrations = of_type("AWS::ApiGatewayV2::Integration")
    function_ids = of_type("AWS::Serverless::Function", "AWS::Lambda::Function")

    def only(found: set[str], what: str, where: str) -> str:
        if len(found) != 1:
            named = ", ".join(sorted(found)) or "none"
            raise TemplateError(f"{where}: expected exactly one {what}, found {named}")
        return next(iter(found))

    routes: dict[str, str] = {}
    for logical_id, resource in declared.items():  # template order
        if resource.get("Type") != "AWS::ApiGatewayV2::Route":
            continue
        props = resource.get("Properties") or {}
        if not _dependencies(props.get("ApiId"), apis):
            continue
        route_key = str(props.get("RouteKey", ""))
        integration = only(_dependencies(props.get("Target"), integrations), "integration (Target)", logical_id)
        uri = (declared[integration].get("Properties") or {}).get("IntegrationUri")
        function = only(_dependencies(uri, function_ids), "function (IntegrationUri)", integration)
        if route_key in routes:
            raise TemplateError(f"WebSocket route {route_key!r} is declared twice")
        routes[route_key] = function
    return routes


def outputs(
    template: Mapping[str, Any], resources: Resources, parameter_overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The template's ``Outputs``, resolved (those whose ``Condition`` is false are left out)."""
    params = parameters(template, parameter_overrides)
    conditions = evaluate_conditions(template, params, resources)
    ctx = _Context(resources, params, conditions, template.get("Mappings") or {})
    return {
        name: ctx.resolve(output["Value"])
        for name, output in (template.get("Outputs") or {}).items()
        if "Condition" not in output or conditions[output["Condition"]]
    }


# ---------------------------------------------------------------------------------------------------------
# Provisioning
# ---------------------------------------------------------------------------------------------------------


def _dependencies(value: Any, known: set[str]) -> set[str]:
    """Logical ids of the resources that ``value`` refers to."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, arg in node.items():
                if key == "Ref" and isinstance(arg, str):
                    found.add(arg)
                elif key == "Fn::GetAtt":
                    found.add((arg.split(".", 1) if isinstance(arg, str) else arg)[0])
                elif key == "Fn::Sub":
                    text = arg if isinstance(arg, str) else arg[0]
                    local = set(arg[1]) if isinstance(arg, list) and len(arg) > 1 else set()
                    for name in _SUB_VARIABLE.findall(text):
                        if not name.startswith("!") and name.split(".", 1)[0] not in local:
                            found.add(name.split(".", 1)[0])
                    if isinstance(arg, list):
                        walk(arg[1:])
                    continue
                walk(arg)

    walk(value)
    return found & known


def _creation_order(resources: Mapping[str, Any]) -> list[str]:
    known = set(resources)
    graph = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn") or []
        deps = _dependencies(resource.get("Properties") or {}, known)
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

    for logical_id in resources:  # template order, dependencies first
        visit(logical_id, ())
    return order


def _generated_name(stack: str, logical_id: str, max_length: int = 255) -> str:
    return f"{stack}-{logical_id}"[:max_length]


def _bucket_name(stack: str, logical_id: str) -> str:
    name = re.sub(r"[^a-z0-9.-]+", "-", f"{stack}-{logical_id}".lower()).strip("-.")
    return name[:63].rstrip("-.")


def _bool_str(value: Any) -> str:
    return "true" if str(value).lower() == "true" else "false"


class _Provisioner:
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
        self.client = client  # None: plan only, no AWS calls
        self.conditions = evaluate_conditions(template, params, resources)
        self.ctx = _Context(resources, params, self.conditions, template.get("Mappings") or {})

    def run(self) -> Resources:
        declared = self.template["Resources"]
        for logical_id in _creation_order(declared):
            resource = declared[logical_id]
            if "Condition" in resource and not self.conditions[resource["Condition"]]:
                continue
            handler = _HANDLERS.get(resource["Type"], _provision_other)
            handler(self, logical_id, resource)
        return self.resources

    def props(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        return self.ctx.resolve(dict(resource.get("Properties") or {}))

    @property
    def live(self) -> bool:
        return self.client is not None


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def _provision_table(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    name = props.get("TableName") or _generated_name(r.stack_name, logical_id)
    arn = r.arn("dynamodb", f"table/{name}")
    stream_arn = None
    if p.live:
        ddb = p.client("dynamodb")
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        throughput_keys = ("ReadCapacityUnits", "WriteCapacityUnits")

        def index(spec: Mapping[str, Any]) -> dict[str, Any]:
            out = {k: spec[k] for k in ("IndexName", "KeySchema", "Projection") if k in spec}
            if kwargs["BillingMode"] == "PROVISIONED" and "ProvisionedThroughput" in spec:
                out["ProvisionedThroughput"] = {
                    k: int(spec["ProvisionedThroughput"][k]) for k in throughput_keys
                }
            return out

        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = [index(i) for i in props["GlobalSecondaryIndexes"]]
        if props.get("LocalSecondaryIndexes"):
            kwargs["LocalSecondaryIndexes"] = [index(i) for i in props["LocalSecondaryIndexes"]]
        if kwargs["BillingMode"] == "PROVISIONED":
            throughput = props.get("ProvisionedThroughput") or {
                "ReadCapacityUnits": 5,
                "WriteCapacityUnits": 5,
            }
            kwargs["ProvisionedThroughput"] = {k: int(throughput[k]) for k in throughput_keys}
        if "StreamSpecification" in props:
            kwargs["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": props["StreamSpecification"]["StreamViewType"],
            }
        if "SSESpecification" in props:
            sse = props["SSESpecification"]
            kwargs["SSESpecification"] = {"Enabled": _bool_str(sse.get("SSEEnabled")) == "true"} | {
                k: sse[k] for k in ("SSEType", "KMSMasterKeyId") if k in sse
            }
        if "TableClass" in props:
            kwargs["TableClass"] = props["TableClass"]
        if props.get("Tags"):
            kwargs["Tags"] = props["Tags"]
        try:
            description = ddb.create_table(**kwargs)["TableDescription"]
        except ddb.exceptions.ResourceInUseException:
            description = ddb.describe_table(TableName=name)["Table"]
        if description.get("TableStatus") not in (None, "ACTIVE"):
            ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        arn = description.get("TableArn", arn)
        stream_arn = description.get("LatestStreamArn")
        ttl = props.get("TimeToLiveSpecification")
        if ttl and _bool_str(ttl.get("Enabled")) == "true":
            try:
                ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
                )
            except ddb.exceptions.ClientError as exc:  # already enabled (re-provisioning)
                if _error_code(exc) != "ValidationException":
                    raise
        pitr = props.get("PointInTimeRecoverySpecification") or {}
        if _bool_str(pitr.get("PointInTimeRecoveryEnabled")) == "true":
            ddb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
    attrs = {"Arn": arn}
    if stream_arn or "StreamSpecification" in props:
        attrs["StreamArn"] = stream_arn or f"{arn}/stream/1970-01-01T00:00:00.000"
    r.add(logical_id, resource["Type"], name, **attrs)


_SQS_ATTRIBUTES = (
    "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout", "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope",
    "FifoThroughputLimit", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled",
)  # fmt: skip


def _provision_queue(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    fifo = _bool_str(props.get("FifoQueue", False)) == "true"
    name = props.get("QueueName") or (
        _generated_name(r.stack_name, logical_id, 80 - 5) + ".fifo"
        if fifo
        else _generated_name(r.stack_name, logical_id, 80)
    )
    if fifo and not name.endswith(".fifo"):
        raise TemplateError(f"{logical_id}: a FIFO queue's QueueName must end in .fifo")
    attributes: dict[str, str] = {}
    for key in _SQS_ATTRIBUTES:
        if key in props:
            value = props[key]
            attributes[key] = _bool_str(value) if isinstance(value, bool) else str(value)
    for key in ("RedrivePolicy", "RedriveAllowPolicy"):
        if key in props:
            policy = props[key]
            if isinstance(policy, dict) and "maxReceiveCount" in policy:
                policy = {**policy, "maxReceiveCount": int(policy["maxReceiveCount"])}
            attributes[key] = policy if isinstance(policy, str) else json.dumps(policy)
    arn = r.arn("sqs", name)
    url = f"https://sqs.{r.region}.{_URL_SUFFIX}/{r.account_id}/{name}"
    if p.live:
        sqs = p.client("sqs")
        kwargs: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
        if props.get("Tags"):
            kwargs["tags"] = {t["Key"]: t["Value"] for t in props["Tags"]}
        url = sqs.create_queue(**kwargs)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    r.add(logical_id, resource["Type"], url, Arn=arn, QueueName=name, QueueUrl=url)


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Status": rule.get("Status", "Enabled")}
    if "Id" in rule:
        out["ID"] = rule["Id"]
    out["Filter"] = {"Prefix": rule.get("Prefix", "")}
    expiration = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if "ExpirationDate" in rule:
        expiration["Date"] = rule["ExpirationDate"]
    if expiration:
        out["Expiration"] = expiration
    if "NoncurrentVersionExpirationInDays" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
    return out


def _provision_bucket(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    name = props.get("BucketName") or _bucket_name(r.stack_name, logical_id)
    if p.live:
        s3 = p.client("s3")
        kwargs: dict[str, Any] = {"Bucket": name}
        if r.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": r.region}
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(**kwargs)
        if "BucketEncryption" in props:
            rules = [  # CloudFormation's ServerSideEncryptionByDefault is the API's Apply...ByDefault
                {("Apply" + k if k == "ServerSideEncryptionByDefault" else k): v for k, v in rule.items()}
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in props:
            block = {k: _bool_str(v) == "true" for k, v in props["PublicAccessBlockConfiguration"].items()}
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
            )
        rules = (props.get("LifecycleConfiguration") or {}).get("Rules")
        if rules:
            s3.put_bucket_lifecycle_configuration(
                Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in rules]}
            )
    r.add(
        logical_id,
        resource["Type"],
        name,
        Arn=f"arn:{_PARTITION}:s3:::{name}",
        DomainName=f"{name}.s3.{_URL_SUFFIX}",
        RegionalDomainName=f"{name}.s3.{r.region}.{_URL_SUFFIX}",
        WebsiteURL=f"http://{name}.s3-website-{r.region}.{_URL_SUFFIX}",
    )


def _provision_schedule_group(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    name = props.get("Name") or _generated_name(r.stack_name, logical_id, 64)
    arn = r.arn("scheduler", f"schedule-group/{name}")
    if p.live:
        scheduler = p.client("scheduler")
        try:
            arn = scheduler.create_schedule_group(Name=name)["ScheduleGroupArn"]
        except scheduler.exceptions.ConflictException:
            arn = scheduler.get_schedule_group(Name=name)["Arn"]
    r.add(logical_id, resource["Type"], name, Arn=arn)


def _random_secret(spec: Mapping[str, Any]) -> str:
    length = int(spec.get("PasswordLength", 32))
    alphabet = string.ascii_letters + string.digits + string.punctuation
    for key, chars in (
        ("ExcludeUppercase", string.ascii_uppercase),
        ("ExcludeLowercase", string.ascii_lowercase),
        ("ExcludeNumbers", string.digits),
        ("ExcludePunctuation", string.punctuation),
    ):
        if _bool_str(spec.get(key, False)) == "true":
            alphabet = "".join(c for c in alphabet if c not in chars)
    alphabet = "".join(c for c in alphabet if c not in str(spec.get("ExcludeCharacters", "")))
    value = "".join(secrets.choice(alphabet) for _ in range(length))
    if "SecretStringTemplate" in spec and "GenerateStringKey" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = value
        return json.dumps(document)
    return value


def _provision_secret(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    name = props.get("Name") or _generated_name(r.stack_name, logical_id, 256 - 7)
    if "SecretString" in props:
        value = str(props["SecretString"])
    elif "GenerateSecretString" in props:
        value = _random_secret(props["GenerateSecretString"])
    else:
        value = None
    arn = r.arn("secretsmanager", f"secret:{name}-AbCdEf")
    if p.live:
        sm = p.client("secretsmanager")
        kwargs: dict[str, Any] = {"Name": name}
        if value is not None:
            kwargs["SecretString"] = value
        for key in ("Description", "KmsKeyId", "Tags"):
            if key in props:
                kwargs[key] = props[key]
        try:
            arn = sm.create_secret(**kwargs)["ARN"]
        except sm.exceptions.ResourceExistsException:
            arn = sm.describe_secret(SecretId=name)["ARN"]
            if value is not None:
                sm.put_secret_value(SecretId=arn, SecretString=value)
    r.add(logical_id, resource["Type"], arn, Id=arn)


def _provision_role(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    name = props.get("RoleName") or _generated_name(r.stack_name, logical_id, 64)
    path = props.get("Path", "/")
    arn = f"arn:{_PARTITION}:iam::{r.account_id}:role{path}{name}"
    role_id = "AROA" + re.sub(r"[^A-Z0-9]", "", name.upper())[:17].ljust(17, "X")
    if p.live:
        iam = p.client("iam")
        kwargs: dict[str, Any] = {
            "RoleName": name,
            "Path": path,
            "AssumeRolePolicyDocument": json.dumps(props["AssumeRolePolicyDocument"]),
        }
        for key in ("Description", "MaxSessionDuration", "Tags"):
            if key in props:
                kwargs[key] = props[key]
        try:
            role = iam.create_role(**kwargs)["Role"]
        except iam.exceptions.EntityAlreadyExistsException:
            role = iam.get_role(RoleName=name)["Role"]
        arn, role_id = role["Arn"], role["RoleId"]
        for policy in props.get("Policies") or []:
            iam.put_role_policy(
                RoleName=name,
                PolicyName=policy["PolicyName"],
                PolicyDocument=json.dumps(policy["PolicyDocument"]),
            )
        for policy_arn in props.get("ManagedPolicyArns") or []:
            # An AWS managed policy the emulator does not know is irrelevant locally.
            with contextlib.suppress(iam.exceptions.NoSuchEntityException):
                iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    r.add(logical_id, resource["Type"], name, Arn=arn, RoleId=role_id)


def _provision_function(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    # No code runs in the emulated Lambda: the local cloud invokes handlers in-process.
    r = p.resources
    declared = (resource.get("Properties") or {}).get("FunctionName")
    name = p.ctx.resolve(declared) if declared else _generated_name(r.stack_name, logical_id, 64)
    r.add(logical_id, resource["Type"], name, Arn=r.arn("lambda", f"function:{name}"))


def _provision_layer(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    r = p.resources
    declared = (resource.get("Properties") or {}).get("LayerName")
    name = p.ctx.resolve(declared) if declared else _generated_name(r.stack_name, logical_id, 140)
    arn = r.arn("lambda", f"layer:{name}:1")
    r.add(logical_id, resource["Type"], arn, Arn=arn)


def _provision_log_group(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    r = p.resources
    declared = (resource.get("Properties") or {}).get("LogGroupName")
    name = p.ctx.resolve(declared) if declared else _generated_name(r.stack_name, logical_id, 512)
    r.add(logical_id, resource["Type"], name, Arn=r.arn("logs", f"log-group:{name}:*"))


def _api_gateway_id(*parts: str) -> str:
    """A deterministic API Gateway id: lower case letters and digits (a valid host label)."""
    return re.sub(r"[^a-z0-9]", "", "".join(parts).lower())[:63] or "api"


def _provision_api(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    # Served by the local cloud itself: a deterministic id, no AWS call.
    r = p.resources
    api_id = _api_gateway_id(r.stack_name, logical_id)
    protocol = str((resource.get("Properties") or {}).get("ProtocolType", "HTTP")).upper()
    scheme = "wss" if protocol == "WEBSOCKET" else "https"
    endpoint = f"{scheme}://{api_id}.execute-api.{r.region}.{_URL_SUFFIX}"
    r.add(logical_id, resource["Type"], api_id, ApiId=api_id, ApiEndpoint=endpoint)


def _provision_api_stage(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    declared = (resource.get("Properties") or {}).get("StageName")
    name = _scalar_str(p.ctx.resolve(declared)) if declared is not None else "$default"
    p.resources.add(logical_id, resource["Type"], name)


def _provision_api_part(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    # Integration, Route, Deployment, Authorizer...: Ref and GetAtt {Kind}Id give the same id.
    part_id = _api_gateway_id(logical_id)
    kind = resource["Type"].rsplit("::", 1)[1]
    p.resources.add(logical_id, resource["Type"], part_id, **{f"{kind}Id": part_id})


def _provision_other(p: _Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    r = p.resources
    r.add(logical_id, resource["Type"], _generated_name(r.stack_name, logical_id))


_HANDLERS: dict[str, Callable[[_Provisioner, str, Mapping[str, Any]], None]] = {
    "AWS::DynamoDB::Table": _provision_table,
    "AWS::SQS::Queue": _provision_queue,
    "AWS::S3::Bucket": _provision_bucket,
    "AWS::Scheduler::ScheduleGroup": _provision_schedule_group,
    "AWS::SecretsManager::Secret": _provision_secret,
    "AWS::IAM::Role": _provision_role,
    "AWS::Serverless::Function": _provision_function,
    "AWS::Lambda::Function": _provision_function,
    "AWS::Serverless::LayerVersion": _provision_layer,
    "AWS::Lambda::LayerVersion": _provision_layer,
    "AWS::Logs::LogGroup": _provision_log_group,
    "AWS::Serverless::HttpApi": _provision_api,
    "AWS::ApiGatewayV2::Api": _provision_api,
    "AWS::ApiGatewayV2::Stage": _provision_api_stage,
    "AWS::ApiGatewayV2::Integration": _provision_api_part,
    "AWS::ApiGatewayV2::Route": _provision_api_part,
    "AWS::ApiGatewayV2::Deployment": _provision_api_part,
    "AWS::ApiGatewayV2::Authorizer": _provision_api_part,
    "AWS::ApiGatewayV2::RouteResponse": _provision_api_part,
    "AWS::ApiGatewayV2::IntegrationResponse": _provision_api_part,
}


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
            cache[service] = session.client(
                service, region_name=region, endpoint_url=endpoint_url, **credentials
            )
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
    Idempotent: resources that already exist are reused. Resources are created in dependency order (a
    dead-letter queue before the queue whose RedrivePolicy names it).
    """
    client = _client_factory(session, endpoint_url, region, clients)
    if account_id is None:
        try:
            account_id = client("sts").get_caller_identity()["Account"]
        except Exception:  # an emulator without STS
            account_id = DEFAULT_ACCOUNT_ID
    resources = Resources(stack_name=stack_name, region=region, account_id=account_id)
    params = parameters(template, parameter_overrides)
    return _Provisioner(template, resources, params, client).run()


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
    resources = Resources(stack_name=stack_name, region=region, account_id=account_id)
    return _Provisioner(template, resources, parameters(template, parameter_overrides), None).run()


def logical_ids(template: Mapping[str, Any], resource_type: str) -> list[str]:
    """Logical ids of the template's resources of one type, in template order."""
    return [lid for lid, res in template["Resources"].items() if res.get("Type") == resource_type]
