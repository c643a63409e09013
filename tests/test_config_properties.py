"""Properties of the config loader, over generated configs (hypothesis).

1. Any config built within the documented rules loads, and keeps what was written.
2. The same config with exactly one field broken is refused, and every problem reported is at
   that field's dotted path (the user is pointed at the one thing to fix).
"""

from __future__ import annotations

import copy
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from container_delivery import rules
from container_delivery.config import ConfigError, parse_config
from container_delivery.config.model import KNOWN_PACKS

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REGIONS = rules.regions("aws")

_words = st.text(string.ascii_lowercase, min_size=1, max_size=8).filter(
    lambda word: word not in rules.ENVIRONMENT_WORDS
)
service_names = (
    st.lists(_words, min_size=1, max_size=3)
    .map("-".join)
    .filter(lambda name: len(name) <= 40 and name[0].isalpha())
)
env_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,15}", fullmatch=True).filter(
    lambda name: not any(word in name for word in ("SECRET", "TOKEN", "PASSWORD", "KEY"))
)
accounts = st.from_regex(r"\d{12}", fullmatch=True)


@st.composite
def secret_refs(draw: st.DrawFn, account: str, region: str) -> dict[str, Any]:
    name = draw(st.from_regex(r"[a-z]{1,10}(/[a-z]{1,10})?", fullmatch=True))
    suffix = draw(st.from_regex(r"[A-Za-z0-9]{6}", fullmatch=True))
    ref: dict[str, Any] = {
        "secret_arn": f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-{suffix}"
    }
    if draw(st.booleans()):
        ref["json_key"] = draw(st.from_regex(r"[A-Za-z0-9_.@/+=-]{1,20}", fullmatch=True))
    choice = draw(st.sampled_from(["none", "stage", "id"]))
    if choice == "stage":
        ref["version_stage"] = draw(st.sampled_from(["AWSCURRENT", "AWSPREVIOUS", "pinned-1"]))
    elif choice == "id":
        ref["version_id"] = draw(st.uuids()).__str__()
    return ref


@st.composite
def environments(
    draw: st.DrawFn, env: str, account: str, region: str, taken: set[str]
) -> dict[str, Any]:
    desired = draw(st.integers(0, 5))
    settings_: dict[str, Any] = {"desired_count": desired}
    if draw(st.booleans()):
        settings_["max_count"] = draw(st.integers(max(desired, 1), 20))
    if env == "staging" and draw(st.booleans()):
        settings_["spot_share"] = draw(st.floats(0, 1, allow_nan=False))
    names = draw(st.lists(env_names, max_size=2, unique=True))
    settings_["environment"] = {
        name: draw(st.text(max_size=10)) for name in names if name not in taken
    }
    if draw(st.booleans()):
        settings_["certificate_arn"] = (
            f"arn:aws:acm:{region}:{account}:certificate/{draw(st.uuids())}"
        )
    return settings_


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    staging_id, production_id = draw(st.lists(accounts, min_size=2, max_size=2, unique=True))
    staging_region, production_region = (
        draw(st.sampled_from(REGIONS)),
        draw(st.sampled_from(REGIONS)),
    )
    names = draw(st.lists(service_names, min_size=1, max_size=3, unique=True))
    services = []
    for name in names:
        cpu = draw(st.sampled_from(list(rules.FARGATE_SIZES)))
        secrets = {
            secret: draw(secret_refs(staging_id, staging_region))
            for secret in draw(st.lists(env_names, max_size=2, unique=True))
        }
        taken = set(secrets)
        services.append(
            {
                "name": name,
                "github_repository": f"example-org/{name}",
                "tag_pattern": draw(st.sampled_from(["v*", "release-*", "v?.*", "1.*"])),
                "container_port": draw(st.integers(1, 65535)),
                "cpu": cpu,
                "memory": draw(st.sampled_from(rules.FARGATE_SIZES[cpu])),
                "architecture": draw(st.sampled_from(["x86_64", "arm64"])),
                "load_balanced": draw(st.booleans()),
                "log_retention_days": draw(st.sampled_from(list(rules.RETENTION_DAYS))),
                "environment": {
                    key: draw(st.one_of(st.text(max_size=10), st.integers()))
                    for key in draw(st.lists(env_names, max_size=3, unique=True))
                    if key not in taken
                },
                "secrets": secrets,
                "staging": draw(environments("staging", staging_id, staging_region, taken)),
                "production": draw(
                    environments("production", production_id, production_region, taken)
                ),
            }
        )
    return {
        "accounts": {
            "staging": {"id": staging_id, "region": staging_region},
            "production": {"id": production_id, "region": production_region},
        },
        "compliance": {"packs": draw(st.lists(st.sampled_from(KNOWN_PACKS), unique=True))},
        "notifications": {"emails": draw(st.lists(st.emails(), max_size=2))},
        "services": services,
    }


@SETTINGS
@given(configs())
def test_a_valid_config_always_loads_and_keeps_what_was_written(raw: dict[str, Any]) -> None:
    config = parse_config(copy.deepcopy(raw))
    assert [service.name for service in config.services] == [s["name"] for s in raw["services"]]
    assert config.accounts.production.region == raw["accounts"]["production"]["region"]
    for service, written in zip(config.services, raw["services"], strict=True):
        assert (service.cpu, service.memory) == (written["cpu"], written["memory"])
        assert set(service.secrets) == set(written["secrets"])
        assert service.environment == {k: str(v) for k, v in written["environment"].items()}


#: (field path inside one service, values that break it)
SERVICE_BREAKS: list[tuple[str, list[Any]]] = [
    ("name", ["Web_App", "prod-webapp", "webapp-staging", "a" * 41, "", 7]),
    ("github_repository", ["webapp", "https://github.com/o/r"]),
    ("tag_pattern", ["*", "*-rc", "refs/tags/v*", "v 1"]),
    ("container_port", [0, 70000, "8080", True]),
    ("cpu", [300, "512", 0]),
    ("architecture", ["sparc", "amd64"]),
    ("load_balanced", ["yes", 1]),
    ("log_retention_days", [0, 100, 4000, "90"]),
    ("health_check_path", ["healthz"]),
    ("scratch_paths", [["tmp"], ["/"], "/tmp"]),
    ("staging.desired_count", [-1, 1001, "2"]),
    ("production.spot_share", [0.5, 1]),
    ("production.certificate_arn", ["my-cert", "arn:aws:acm:xx-east-1:1:certificate/x"]),
    ("staging.max_count", [0]),
    ("replicas", [3]),
]
TOP_BREAKS: list[tuple[str, list[Any]]] = [
    ("accounts.staging.id", ["12345", 123456789012, "abcdefghijkl"]),
    ("accounts.production.region", ["us-east-9", "Ireland", "eu_west_1"]),
    ("network.max_azs", [1, 7]),
    ("network.production_cidr", ["10.0.0.0/8", "300.0.0.0/16", "10.0.0.1/16"]),
    ("compliance.packs[0]", ["SOC2"]),
    ("github.create_oidc_provider", ["no"]),
    ("notifications.mails", [["a@example.com"]]),
]


def _set(raw: dict[str, Any], path: str, value: Any) -> None:
    parts = path.replace("[", ".").replace("]", "").split(".")
    node: Any = raw
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        if int(last) < len(node):
            node[int(last)] = value
        else:
            node.append(value)
    else:
        node[last] = value


@st.composite
def broken_configs(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    raw = draw(configs())
    if draw(st.booleans()):
        index = draw(st.integers(0, len(raw["services"]) - 1))
        field, values = draw(st.sampled_from(SERVICE_BREAKS))
        path = f"services[{index}].{field}"
    else:
        path, values = draw(st.sampled_from(TOP_BREAKS))
    _set(raw, path, draw(st.sampled_from(values)))
    return raw, path


@SETTINGS
@given(broken_configs())
def test_one_broken_field_is_refused_at_its_path(case: tuple[dict[str, Any], str]) -> None:
    raw, path = case
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert f"\n  - {path}: " in str(error.value)
    assert {problem_path for problem_path, _ in error.value.problems} == {path}, str(error.value)
