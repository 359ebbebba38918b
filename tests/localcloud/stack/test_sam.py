"""localcloud.stack.sam: SAM templates go through samtranslator's translation, cached by template hash.

These tests need no SAM CLI: test_sam_reference.py (marked ``sam``) checks the committed translation against
samtranslator itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localcloud.stack import TemplateError, cloudformation, sam
from localcloud.stack.__main__ import main as refresh_main
from localcloud.stack.sam import (
    COMMITTED,
    LOCAL_CODE_BUCKET,
    local_code_path,
    template_sha256,
    with_code_placeholders,
)

SMALL_SAM = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "functions/x/"}}},
}


@pytest.fixture
def isolated_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No in-process entries, an empty machine cache, no SAM CLI venv."""
    monkeypatch.setattr(sam, "_translated", {})
    monkeypatch.setattr(sam, "MACHINE_CACHE", tmp_path / "cache")
    monkeypatch.setattr(sam, "SAM_PYTHON", tmp_path / "no-sam-cli" / "python")
    return tmp_path


def test_the_committed_translation_is_the_one_of_template_yaml(sam_template: dict) -> None:
    entry = json.loads(COMMITTED.read_text())
    assert entry["sam_template_sha256"] == template_sha256(sam_template), (
        "template.yaml changed since localcloud/stack/template.translated.json was made: run"
        " `python -m localcloud.stack` (needs `make sam-setup`) and commit the file with the template"
    )
    assert entry["format"] == sam.FORMAT
    assert refresh_main(["--check"]) == 0


def test_the_real_template_translates_without_a_subprocess(sam_template: dict, isolated_caches: Path) -> None:
    cfn = cloudformation(sam_template)  # no SAM CLI here: it comes from the committed file
    assert "Transform" not in cfn
    assert not any(r["Type"].startswith("AWS::Serverless::") for r in cfn["Resources"].values())
    assert cloudformation(sam_template) is cfn  # then from this process


def test_the_hash_ignores_layout_but_not_content(sam_template: dict) -> None:
    reordered = dict(reversed(list(sam_template.items())))
    assert template_sha256(reordered) == template_sha256(sam_template)
    changed = {**sam_template, "Description": "other"}
    assert template_sha256(changed) != template_sha256(sam_template)


def test_plain_cloudformation_is_not_translated() -> None:
    plain = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}
    assert cloudformation(plain) is plain


def test_a_miss_without_the_sam_cli_says_what_to_run(isolated_caches: Path) -> None:
    with pytest.raises(TemplateError, match="make sam-setup"):
        cloudformation(SMALL_SAM)


def test_a_miss_is_found_in_the_machine_cache(isolated_caches: Path) -> None:
    translated = {"Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {}}}}
    sha = template_sha256(SMALL_SAM)
    sam.write_entry(
        isolated_caches / "cache" / f"{sha}.json",
        {"format": sam.FORMAT, "sam_template_sha256": sha, "samtranslator": "x", "cloudformation": translated},
    )
    assert cloudformation(SMALL_SAM) == translated


def test_an_entry_of_another_format_is_stale(isolated_caches: Path) -> None:
    sha = template_sha256(SMALL_SAM)
    sam.write_entry(
        isolated_caches / "cache" / f"{sha}.json",
        {"format": sam.FORMAT + 1, "sam_template_sha256": sha, "samtranslator": "x", "cloudformation": {}},
    )
    with pytest.raises(TemplateError, match="make sam-setup"):
        cloudformation(SMALL_SAM)


def test_local_code_becomes_an_s3_placeholder_and_back() -> None:
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Globals": {"Function": {"CodeUri": "shared/"}},
        "Resources": {
            "Local": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "functions/a/"}},
            "Remote": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "s3://bucket/key.zip"}},
            "Layer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "layers/x/"}},
        },
    }
    out = with_code_placeholders(template)
    assert out["Globals"]["Function"]["CodeUri"] == f"s3://{LOCAL_CODE_BUCKET}/shared/"
    assert out["Resources"]["Local"]["Properties"]["CodeUri"] == f"s3://{LOCAL_CODE_BUCKET}/functions/a/"
    assert out["Resources"]["Remote"]["Properties"]["CodeUri"] == "s3://bucket/key.zip"
    assert out["Resources"]["Layer"]["Properties"]["ContentUri"] == f"s3://{LOCAL_CODE_BUCKET}/layers/x/"
    assert template["Resources"]["Local"]["Properties"]["CodeUri"] == "functions/a/"  # the input is left alone
    assert local_code_path({"S3Bucket": LOCAL_CODE_BUCKET, "S3Key": "functions/a/"}) == "functions/a/"
    assert local_code_path({"S3Bucket": "bucket", "S3Key": "key.zip"}) is None
    assert local_code_path({"ZipFile": "def handler(e, c): pass"}) is None


def test_a_local_definition_uri_is_refused() -> None:
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"Api": {"Type": "AWS::Serverless::HttpApi", "Properties": {"DefinitionUri": "api.yaml"}}},
    }
    with pytest.raises(TemplateError, match="DefinitionBody"):
        with_code_placeholders(template)
