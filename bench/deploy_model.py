"""Deploy-time model: our FargateService's defaults vs ApplicationLoadBalancedFargateService's.

    python bench/deploy_model.py --outdir bench/work/deploy-model --result r.json

Synthesizes two stacks in one app (validation and nag off: only the templates matter), each
with a VPC, a cluster, an ECR repository and one load-balanced service built with the
defaults (ours needs an explicit ``LoadBalancerOptions(allow_plain_http=True)`` to get an ALB
without a certificate; the pattern gets one by default), then applies the service engineer's
``modeled_rolling_deploy_seconds`` (``container_delivery/constructs/service/deploy_model.py``)
to both templates and writes every term of the model.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REGION, STAGING_ACCOUNT, feature_flags

DIGEST = "sha256:" + "0" * 64


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outdir", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    args = parser.parse_args()

    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_ecr as ecr
    from aws_cdk import aws_ecs as ecs
    from aws_cdk import aws_ecs_patterns as ecs_patterns

    from container_delivery.constructs.service import (
        FargateService,
        LoadBalancerOptions,
        deploy_model,
        rolling_deploy_model,
    )

    app = cdk.App(
        outdir=str(args.outdir), context=feature_flags(), builtin_cloud_formation_validation=False
    )
    env = cdk.Environment(account=STAGING_ACCOUNT, region=REGION)

    def base(name: str) -> tuple[cdk.Stack, ecs.Cluster, ecr.Repository]:
        stack = cdk.Stack(app, name, env=env)
        vpc = ec2.Vpc(stack, "Vpc", availability_zones=[f"{REGION}a", f"{REGION}b"])
        return stack, ecs.Cluster(stack, "Cluster", vpc=vpc), ecr.Repository(stack, "Repo")

    stack, cluster, repository = base("Ours")
    FargateService(
        stack,
        "Service",
        cluster=cluster,
        repository=repository,
        image_digest=DIGEST,
        load_balancer=LoadBalancerOptions(allow_plain_http=True),
    )
    stack, cluster, repository = base("Pattern")
    ecs_patterns.ApplicationLoadBalancedFargateService(
        stack,
        "Service",
        cluster=cluster,
        task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
            image=ecs.ContainerImage.from_ecr_repository(repository, "latest")
        ),
    )
    assembly = app.synth()
    result: dict[str, object] = {
        "formula": (deploy_model.__doc__ or "").strip(),
        "source": "container_delivery.constructs.service.deploy_model.rolling_deploy_model",
        "defaults": {
            "interval_seconds": deploy_model.ALB_DEFAULT_INTERVAL_SECONDS,
            "healthy_threshold": deploy_model.ALB_DEFAULT_HEALTHY_THRESHOLD,
            "deregistration_delay_seconds": deploy_model.ALB_DEFAULT_DEREGISTRATION_DELAY_SECONDS,
            "grace_seconds": deploy_model.ECS_DEFAULT_GRACE_SECONDS,
        },
    }
    for name in ("Ours", "Pattern"):
        template = assembly.get_stack_by_name(name).template
        model = rolling_deploy_model(template)
        service = next(
            r["Properties"]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::ECS::Service"
        )
        deployment = service.get("DeploymentConfiguration", {})
        result[name] = {
            **dataclasses.asdict(model),
            "seconds": model.seconds,
            "minimum_healthy_percent": deployment.get("MinimumHealthyPercent"),
            "maximum_percent": deployment.get("MaximumPercent"),
            "circuit_breaker": deployment.get("DeploymentCircuitBreaker"),
        }
    args.result.write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
