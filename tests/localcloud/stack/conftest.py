"""Fixtures of the localcloud.stack tests: template.yaml as written and translated, moto in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from localcloud.stack import Resources, cloudformation, load_template, provision
from tests.localcloud.stack.support import REGION, ROOT


@pytest.fixture(scope="session")
def sam_template() -> dict:
    """template.yaml as written (SAM)."""
    return load_template(ROOT / "template.yaml")


@pytest.fixture(scope="session")
def cfn_template(sam_template: dict) -> dict:
    """template.yaml as CloudFormation (samtranslator's translation, from the committed cache)."""
    return cloudformation(sam_template)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mocked_aws(aws_env: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def stack(mocked_aws: None, sam_template: dict) -> Resources:
    return provision(sam_template)
