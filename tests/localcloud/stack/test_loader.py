"""localcloud.stack.loader: YAML with CloudFormation's short tags -> dicts with the long-form intrinsics."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.stack import TemplateError, load_template
from tests.localcloud.stack.support import ROOT


def test_short_tags_become_long_forms(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        """
AWSTemplateFormatVersion: 2010-09-09
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition NotProd, !Condition IsProd]]
Resources:
  R:
    Type: X
    Properties:
      A: !Ref Thing
      B: !GetAtt Queue.Arn
      C: !GetAtt [Queue, QueueName]
      D: !Sub "${AWS::StackName}-x"
      E: !Sub ["${Name}-y", {Name: !Ref Thing}]
      F: !Join [",", [a, !Ref Thing]]
      G: !If [IsProd, 1, !Ref AWS::NoValue]
      H: !Select [0, !Split [",", "a,b"]]
      I: !FindInMap [Map, !Ref AWS::Region, Key]
      J: !Base64 text
      K: !ImportValue other-stack-export
      L: !GetAtt Db.Endpoint.Address
"""
    )
    t = load_template(path)
    assert t["AWSTemplateFormatVersion"] == "2010-09-09"  # not a datetime.date
    assert t["Conditions"] == {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Both": {
            "Fn::And": [
                {"Condition": "IsProd"},
                {"Fn::Or": [{"Condition": "NotProd"}, {"Condition": "IsProd"}]},
            ]
        },
    }
    assert t["Resources"]["R"]["Properties"] == {
        "A": {"Ref": "Thing"},
        "B": {"Fn::GetAtt": ["Queue", "Arn"]},
        "C": {"Fn::GetAtt": ["Queue", "QueueName"]},
        "D": {"Fn::Sub": "${AWS::StackName}-x"},
        "E": {"Fn::Sub": ["${Name}-y", {"Name": {"Ref": "Thing"}}]},
        "F": {"Fn::Join": [",", ["a", {"Ref": "Thing"}]]},
        "G": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]},
        "H": {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
        "I": {"Fn::FindInMap": ["Map", {"Ref": "AWS::Region"}, "Key"]},
        "J": {"Fn::Base64": "text"},
        "K": {"Fn::ImportValue": "other-stack-export"},
        "L": {"Fn::GetAtt": ["Db", "Endpoint.Address"]},
    }


def test_a_getatt_without_attribute_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  R:\n    Type: X\n    Properties:\n      A: !GetAtt Queue\n")
    with pytest.raises(TemplateError, match=r"LogicalId\.Attribute"):
        load_template(path)


def test_a_non_template_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("just: a mapping\n")
    with pytest.raises(TemplateError):
        load_template(path)


def test_the_real_template_is_sam_as_written(sam_template: dict) -> None:
    assert sam_template["Transform"] == "AWS::Serverless-2016-10-31"
    glob = sam_template["Globals"]["Function"]
    assert glob["Runtime"] == "python3.13" and glob["Architectures"] == ["arm64"]
    assert glob["Layers"] == [{"Ref": "CofounderLayer"}]
    layer = sam_template["Resources"]["CofounderLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/cofounder/"
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}
    assert (ROOT / "layers/cofounder/cofounder/__init__.py").is_file()
    assert not (ROOT / "layers/cofounder/python").exists(), "would land at /opt/python/python/..."
