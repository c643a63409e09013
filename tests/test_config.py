"""The reference app's config: the default loads; a bad file fails with every problem named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from container_delivery.config import ConfigError, load_config, parse_config
from container_delivery.config.loader import default_config_text
from container_delivery.config.schema import packaged_schema_text, schema, schema_text

CERTIFICATE = "arn:aws:acm:eu-west-1:222222222222:certificate/12345678-1234-1234-1234-123456789012"


@pytest.fixture
def raw() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(default_config_text()))


def _problems(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    return str(error.value)


def test_default_config_is_valid_and_uses_fake_accounts() -> None:
    config = load_config()
    assert config.accounts.staging.id == "111111111111"
    assert config.accounts.production.id == "222222222222"
    assert config.packs == ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")
    assert config.notification_emails == ("platform-team@example.com",)
    assert config.create_github_oidc_provider is True
    assert [service.name for service in config.services] == ["webapp", "orders-worker"]
    assert config.services[0].log_retention_days == 90


def test_environment_settings_override_the_service_defaults() -> None:
    webapp = load_config().services[0]
    assert webapp.environment_for("staging") == {"LOG_FORMAT": "json", "LOG_LEVEL": "debug"}
    production_secret = webapp.secrets_for("production")["DATABASE_PASSWORD"]
    assert production_secret.secret_arn.startswith("arn:aws:secretsmanager:eu-west-1:222222222222:")
    assert production_secret.json_key == "password"


def test_the_config_is_frozen() -> None:
    config = load_config()
    with pytest.raises(ValueError, match="frozen"):
        config.services[0].cpu = 1024  # type: ignore[misc]


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
    message = _problems(raw)
    # THEN one message names each field, the value given and what is expected
    for expected in [
        "(8 problems)",
        "accounts.production.id: '12345' is not a 12-digit AWS account id",
        "accounts.staging.region: 'Ireland' is not an AWS region",
        "compliance.packs[4]: str 'SOC2' is not one of 'AwsSolutions', 'NIST.800.53.R5'",
        "services[0].name: 'Web_App' is not a lowercase service name",
        "services[1].cpu: int 100 is not one of 256, 512, 1024",
        "services[1].architecture: str 'sparc' is not one of 'x86_64' or 'arm64'",
        "services[1].staging.spot_share: 2 is too large; use at most 1",
        "notifications.emails[0]: 'not-an-email' is not an email address",
    ]:
        assert expected in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda r: r["accounts"]["production"].update(id=222222222222),
            "accounts.production.id: 222222222222 must be quoted ('222222222222')",
        ),
        (
            lambda r: r["accounts"]["production"].update(id="111111111111"),
            "accounts.production.id: '111111111111' is the staging account too",
        ),
        (
            lambda r: r["accounts"]["staging"].update(region="us-east-9"),
            "accounts.staging.region: 'us-east-9' is not an AWS region (did you mean 'us-east-",
        ),
        (
            lambda r: r["services"][0].update(name="prod-webapp"),
            "services[0].name: 'prod-webapp' starts with an environment",
        ),
        (
            lambda r: r["services"][0].update(name="webapp-prod"),
            "services[0].name: 'webapp-prod' ends with an environment; the repository has the "
            "same name in staging and production (replication keeps the name), so leave the "
            "environment out (try 'webapp')",
        ),
        (
            lambda r: r["services"].append(copy.deepcopy(r["services"][0])),
            "services[2].name: 'webapp' appears twice",
        ),
        (
            lambda r: r["services"][0].update(replicas=3),
            "services[0].replicas: unknown key; (known: name, github_repository",
        ),
        (
            lambda r: r["services"][0].update(containr_port=80),
            "services[0].containr_port: unknown key; did you mean 'container_port'?",
        ),
        (lambda r: r.update(services=[]), "services: expected a non-empty list of services"),
        (
            lambda r: r["services"][0]["production"].update(max_count=1),
            "services[0].production.max_count: 1 is below desired_count 2",
        ),
        (
            lambda r: r["services"][0].update(memory=512),
            "services[0].memory: memory 512 MiB is not allowed with cpu 512; Fargate allows "
            "1024 to 4096 in steps of 1024 MiB (memory 512 fits cpu 256)",
        ),
        (
            lambda r: r["services"][0].update(tag_pattern="*"),
            "services[0].tag_pattern: '*' starts with a wildcard, so the release role trusts "
            "every tag",
        ),
        (
            lambda r: r["services"][0].update(log_retention_days=100),
            "services[0].log_retention_days: 100 days is not a CloudWatch Logs retention; the "
            "nearest allowed are 90 or 120",
        ),
        (
            lambda r: r["services"][0]["secrets"]["DATABASE_PASSWORD"].update(
                secret_arn="payments/psp"
            ),
            "services[0].secrets.DATABASE_PASSWORD.secret_arn: 'payments/psp' is a secret name",
        ),
        (
            lambda r: r["services"][0]["production"]["secrets"]["DATABASE_PASSWORD"].update(
                secret_arn="arn:aws:secretsmanager:eu-west-1:222222222222:secret:webapp/db"
            ),
            "services[0].production.secrets.DATABASE_PASSWORD.secret_arn: "
            "'arn:aws:secretsmanager:eu-west-1:222222222222:secret:webapp/db' is a partial ARN",
        ),
        (
            lambda r: r["services"][0]["secrets"]["DATABASE_PASSWORD"].update(
                json_key="db:password"
            ),
            "services[0].secrets.DATABASE_PASSWORD.json_key: json_key 'db:password' cannot be "
            "carried in ECS's valueFrom",
        ),
        (
            lambda r: r["services"][0]["secrets"]["DATABASE_PASSWORD"].update(
                version_stage="AWSCURRENT", version_id="a" * 36
            ),
            "services[0].secrets.DATABASE_PASSWORD.version_stage: version_stage 'AWSCURRENT' "
            "and version_id",
        ),
        (
            lambda r: r["services"][0]["production"].update(
                certificate_arn=CERTIFICATE.replace("eu-west-1", "us-east-1")
            ),
            "services[0].production.certificate_arn: "
            f"{CERTIFICATE.replace('eu-west-1', 'us-east-1')!r} is in us-east-1, but it is used "
            "in eu-west-1; request or import the certificate in eu-west-1",
        ),
        (
            lambda r: r["services"][0]["staging"].update(certificate_arn=CERTIFICATE),
            f"services[0].staging.certificate_arn: {CERTIFICATE!r} belongs to account "
            "222222222222, but it is used in account 111111111111",
        ),
        (
            lambda r: r["services"][0]["production"].update(certificate_arn="my-cert"),
            "services[0].production.certificate_arn: 'my-cert' is not an ARN",
        ),
        (
            lambda r: r["services"][0]["production"].update(spot_share=0.5),
            "services[0].production.spot_share: 0.5 puts production tasks on Fargate Spot",
        ),
        (
            lambda r: r["services"][0]["environment"].update(DEBUG=True),
            "services[0].environment.DEBUG: True is a YAML boolean; quote it ('true')",
        ),
        (
            lambda r: r["services"][0]["staging"]["environment"].update(DATABASE_PASSWORD="x"),
            "services[0].staging.environment.DATABASE_PASSWORD: 'DATABASE_PASSWORD' is also a "
            "secret in staging",
        ),
        (
            lambda r: r.update(
                services=[
                    {**copy.deepcopy(r["services"][1]), "name": f"svc{index:03d}"}
                    for index in range(101)
                ]
            ),
            "services: 101 services; one staging registry holds at most 100",
        ),
        (
            lambda r: r["network"].update(staging_cidr="10.10.0.0/8"),
            "network.staging_cidr: '10.10.0.0/8' is not an IPv4 CIDR block",
        ),
    ],
)
def test_each_rule_is_enforced(raw: dict[str, Any], change: Any, expected: str) -> None:
    change(raw)
    assert expected in _problems(raw)


def test_numbers_in_environment_become_strings(raw: dict[str, Any]) -> None:
    raw["services"][0]["environment"]["WORKERS"] = 4
    assert parse_config(raw).services[0].environment["WORKERS"] == "4"


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


def test_problems_carry_their_line_in_the_file(tmp_path: Path) -> None:
    # GIVEN the default file with a bad cpu on the webapp service
    text = default_config_text().replace("    cpu: 512\n", "    cpu: 500\n")
    line = text.splitlines().index("    cpu: 500") + 1
    path = tmp_path / "config.yaml"
    path.write_text(text)
    # WHEN it is loaded THEN the problem names the path, the value and the line
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert f"{path} is invalid (1 problem):" in str(error.value)
    assert "services[0].cpu: int 500 is not one of 256, 512" in str(error.value)
    assert str(error.value).endswith(f"(line {line})")
    assert error.value.problems == [("services[0].cpu", error.value.problems[0][1])]


def test_unreadable_and_malformed_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("accounts:\n  staging: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken.yaml, line 3, column 1: not valid YAML"):
        load_config(broken)


def test_an_empty_file_says_what_is_expected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    with pytest.raises(ConfigError, match=r"\(top level\): expected a mapping, got nothing"):
        load_config(empty)


# --- JSON Schema --------------------------------------------------------------------------------


def test_the_packaged_schema_is_generated_from_the_models() -> None:
    # A stale schema.json: run `python -m container_delivery.config.schema`.
    assert packaged_schema_text() == schema_text()


def test_the_default_config_points_editors_at_the_schema() -> None:
    assert default_config_text().splitlines()[0] == "# yaml-language-server: $schema=schema.json"


def test_the_schema_accepts_the_default_and_flags_what_the_loader_refuses(
    raw: dict[str, Any],
) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    assert list(validator.iter_errors(raw)) == []
    raw["services"][0]["replicas"] = 3
    raw["services"][0]["cpu"] = 300
    raw["accounts"]["staging"]["id"] = "12345"
    flagged = {
        "/".join(map(str, error.absolute_path)) or error.message
        for error in validator.iter_errors(raw)
    }
    assert flagged == {"services/0", "services/0/cpu", "accounts/staging/id"}


def test_the_schema_describes_every_key_of_the_default() -> None:
    properties = schema()["$defs"]["ServiceConfig"]["properties"]
    assert set(yaml.safe_load(default_config_text())["services"][0]) <= set(properties)
    assert json.loads(packaged_schema_text())["title"] == "container-delivery configuration"


def test_the_check_command_reports_like_the_synth(
    tmp_path: Path, raw: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from container_delivery.config.__main__ import main

    assert main([]) == 0
    assert capsys.readouterr().out == (
        "the default config is valid: 2 services (webapp, orders-worker)\n"
    )
    raw["network"]["max_azs"] = 9
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert main([str(path)]) == 2
    assert "network.max_azs: 9 is too large; use at most 6 (line " in capsys.readouterr().err


def test_the_schema_and_the_default_ship_as_package_data() -> None:
    import fnmatch
    import tomllib

    from tests.helpers import ROOT

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = setuptools["package-data"]["container_delivery"]
    for shipped in ("config/schema.json", "config/default.yaml"):
        assert any(fnmatch.fnmatch(shipped, pattern) for pattern in patterns), shipped
    assert "container_delivery.rules" in setuptools["packages"]
