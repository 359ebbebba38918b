"""Reading a CloudFormation/SAM template: YAML (short tags such as ``!Ref``, ``!GetAtt``, ``!Sub`` included) or
JSON, into plain dicts with the long-form intrinsics (``{"Ref": ...}``, ``{"Fn::GetAtt": [...]}``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from localcloud.stack.errors import TemplateError

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
    """Parse a CloudFormation/SAM template (YAML or JSON) into plain dicts with long-form intrinsics.

    A SAM template stays as written (``AWS::Serverless::*``); every reader of this package translates it to
    CloudFormation first (:func:`localcloud.stack.sam.cloudformation`).
    """
    with open(path, encoding="utf-8") as fh:
        document = yaml.load(fh, Loader=CloudFormationLoader)  # a SafeLoader subclass
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources)")
    return document
