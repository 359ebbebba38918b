"""template.yaml as the single source of truth for the local cloud and the tests.

A SAM template is translated to CloudFormation by samtranslator, the transform AWS runs (:mod:`.sam`: cached,
committed for template.yaml); everything else reads plain CloudFormation:

- :mod:`.loader`: YAML with the short tags -> dicts (:func:`load_template`);
- :mod:`.intrinsics`: parameters, conditions, ``Ref`` / ``Fn::*`` (:func:`resolve`);
- :mod:`.resources`: logical id -> physical id and attributes, the deterministic names (:class:`Resources`);
- :mod:`.provision` + :mod:`.resource_types`: create the resources through boto3 (:func:`provision`), or only
  name them (:func:`plan`), and the ``Outputs``;
- :mod:`.functions`: the Lambda functions, their environment and event source mappings;
- :mod:`.routes`: the HTTP and WebSocket routes the local gateways serve.
"""

from localcloud.stack.errors import TemplateError
from localcloud.stack.functions import (
    EventSourceMapping,
    FunctionSpec,
    event_source_mappings,
    function_environment,
    functions,
)
from localcloud.stack.intrinsics import NO_VALUE, evaluate_conditions, parameters, resolve
from localcloud.stack.loader import load_template
from localcloud.stack.provision import logical_ids, outputs, plan, provision
from localcloud.stack.resources import DEFAULT_ACCOUNT_ID, Resources
from localcloud.stack.routes import HttpRoute, http_routes, websocket_routes
from localcloud.stack.sam import cloudformation

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "NO_VALUE",
    "EventSourceMapping",
    "FunctionSpec",
    "HttpRoute",
    "Resources",
    "TemplateError",
    "cloudformation",
    "evaluate_conditions",
    "event_source_mappings",
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
