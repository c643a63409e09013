"""The README's examples run as written."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from tests.helpers import ALL_PACKS, ROOT, cdk_synth, new_user_environment, report_findings

README = (ROOT / "README.md").read_text()


def _python_blocks(heading: str) -> list[str]:
    section = README.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_readme_opens_with_the_two_set_up_commands() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, flags=re.DOTALL)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make synth", "make test"]
    assert README.index("```bash") < README.index("## ")


def test_minimal_example_synthesizes_a_service_by_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the README's minimal example, with its App built without the built-in validation
    (code,) = _python_blocks("Minimal example: one service, one environment")
    apps: list[cdk.App] = []
    real_app = cdk.App

    def app_factory(**kwargs: object) -> cdk.App:
        app = real_app(builtin_cloud_formation_validation=False, **kwargs)  # type: ignore[arg-type]
        apps.append(app)
        return app

    monkeypatch.setattr(cdk, "App", app_factory)
    # WHEN it runs as written
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own documentation
    # THEN it defines the service with the secret injected by ECS from its JSON key
    template = Template.from_stack(apps[0].node.find_child("webapp-staging"))  # type: ignore[arg-type]
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "Secrets": [
                            {
                                "Name": "DATABASE_PASSWORD",
                                "ValueFrom": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:webapp/db-AbCdEf:password::",
                            }
                        ]
                    }
                )
            ]
        },
    )


@pytest.mark.packaging
def test_minimal_example_passes_cdk_synth_with_every_pack_and_no_credentials(
    tmp_path: Path,
) -> None:
    # GIVEN the README's minimal example as the app of a bare cdk.json (no context, no flags),
    # with every nag pack (added here when the example does not register them itself)
    (code,) = _python_blocks("Minimal example: one service, one environment")
    if "apply_packs(" not in code:
        register = (
            "from container_delivery.compliance import apply_packs\n"
            f"apply_packs(app, {list(ALL_PACKS)!r})\n"
        )
        code = code.replace("\napp.synth()", f"\n{register}app.synth()")
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(code)
    (app_dir / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    (tmp_path / "home").mkdir()
    # WHEN the real CLI synthesizes it with this project's venv and no AWS credentials
    env = new_user_environment(tmp_path / "home", Path(sys.executable).parent)
    result = cdk_synth(app_dir, env)
    # THEN it succeeds, and every pack ran with nothing left unacknowledged
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((app_dir / "cdk.out" / "validation-report.json").read_text())
    findings = report_findings(report)
    assert findings == [], "\n".join(findings)
    plugins = {plugin["pluginName"] for plugin in report["pluginReports"]}
    assert {"AwsSolutions", *ALL_PACKS} <= plugins


def test_readme_quotes_the_latest_benchmark_run() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("sync_readme", ROOT / "bench" / "sync_readme.py")
    assert spec is not None
    assert spec.loader is not None
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    results = (ROOT / "bench" / "results.md").read_text()
    assert sync.readme_block(results) in README, "run: .venv/bin/python bench/sync_readme.py"
