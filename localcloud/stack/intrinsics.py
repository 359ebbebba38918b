"""CloudFormation's intrinsic functions, evaluated against a stack's parameters, conditions and resources.

``Ref`` reaches parameters, pseudo parameters (``AWS::Region``, ``AWS::AccountId``, ``AWS::StackName``,
``AWS::Partition``, ``AWS::URLSuffix``, ``AWS::NoValue``...) and resources; ``Fn::GetAtt``, ``Fn::Sub``
(``${X}``, ``${X.Attr}``, ``${!Literal}``, the list form), ``Fn::Join``, ``Fn::Select``, ``Fn::Split``,
``Fn::If``/``Fn::Equals``/``Fn::Not``/``Fn::And``/``Fn::Or``, ``Fn::FindInMap``, ``Fn::Base64``, ``Fn::GetAZs``,
``Fn::Length``, ``Fn::ToJsonString``. Properties set to ``AWS::NoValue`` are removed.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.stack.errors import TemplateError
from localcloud.stack.resources import PARTITION, URL_SUFFIX, Resources

SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


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


def scalar_str(value: Any) -> str:
    """A value as CloudFormation passes it to a string property (``true``, not ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
            values[name] = scalar_str(raw)
    return values


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
        evaluator = Evaluator(resources, params, _LazyConditions(condition), template.get("Mappings") or {})
        done[name] = bool(evaluator.resolve(declared[name]))
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


def resolve(
    value: Any,
    resources: Resources,
    parameters: Mapping[str, Any] | None = None,
    *,
    conditions: Mapping[str, bool] | None = None,
    mappings: Mapping[str, Any] | None = None,
) -> Any:
    """Evaluate the intrinsic functions in ``value`` (see the module docstring for which)."""
    return Evaluator(resources, parameters or {}, conditions or {}, mappings or {}).resolve(value)


def evaluator_for(template: Mapping[str, Any], resources: Resources, parameter_values: Mapping[str, Any]) -> Evaluator:
    """An evaluator with the template's conditions (evaluated for these parameters) and mappings."""
    conditions = evaluate_conditions(template, parameter_values, resources)
    return Evaluator(resources, parameter_values, conditions, template.get("Mappings") or {})


@dataclass
class Evaluator:
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
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{r.region}:{r.account_id}:stack/"
            f"{r.stack_name}/00000000-0000-0000-0000-000000000000",
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
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
                return scalar_str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return scalar_str(self.resources.get_att(logical_id, attribute))
            value = self.ref(name)
            if isinstance(value, list):
                raise TemplateError(f"Fn::Sub: ${{{name}}} is a list")
            return scalar_str(value)

        return SUB_VARIABLE.sub(substitute, text)

    def fn_join(self, arg: Any) -> str:
        delimiter, items = arg
        items = self.resolve(items)
        return self.resolve(delimiter).join(scalar_str(i) for i in items)

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
        return scalar_str(left) == scalar_str(right)

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


# ---------------------------------------------------------------------------------------------------------
# What a value refers to (without evaluating it)
# ---------------------------------------------------------------------------------------------------------


def references(value: Any, known: set[str]) -> set[str]:
    """Logical ids among ``known`` that ``value`` refers to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` variables)."""
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
                    for name in SUB_VARIABLE.findall(text):
                        if not name.startswith("!") and name.split(".", 1)[0] not in local:
                            found.add(name.split(".", 1)[0])
                    if isinstance(arg, list):
                        walk(arg[1:])
                    continue
                walk(arg)

    walk(value)
    return found & known


def only_reference(value: Any, known: set[str], what: str, where: str) -> str:
    """The one logical id among ``known`` that ``value`` refers to, else a :class:`TemplateError`."""
    found = references(value, known)
    if len(found) != 1:
        named = ", ".join(sorted(found)) or "none"
        raise TemplateError(f"{where}: expected exactly one {what}, found {named}")
    return next(iter(found))
