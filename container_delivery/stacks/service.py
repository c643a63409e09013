"""The reference app's service stacks: a network stack per environment, and per service and
environment a stack running one ``FargateService`` by image digest.

Stack names are part of the contract with the pipeline (its deploy role may update exactly
these stacks): ``container-delivery-network-<env>`` and ``<service>-<env>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from container_delivery.compliance import record_choice
from container_delivery.config import (
    ENVIRONMENTS,
    DeliveryConfig,
    EnvironmentName,
    ServiceConfig,
)
from container_delivery.constructs.network import ServiceNetwork
from container_delivery.constructs.service import (
    FargateService,
    LoadBalancerOptions,
    ServiceSecret,
)
from container_delivery.constructs.topic import CLOUDWATCH_ALARMS, SecureTopic
from container_delivery.rules import retention_name

from ._errors import for_service

#: What the ``ImageDigest`` parameter accepts: a digest, or empty before the first release.
IMAGE_DIGEST_PATTERN = "^(sha256:[a-f0-9]{64})?$"


def network_stack_name(env: EnvironmentName) -> str:
    return f"container-delivery-network-{env}"


def service_stack_name(service: str, env: EnvironmentName) -> str:
    return f"{service}-{env}"


class NetworkStack(cdk.Stack):
    """VPC, ECS cluster and the alarm topic of one environment.

    The zones are the region's first ``network.max_azs`` zones, chosen by CloudFormation at deploy
    time (``Fn::Select``/``Fn::GetAZs``): no zone names hard-coded in the template (which differ
    per account). ``ServiceNetwork`` looks nothing up, so the stack needs no AWS credentials.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeliveryConfig,
        env_name: EnvironmentName,
    ) -> None:
        account = config.account(env_name)
        super().__init__(
            scope,
            construct_id,
            stack_name=network_stack_name(env_name),
            env=cdk.Environment(account=account.id, region=account.region),
            description=f"container-delivery: VPC, ECS cluster and alarm topic ({env_name})",
            termination_protection=env_name == "production",
        )
        zones = config.network.max_azs
        self.network = ServiceNetwork(
            self,
            "Network",
            cidr=config.network.cidr(env_name),
            availability_zones=[cdk.Fn.select(index, cdk.Fn.get_azs()) for index in range(zones)],
            # One NAT gateway is enough for staging; production survives a zone failure.
            nat_gateways=1 if env_name == "staging" else zones,
        )
        self.alarms = SecureTopic(
            self,
            "AlarmTopic",
            display_name=f"container-delivery service alarms ({env_name})",
            emails=config.notification_emails,
            publishers=[CLOUDWATCH_ALARMS],
        )
        self.alarm_topic = self.alarms.topic


class ServiceStack(cdk.Stack):
    """One service in one environment; the image digest is the ``ImageDigest`` parameter."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeliveryConfig,
        service: ServiceConfig,
        env_name: EnvironmentName,
        network: NetworkStack,
    ) -> None:
        account = config.account(env_name)
        super().__init__(
            scope,
            construct_id,
            stack_name=service_stack_name(service.name, env_name),
            env=cdk.Environment(account=account.id, region=account.region),
            description=f"container-delivery: service {service.name} ({env_name})",
            termination_protection=env_name == "production",
        )
        settings = service.settings(env_name)
        self.image_digest_parameter = self._image_digest_parameter()
        # Same repository name in every account: staging's is created by the registry stack,
        # production's by ECR replication (creation template).
        repository = ecr.Repository.from_repository_name(self, "Repository", service.name)
        secrets = self._secrets(service, env_name)
        load_balancer = (
            self._load_balancer(config, service, env_name, settings.certificate_arn)
            if service.load_balanced
            else None
        )
        self.service = FargateService(
            self,
            "Service",
            cluster=network.network.cluster,
            repository=repository,
            image_digest=self.image_digest_parameter.value_as_string,
            container_port=service.container_port if service.load_balanced else None,
            cpu=service.cpu,
            memory=service.memory,
            architecture=(
                ecs.CpuArchitecture.ARM64
                if service.architecture == "arm64"
                else ecs.CpuArchitecture.X86_64
            ),
            desired_count=settings.desired_count,
            min_count=settings.min_count,
            max_count=settings.max_count,
            spot_share=settings.spot_share,
            allow_spot=env_name != "production",
            environment=service.environment_for(env_name),
            secrets=secrets,
            health_check_path=service.health_check_path,
            scratch_paths=service.scratch_paths,
            load_balancer=load_balancer,
            alarm_topic=network.alarm_topic,
            alarm_rollback=True,
            service_name=service.name,
            log_retention=logs.RetentionDays[retention_name(service.log_retention_days)],
        )
        self.url = self.service.url
        if self.url is not None:
            cdk.CfnOutput(self, "Url", value=self.url, description="The service's URL")

    def _image_digest_parameter(self) -> cdk.CfnParameter:
        return cdk.CfnParameter(
            self,
            "ImageDigest",
            type="String",
            default="",
            allowed_pattern=IMAGE_DIGEST_PATTERN,
            constraint_description="an image digest: sha256: and 64 lowercase hex digits, or empty",
            description=(
                "Digest of the image to run, set by the pipeline (UpdateStack with "
                "UsePreviousTemplate). Empty = no release yet: zero tasks. cdk deploy keeps the "
                "previous value."
            ),
        )

    def _secrets(
        self, service: ServiceConfig, env_name: EnvironmentName
    ) -> dict[str, ServiceSecret]:
        """The service's secrets in this environment, imported by their complete ARNs."""
        return {
            name: ServiceSecret(
                secret=secretsmanager.Secret.from_secret_complete_arn(
                    self, f"Secret-{name}", ref.secret_arn
                ),
                json_key=ref.json_key,
                version_stage=ref.version_stage,
                encryption_key=(
                    kms.Key.from_key_arn(self, f"SecretKey-{name}", ref.kms_key_arn)
                    if ref.kms_key_arn
                    else None
                ),
                version_id=ref.version_id,
            )
            for name, ref in service.secrets_for(env_name).items()
        }

    def _load_balancer(
        self,
        config: DeliveryConfig,
        service: ServiceConfig,
        env_name: EnvironmentName,
        certificate_arn: str | None,
    ) -> LoadBalancerOptions:
        """HTTPS with the environment's certificate, or plain HTTP recorded as a choice."""
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
            if certificate_arn
            else None
        )
        if certificate is None:
            # The audit report names the config key behind this exception, for sign-off.
            index = list(config.services).index(service)
            record_choice(
                self,
                {"allow_plain_http": f"services[{index}].{env_name}.certificate_arn (not set)"},
                environment=env_name,
            )
        return LoadBalancerOptions(
            public=service.public,
            certificate=certificate,
            allow_plain_http=certificate is None,
        )


@dataclass
class ServiceStacks:
    """The stacks ``add_service_stacks`` added."""

    network: dict[EnvironmentName, NetworkStack] = field(default_factory=dict)
    services: dict[tuple[str, EnvironmentName], ServiceStack] = field(default_factory=dict)


def add_service_stacks(app: cdk.App, config: DeliveryConfig) -> ServiceStacks:
    """Add a network stack per environment and a stack per service and environment."""
    stacks = ServiceStacks()
    for env_name in ENVIRONMENTS:
        network = NetworkStack(app, network_stack_name(env_name), config=config, env_name=env_name)
        stacks.network[env_name] = network
        for service in config.services:
            with for_service(service.name, env_name):
                stack = ServiceStack(
                    app,
                    service_stack_name(service.name, env_name),
                    config=config,
                    service=service,
                    env_name=env_name,
                    network=network,
                )
            stacks.services[(service.name, env_name)] = stack
    return stacks
