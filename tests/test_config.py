"""The reference app's config: the default loads; a bad file fails with every problem named."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from container_delivery.config import ConfigError, load_config, parse_config
from container_delivery.config.loader import default_config_text
from tests.helpers import ROOT


@pytest.fixture
def raw() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(default_config_text()))


def test_default_config_is_valid_and_uses_fake_accounts() -> None:
    config = load_config()
    assert config.accounts.staging.id == "111111111111"
    assert config.accounts.production.id == "222222222222"
    assert config.packs == ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")
    assert [service.name for service in config.services] == ["webapp", "orders-worker"]


def test_environment_settings_override_the_service_defaults() -> None:
    webapp = load_config().services[0]
    assert webapp.environment_for("staging") == {"LOG_FORMAT": "json", "LOG_LEVEL": "debug"}
    production_secret = webapp.secrets_for("production")["DATABASE_PASSWORD"]
    assert production_secret.secret_arn.startswith("arn:aws:secretsmanager:eu-west-1:222222222222:")
    assert production_secret.json_key == "password"


def test_every_bad_field_is_named_in_one_error(raw: dict[str, Any]) -> None:
    # GIVEN a config with several independent mistakes
    raw["accounts"]["production"]["id"] = "12345"
    raw["accounts"]["staging"]["region"] = "Ireland"
    raw["compliance"]["packs"].append("SOC2")
    raw["services"][0]["name"] = "Web_App"
    raw["services"][1]["cpu"] = 100
    raw["services"][1]["architecture"] = "sparc"
    raw["services"][1]["staging"]["spot_share"] = 2
    raw["notifications"]["emails"] = ["not-an-email"]
    # WHEN it is parsed
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    # THEN one message names each field, the value given and what is expected
    message = str(error.value)
    for expected in [
        "accounts.production.id: '12345' is not a 12-digit AWS account id",
        "accounts.staging.region: 'Ireland' is not an AWS region such as 'eu-west-1'",
        "compliance.packs[4]: unknown pack str 'SOC2'",
        "services[0].name: 'Web_App' is not a lowercase service name",
        "services[1].cpu: 100 is out of range (256 to 16384)",
        "services[1].architecture: str 'sparc' is not 'x86_64' or 'arm64'",
        "services[1].staging.spot_share: int 2 must be a number from 0 to 1",
        "notifications.emails[0]: 'not-an-email' is not an email address",
    ]:
        assert expected in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["accounts"]["production"].update(id=222222222222), "must be quoted"),
        (
            lambda r: r["accounts"]["production"].update(id="111111111111"),
            "is the staging account too",
        ),
        (
            lambda r: r["services"][0].update(name="prod-webapp"),
            "starts with an environment prefix",
        ),
        (lambda r: r["services"].append(copy.deepcopy(r["services"][0])), "'webapp' appears twice"),
        (lambda r: r["services"][0].update(replicas=3), "services[0].replicas: unknown key"),
        (lambda r: r.update(services=[]), "services: expected a non-empty list of services"),
        (
            lambda r: r["services"][0]["production"].update(max_count=1),
            "1 is below desired_count 2",
        ),
    ],
)
def test_each_rule_is_enforced(raw: dict[str, Any], change: Any, expected: str) -> None:
    change(raw)
    with pytest.raises(ConfigError, match=None) as error:
        parse_config(raw)
    assert expected in str(error.value)


def test_unreadable_and_malformed_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("accounts: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)


def test_app_entry_point_reports_a_bad_config_without_a_traceback(
    tmp_path: Path, raw: dict[str, Any]
) -> None:
    # GIVEN a config file with a bad account id
    raw["accounts"]["production"]["id"] = "12345"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    # WHEN app.py runs on it (as `cdk synth` would)
    result = subprocess.run(  # noqa: S603 - our own entry point
        [sys.executable, str(ROOT / "app.py")],
        env={"PATH": "/usr/bin:/bin", "CONTAINER_DELIVERY_CONFIG": str(path)},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    # THEN it exits 2 with the readable message and no traceback
    assert result.returncode == 2
    assert "accounts.production.id: '12345' is not a 12-digit AWS account id" in result.stderr
    assert "Traceback" not in result.stderr


def test_scratch_paths_default_to_tmp_and_can_be_set(raw: dict[str, Any]) -> None:
    # GIVEN one service without the key and one with its own list
    raw["services"][0].pop("scratch_paths", None)
    raw["services"][1]["scratch_paths"] = ["/tmp", "/var/cache/app"]
    # WHEN the config is parsed
    webapp, worker = parse_config(raw).services
    # THEN the default is /tmp (the root filesystem is read-only) and a list is taken as given
    assert webapp.scratch_paths == ("/tmp",)
    assert worker.scratch_paths == ("/tmp", "/var/cache/app")


def test_scratch_paths_must_be_absolute(raw: dict[str, Any]) -> None:
    raw["services"][0]["scratch_paths"] = ["tmp"]
    with pytest.raises(ConfigError, match=r"services\[0\]\.scratch_paths: list \['tmp'\] must be"):
        parse_config(raw)


def test_a_secret_names_its_customer_managed_key(raw: dict[str, Any]) -> None:
    secret = load_config().services[0].secrets_for("production")["DATABASE_PASSWORD"]
    assert secret.kms_key_arn == (
        "arn:aws:kms:eu-west-1:222222222222:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    )
    raw["services"][0]["production"]["secrets"]["DATABASE_PASSWORD"]["kms_key_arn"] = "alias/db"
    with pytest.raises(ConfigError, match=r"kms_key_arn: 'alias/db' is not a KMS key ARN"):
        parse_config(raw)


def test_registry_wide_settings_are_opt_in(raw: dict[str, Any]) -> None:
    registry = load_config().registry
    assert (registry.manage_scanning, registry.scan_type, registry.creation_template) == (
        False,
        "BASIC",
        True,
    )
    raw["registry"] = {"manage_scanning": "yes", "scan_type": "DEEP", "keep": 1}
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    for field in ("registry.manage_scanning", "registry.scan_type", "registry.keep"):
        assert field in str(error.value)
