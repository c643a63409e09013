"""Synthesize the reference app with N services, in this fresh process, and report the phases.

    python bench/synth_ours.py --services 40 --outdir bench/work/ours-40 --result r.json

The config is the default one (``container_delivery/config/default.yaml``) with its first service
cloned as ``svc001``..``svcNNN`` (each with 3 injected secrets per environment, like the peers).
The result file gets the phase times (import, build of the construct tree, ``app.synth()``,
which includes synthesis, the built-in template validation and every nag pack), the number of
templates and resources, and the unacknowledged findings.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

START = time.perf_counter()

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PRODUCTION_ACCOUNT, ROOT, STAGING_ACCOUNT, feature_flags  # noqa: E402

EXTRA_SECRETS = ("API_KEY", "SESSION_SECRET")


def config_dict(services: int) -> dict[str, Any]:
    """The default config with its first service cloned ``services`` times."""
    import yaml

    raw = yaml.safe_load((ROOT / "container_delivery" / "config" / "default.yaml").read_text())
    template = raw["services"][0]
    clones = []
    for index in range(1, services + 1):
        name = f"svc{index:03d}"
        service = copy.deepcopy(template)
        service["name"] = name
        service["github_repository"] = f"example-org/{name}"
        for env, account in (("staging", STAGING_ACCOUNT), ("production", PRODUCTION_ACCOUNT)):
            settings = service.setdefault(env, {})
            secrets = settings.setdefault("secrets", {})
            for secret in EXTRA_SECRETS:  # 3 injected secrets per environment, as in the peers
                suffix = secret.lower().replace("_", "-")
                secrets[secret] = {
                    "secret_arn": f"arn:aws:secretsmanager:eu-west-1:{account}:secret:{name}/{suffix}-AbCdEf"
                }
        clones.append(service)
    raw["services"] = clones
    return dict(raw)


def count_resources(outdir: Path) -> tuple[int, int]:
    templates = sorted(outdir.glob("*.template.json"))
    resources = sum(len(json.loads(p.read_text()).get("Resources", {})) for p in templates)
    return len(templates), resources


def findings(outdir: Path) -> dict[str, int]:
    """Unacknowledged findings per pack, from the validation report."""
    path = outdir / "validation-report.json"
    if not path.exists():
        return {}
    report = json.loads(path.read_text())
    return {
        plugin["pluginName"]: sum(
            len(v["violatingConstructs"]) for v in plugin.get("violations", [])
        )
        for plugin in report.get("pluginReports", [])
    }


def build_ours(services: int, outdir: Path, *, validation: bool, nag: bool) -> Any:
    from container_delivery.config import parse_config
    from container_delivery.stacks.app import build_app

    if os.environ.get("BENCH_WITHOUT_OWN_PACK"):  # diagnosis: the public packs only
        from container_delivery.compliance import packs

        packs.ALWAYS = ("AwsSolutions",)  # type: ignore[misc]

    config = parse_config(config_dict(services), source="bench")
    return build_app(
        config, outdir=str(outdir), context=feature_flags(), validation=validation, nag=nag
    )


def measure_main(variant: str, build: Callable[..., Any]) -> int:
    """Parse the common arguments, build and synthesize, write the phases to ``--result``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, required=True)
    parser.add_argument("--outdir", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--no-validation", action="store_true")
    parser.add_argument("--no-nag", action="store_true")
    parser.add_argument("--count-jsii", action="store_true", help="profile: count jsii traffic")
    parser.add_argument(
        "--jsii-detail", action="store_true", help="diagnosis: requests by member and caller"
    )
    args = parser.parse_args()

    jsii: dict[str, Any] = {}
    if args.count_jsii or args.jsii_detail:
        import jsii_counter

        jsii_counter.install(detail=args.jsii_detail)
        marks = [jsii_counter.snapshot()]
    t_import = time.perf_counter()
    import aws_cdk  # noqa: F401  (starts node: jsii)

    if variant == "ours":  # the library's import cost belongs to the import phase
        import container_delivery.stacks.app  # noqa: F401
    if args.count_jsii or args.jsii_detail:
        marks.append(jsii_counter.snapshot())
    t_build = time.perf_counter()
    app = build(args.services, args.outdir, validation=not args.no_validation, nag=not args.no_nag)
    if args.count_jsii or args.jsii_detail:
        marks.append(jsii_counter.snapshot())
    t_synth = time.perf_counter()
    error = None
    try:
        app.synth()
    except RuntimeError as exc:
        if "ValidationFailed" not in str(exc):
            raise
        error = "ValidationFailed"
    t_end = time.perf_counter()
    if args.count_jsii or args.jsii_detail:
        marks.append(jsii_counter.snapshot())
        jsii = {
            phase: jsii_counter.delta(marks[i], marks[i + 1])
            for i, phase in enumerate(("import", "build", "synth"))
        }
    templates, resources = count_resources(args.outdir)
    args.result.write_text(
        json.dumps(
            {
                "variant": variant,
                "services": args.services,
                "validation": not args.no_validation,
                "nag": not args.no_nag,
                "startup_s": t_import - START,
                "import_s": t_build - t_import,
                "build_s": t_synth - t_build,
                "synth_s": t_end - t_synth,
                "templates": templates,
                "resources": resources,
                "findings": findings(args.outdir),
                "error": error,
                "jsii": jsii,
                **(
                    {
                        "jsii_by_member": dict(jsii_counter.BY_MEMBER.most_common(60)),
                        "jsii_by_caller": dict(jsii_counter.BY_CALLER.most_common(60)),
                    }
                    if args.jsii_detail
                    else {}
                ),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(measure_main("ours", build_ours))
