"""The template's Lambda functions and what invokes them, read from CloudFormation (a SAM template is translated
first, so ``Globals`` and every event are as samtranslator made them): each ``AWS::Lambda::Function`` (handler,
local code folder, timeout, environment) and each ``AWS::Lambda::EventSourceMapping`` (queue -> function)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.stack.errors import TemplateError
from localcloud.stack.intrinsics import evaluator_for, parameters, references, scalar_str
from localcloud.stack.resources import Resources
from localcloud.stack.sam import cloudformation, local_code_path

FUNCTION_TYPE = "AWS::Lambda::Function"
EVENT_SOURCE_MAPPING_TYPE = "AWS::Lambda::EventSourceMapping"


@dataclass(frozen=True)
class FunctionSpec:
    """An ``AWS::Lambda::Function`` of the (translated) template."""

    logical_id: str
    code_uri: str
    """The local folder of its code (the SAM ``CodeUri``); empty when the code is not local."""
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    architectures: tuple[str, ...]
    environment: Mapping[str, Any]
    """Unresolved ``Environment.Variables`` (SAM's Globals merged in): see :func:`function_environment`."""
    properties: Mapping[str, Any]
    """Every property, unresolved."""

    @property
    def handler_module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def handler_function(self) -> str:
        return self.handler.rsplit(".", 1)[1]


def functions(template: Mapping[str, Any]) -> dict[str, FunctionSpec]:
    """Every ``AWS::Lambda::Function`` of the template (a SAM template's functions after translation)."""
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in cloudformation(template)["Resources"].items():
        if resource.get("Type") != FUNCTION_TYPE:
            continue
        props = resource.get("Properties") or {}
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_uri=local_code_path(props.get("Code")) or "",
            handler=str(props.get("Handler", "")),
            runtime=str(props.get("Runtime", "")),
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
            architectures=tuple(props.get("Architectures") or ("x86_64",)),
            environment=dict((props.get("Environment") or {}).get("Variables") or {}),
            properties=props,
        )
    return specs


def function_environment(
    template: Mapping[str, Any],
    logical_id: str,
    resources: Resources,
    parameter_overrides: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """A function's ``Environment.Variables`` resolved to strings, as Lambda would give them to it."""
    cfn = cloudformation(template)
    resource = cfn["Resources"].get(logical_id) or {}
    if resource.get("Type") != FUNCTION_TYPE:
        raise TemplateError(f"{logical_id} is not a function of the template")
    variables = ((resource.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
    resolved = evaluator_for(cfn, resources, parameters(cfn, parameter_overrides)).resolve(variables)
    return {name: scalar_str(value) for name, value in resolved.items()}


@dataclass(frozen=True)
class EventSourceMapping:
    """An ``AWS::Lambda::EventSourceMapping``: what Lambda's poller feeds to a function."""

    logical_id: str
    function: str
    """Logical id of the function it invokes."""
    source: str | None
    """Logical id of the queue (or stream, table...) it reads, when the template declares it."""
    properties: Mapping[str, Any]
    """Every property, unresolved."""

    @property
    def batch_size(self) -> int | None:
        value = self.properties.get("BatchSize")
        return None if value is None else int(value)

    @property
    def function_response_types(self) -> tuple[str, ...]:
        return tuple(self.properties.get("FunctionResponseTypes") or ())

    @property
    def report_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types

    @property
    def enabled(self) -> bool:
        return scalar_str(self.properties.get("Enabled", True)).lower() != "false"

    @property
    def maximum_concurrency(self) -> int | None:
        """The literal maximum concurrency (None when absent, or given by an intrinsic such as a parameter)."""
        value = (self.properties.get("ScalingConfig") or {}).get("MaximumConcurrency")
        return int(value) if isinstance(value, int | str) else None


def event_source_mappings(template: Mapping[str, Any]) -> list[EventSourceMapping]:
    """Every event source mapping of the template (a SAM ``SQS`` event becomes one), in template order."""
    declared = cloudformation(template)["Resources"]
    function_ids = {lid for lid, res in declared.items() if res.get("Type") == FUNCTION_TYPE}
    everything = set(declared)
    mappings = []
    for logical_id, resource in declared.items():
        if resource.get("Type") != EVENT_SOURCE_MAPPING_TYPE:
            continue
        props = resource.get("Properties") or {}
        function = references(props.get("FunctionName"), function_ids)
        if len(function) != 1:
            raise TemplateError(f"{logical_id}: FunctionName must refer to one function of the template")
        source = references(props.get("EventSourceArn"), everything)
        mappings.append(
            EventSourceMapping(
                logical_id=logical_id,
                function=next(iter(function)),
                source=next(iter(source)) if len(source) == 1 else None,
                properties=props,
            )
        )
    return mappings
