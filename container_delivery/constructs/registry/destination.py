"""``DestinationRegistry``: the production registry that replicated images arrive in."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

from container_delivery.compliance import acknowledge

from ._rules import (
    DEFAULT_BUILD_TAG_PREFIX,
    DEFAULT_KEEP_BUILD_IMAGES,
    DEFAULT_RELEASE_TAG_PREFIX,
    DEFAULT_UNTAGGED_IMAGE_DAYS,
    check_account,
    check_mutable_tags,
    check_positive,
    check_tag_prefixes,
    lifecycle_policy_text,
    lifecycle_rules,
)
from ._scanning import LazyValue, RegistryScanning, ScanType, check_scan_settings
from ._singleton import stack_singleton

#: Repository creation template prefixes (CloudFormation schema): a namespace, or ROOT.
TEMPLATE_PREFIX: Final = re.compile(
    r"^([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*/?|ROOT)$"
)
#: The only actions the registry policy grants to source accounts.
REPLICATION_ACTIONS: Final = ("ecr:CreateRepository", "ecr:ReplicateImage")


class DestinationRegistry(Construct):
    """The registry policy, repository creation template and scanning of a destination registry.

    * ``AWS::ECR::RegistryPolicy``: each source account may call ``ecr:ReplicateImage`` and
      ``ecr:CreateRepository``, only on ``repository/<prefix>*`` of the prefixes registered with
      ``allow_replication``; nothing else, nobody else.
    * ``AWS::ECR::RepositoryCreationTemplate`` (``AppliedFor: REPLICATION``): repositories that
      replication creates get the settings of a ``ServiceRepository`` (immutable tags, encryption,
      the same lifecycle policy, built by the same function). Without it they arrive mutable and
      without lifecycle. ECR reads a template prefix as a namespace (``team`` means ``team/``):
      for repository names without ``/`` only the ``ROOT`` template applies, hence the default.
    * ``AWS::ECR::RegistryScanningConfiguration``: scan on push for the replicated prefixes.

    The registry policy and the scanning configuration exist once per account and region; use
    ``DestinationRegistry.of(scope)`` to share the stack's registry.
    """

    DEFAULT_ID: Final = "DestinationRegistry"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        template_prefix: str = "ROOT",
        mutable_tags: Sequence[str] = (),
        release_tag_prefix: str = DEFAULT_RELEASE_TAG_PREFIX,
        build_tag_prefix: str = DEFAULT_BUILD_TAG_PREFIX,
        keep_build_images: int = DEFAULT_KEEP_BUILD_IMAGES,
        untagged_image_days: int = DEFAULT_UNTAGGED_IMAGE_DAYS,
        encryption_key: kms.IKey | None = None,
        resource_tags: Mapping[str, str] | None = None,
        creation_role: iam.IRole | None = None,
        scan_on_push: bool = False,
        scan_type: ScanType = "BASIC",
        creation_template: bool = True,
    ) -> None:
        """
        :param template_prefix: Namespace of the repositories the creation template applies to.
            Default: - ``ROOT``: every repository replication creates (names without ``/``).
        :param mutable_tags: Tag filters that may move.
            Default: - none (IMMUTABLE).
        :param release_tag_prefix: Prefix of release tags, which the lifecycle policy never
            expires; the same as the source repositories'. Default: - ``release-`` (as
            ``ServiceRepository``).
        :param build_tag_prefix: Prefix of build tags, of which the newest ``keep_build_images``
            are kept. Default: - ``git-`` (as ``ServiceRepository``).
        :param keep_build_images: Build-tagged images kept per created repository (the newest).
            Default: - 50 (as ``ServiceRepository``).
        :param untagged_image_days: Days an untagged image is kept after it arrives.
            Default: - 14 (as ``ServiceRepository``).
        :param encryption_key: KMS key for created repositories.
            Default: - AES256.
        :param resource_tags: Tags of created repositories.
            Default: - none.
        :param creation_role: Role ECR assumes to create repositories; ECR needs one when the
            template uses a KMS key or resource tags. Default: - created when needed.
        :param scan_on_push: Own the registry scanning configuration, with scan on push for
            the replicated prefixes. There is one ``AWS::ECR::RegistryScanningConfiguration`` per
            account and region and it replaces the registry's scanning (``BASIC`` switches an
            organisation's Amazon Inspector enhanced scanning off for the whole registry).
            Default: - False: the registry's scanning is left as it is (a prerequisite: see
            docs/registry.md).
        :param scan_type: Registry scanning with ``scan_on_push``, ``BASIC`` or ``ENHANCED``.
            Default: - BASIC.
        :param creation_template: Create the ``REPLICATION`` repository creation template for
            ``template_prefix``. ECR allows one template per prefix: if the account already has
            one (``aws ecr describe-repository-creation-templates --prefixes ROOT``), the create
            fails; set False and make sure that template gives immutable tags and the lifecycle
            policy. Default: - True.
        """
        super().__init__(scope, construct_id)
        tags = dict(resource_tags or {})
        problems = _check_props(
            template_prefix=template_prefix,
            mutable_tags=mutable_tags,
            release_tag_prefix=release_tag_prefix,
            build_tag_prefix=build_tag_prefix,
            keep_build_images=keep_build_images,
            untagged_image_days=untagged_image_days,
            scan_type=scan_type,
            resource_tags=tags,
        )
        if problems:
            raise ValueError(f"DestinationRegistry '{self.node.path}': " + "; ".join(problems))

        self._id = construct_id
        self.template_prefix = template_prefix
        self._grants: dict[str, list[str]] = {}  # source account -> repository prefixes
        self._scan_on_push = scan_on_push
        self._scanning = RegistryScanning(self, scan_type=scan_type, continuous=False)
        self.registry_policy: ecr.CfnRegistryPolicy | None = None
        """The registry policy, once a source account is allowed to replicate."""
        self.lifecycle_rules: list[dict[str, Any]] = lifecycle_rules(
            release_tag_prefix=release_tag_prefix,
            build_tag_prefix=build_tag_prefix,
            keep_build_images=keep_build_images,
            untagged_image_days=untagged_image_days,
        )
        """The lifecycle rules of created repositories (the same as ``ServiceRepository``'s)."""

        self.creation_role: iam.IRole | None = creation_role
        """The role ECR assumes to create repositories (only with KMS or resource tags)."""
        if creation_template and creation_role is None and (encryption_key is not None or tags):
            self.creation_role = self._create_role(encryption_key)

        self.creation_template: ecr.CfnRepositoryCreationTemplate | None = None
        """The repository creation template (REPLICATION), unless ``creation_template=False``."""
        if not creation_template:
            return
        self.creation_template = self._create_template(
            template_prefix=template_prefix,
            mutable_tags=mutable_tags,
            encryption_key=encryption_key,
            resource_tags=tags,
            lifecycle_policy=lifecycle_policy_text(
                release_tag_prefix=release_tag_prefix,
                build_tag_prefix=build_tag_prefix,
                keep_build_images=keep_build_images,
                untagged_image_days=untagged_image_days,
            ),
        )

    @staticmethod
    def of(scope: IConstruct) -> DestinationRegistry:
        """The destination registry of ``scope``'s stack, created with defaults on first use."""
        return stack_singleton(scope, DestinationRegistry, DestinationRegistry.DEFAULT_ID)

    @property
    def scanning_configuration(self) -> ecr.CfnRegistryScanningConfiguration | None:
        """The registry scanning configuration, once a replicated prefix is scanned on push."""
        return self._scanning.resource

    @property
    def source_accounts(self) -> list[str]:
        """The accounts allowed to replicate here (``allow_replication``), in call order."""
        return list(self._grants)

    @property
    def replicated_prefixes(self) -> list[str]:
        """Every repository prefix allowed to replicate here, from any source account."""
        return list(dict.fromkeys(p for prefixes in self._grants.values() for p in prefixes))

    def allow_replication(self, *, source_account: str, repository_prefixes: Sequence[str]) -> None:
        """Let ``source_account`` replicate repositories starting with ``repository_prefixes``.

        :raises ValueError: the account or a prefix is invalid (every problem listed).
        """
        problems = check_account("source_account", source_account)
        if not repository_prefixes:
            problems.append("repository_prefixes: empty; name the replicated repositories")
        stack = cdk.Stack.of(self)
        if not cdk.Token.is_unresolved(stack.account) and source_account == stack.account:
            problems.append(
                f"source_account: {source_account!r} is this registry's own account; the "
                "registry policy is for other accounts (same-account replication needs none)"
            )
        for prefix in repository_prefixes:
            if not cdk.Token.is_unresolved(prefix) and (
                len(prefix) < 2 or not re.match(r"^[a-z0-9][a-z0-9._/-]*$", prefix)
            ):
                problems.append(
                    f"repository_prefixes: {prefix!r} is not a repository name prefix "
                    "(lowercase, at least 2 characters)"
                )
            if self._scan_on_push:
                problems += self._scanning.check(f"{prefix}*")
        if problems:
            raise ValueError(f"DestinationRegistry '{self.node.path}': " + "; ".join(problems))

        granted = self._grants.setdefault(source_account, [])
        for prefix in repository_prefixes:
            if prefix not in granted:
                granted.append(prefix)
            if self._scan_on_push:
                self._scanning.add(f"{prefix}*")
            if self.template_prefix != "ROOT" and not prefix.startswith(
                self.template_prefix.rstrip("/") + "/"
            ):
                cdk.Annotations.of(self).add_warning_v2(
                    "container-delivery:template-prefix",
                    f"The creation template applies to '{self.template_prefix}/...' only: "
                    f"repositories replicated under {prefix!r} are created mutable and without "
                    "lifecycle. Use template_prefix='ROOT' or a namespaced prefix.",
                )
        if self.registry_policy is None:
            self.registry_policy = ecr.CfnRegistryPolicy(
                self, "Policy", policy_text=cdk.Lazy.any(LazyValue(self._render_policy))
            )

    def _render_policy(self) -> dict[str, Any]:
        stack = cdk.Stack.of(self)
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": f"ReplicationFrom{account}",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{stack.partition}:iam::{account}:root"},
                    "Action": list(REPLICATION_ACTIONS),
                    "Resource": [
                        f"arn:{stack.partition}:ecr:{stack.region}:{stack.account}:repository/{p}*"
                        for p in prefixes
                    ],
                }
                for account, prefixes in self._grants.items()
            ],
        }

    def _create_template(
        self,
        *,
        template_prefix: str,
        mutable_tags: Sequence[str],
        encryption_key: kms.IKey | None,
        resource_tags: Mapping[str, str],
        lifecycle_policy: str,
    ) -> ecr.CfnRepositoryCreationTemplate:
        return ecr.CfnRepositoryCreationTemplate(
            self,
            "CreationTemplate",
            prefix=template_prefix,
            applied_for=["REPLICATION"],
            description="Replicated service repositories: immutable, encrypted, with lifecycle",
            image_tag_mutability="IMMUTABLE_WITH_EXCLUSION" if mutable_tags else "IMMUTABLE",
            image_tag_mutability_exclusion_filters=[
                ecr.CfnRepositoryCreationTemplate.ImageTagMutabilityExclusionFilterProperty(
                    image_tag_mutability_exclusion_filter_type="WILDCARD",
                    image_tag_mutability_exclusion_filter_value=tag,
                )
                for tag in mutable_tags
            ]
            or None,
            encryption_configuration=ecr.CfnRepositoryCreationTemplate.EncryptionConfigurationProperty(
                encryption_type="KMS" if encryption_key else "AES256",
                kms_key=encryption_key.key_arn if encryption_key else None,
            ),
            lifecycle_policy=lifecycle_policy,
            resource_tags=[cdk.CfnTag(key=k, value=v) for k, v in resource_tags.items()] or None,
            custom_role_arn=self.creation_role.role_arn if self.creation_role else None,
        )

    def _create_role(self, key: kms.IKey | None) -> iam.Role:
        stack = cdk.Stack.of(self)
        repositories = f"arn:{stack.partition}:ecr:{stack.region}:{stack.account}:repository/*"
        statements = [
            iam.PolicyStatement(
                sid="CreateReplicatedRepositories",
                actions=["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"],
                resources=[repositories],
            )
        ]
        if key is not None:
            statements.append(
                iam.PolicyStatement(
                    sid="EncryptWithTheTemplateKey",
                    actions=["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"],
                    resources=[key.key_arn],
                )
            )
        policy = iam.ManagedPolicy(self, "CreationPolicy", statements=statements)
        role = iam.Role(
            self,
            "CreationRole",
            assumed_by=iam.ServicePrincipal("ecr.amazonaws.com"),
            description="Assumed by ECR to create replicated repositories from the template",
            managed_policies=[policy],
        )
        # The finding names the resource as cdk-nag renders it: pseudo parameters as <AWS::...>.
        partition, region, account = (
            f"<AWS::{name}>" if cdk.Token.is_unresolved(value) else value
            for name, value in (
                ("Partition", stack.partition),
                ("Region", stack.region),
                ("AccountId", stack.account),
            )
        )
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::arn:{partition}:ecr:{region}:{account}:repository/*]",
            "ECR assumes this role only to create repositories that replication brings in; their "
            "names are not known in advance, and the role is limited to this account's registry "
            "in this region and to create, replicate and tag",
        )
        return role


def _check_props(
    *,
    template_prefix: str,
    mutable_tags: Sequence[str],
    release_tag_prefix: str,
    build_tag_prefix: str,
    keep_build_images: int,
    untagged_image_days: int,
    scan_type: ScanType,
    resource_tags: Mapping[str, str],
) -> list[str]:
    """Every problem with ``DestinationRegistry``'s props (empty when they are fine)."""
    problems = [
        *check_tag_prefixes(release_tag_prefix, build_tag_prefix),
        *check_mutable_tags(mutable_tags, release_tag_prefix, build_tag_prefix),
        *check_positive("keep_build_images", keep_build_images, 10_000),
        *check_positive("untagged_image_days", untagged_image_days, 3650),
        *check_scan_settings(scan_type, False),
    ]
    if not cdk.Token.is_unresolved(template_prefix) and not TEMPLATE_PREFIX.match(template_prefix):
        problems.append(
            f"template_prefix: {template_prefix!r} is not 'ROOT' or a lowercase repository "
            "namespace such as 'team-a'"
        )
    for key, value in resource_tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            problems.append(
                f"resource_tags: {key!r}={value!r}: keys have 1 to 128 characters, values "
                "at most 256"
            )
    return problems
