"""``ServiceRepository``: the ECR repository of one service, the same name in every account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from .._checks import wrong_type
from ._rules import (
    DEFAULT_BUILD_TAG_PREFIX,
    DEFAULT_KEEP_BUILD_IMAGES,
    DEFAULT_RELEASE_TAG_PREFIX,
    DEFAULT_UNTAGGED_IMAGE_DAYS,
    check_mutable_tags,
    check_not_self,
    check_positive,
    check_repository_name,
    check_tag_prefixes,
    lifecycle_policy_text,
    lifecycle_rules,
)
from .source import ReplicationDestination, SourceRegistry


class ServiceRepository(Construct):
    """An ECR repository for one service, named without any environment prefix.

    Tags are immutable (except the filters declared in ``mutable_tags``), images are scanned on
    push, encrypted (AES256, or KMS with ``encryption_key``) and retained with the stack. The
    lifecycle policy never expires an image that carries a release tag; it expires untagged
    images after ``untagged_image_days`` and keeps the newest ``keep_build_images`` build images
    (see ``lifecycle_rules``). With ``registry`` the repository registers for registry-level scan
    on push, and with ``replicate_to`` for replication.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository_name: str,
        mutable_tags: Sequence[str] = (),
        release_tag_prefix: str = DEFAULT_RELEASE_TAG_PREFIX,
        build_tag_prefix: str = DEFAULT_BUILD_TAG_PREFIX,
        keep_build_images: int = DEFAULT_KEEP_BUILD_IMAGES,
        untagged_image_days: int = DEFAULT_UNTAGGED_IMAGE_DAYS,
        encryption_key: kms.IKey | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        registry: SourceRegistry | None = None,
        replicate_to: Sequence[ReplicationDestination] = (),
    ) -> None:
        """
        :param repository_name: Lowercase ECR name without an environment prefix (the same name
            in staging and production).
        :param mutable_tags: Tag filters that may move (e.g. ``latest``, wildcards allowed, at
            most 5); they may not match release or build tags. Default: - none: every tag is
            immutable (IMMUTABLE); with filters, IMMUTABLE_WITH_EXCLUSION.
        :param release_tag_prefix: Prefix of the tags the promotion adds to released images.
            Default: - ``release-``.
        :param build_tag_prefix: Prefix of the build tag the pipeline pushes with every image
            (``git-<12 of the commit>-<git tag>``). Default: - ``git-``.
        :param keep_build_images: Build-tagged images kept (the newest).
            Default: - 50.
        :param untagged_image_days: Days an untagged image is kept after its push.
            Default: - 14.
        :param encryption_key: KMS key for the images.
            Default: - AES256 (ECR-managed keys).
        :param removal_policy: What happens to the repository and its images when the stack is
            deleted. Default: - RETAIN; images outlive the stack.
        :param registry: The stack's source registry; the repository registers for its
            replication, and for its registry-level scanning when the registry manages scanning.
            Default: - none: repository-level scan on push only, no replication.
        :param replicate_to: Where images replicate (needs ``registry``).
            Default: - nowhere.
        """
        super().__init__(scope, construct_id)
        problems = [
            *check_repository_name(repository_name),
            *check_tag_prefixes(release_tag_prefix, build_tag_prefix),
            *check_mutable_tags(mutable_tags, release_tag_prefix, build_tag_prefix),
            *check_positive("keep_build_images", keep_build_images, 10_000),
            *check_positive("untagged_image_days", untagged_image_days, 3650),
            *self._check_replication(registry, replicate_to),
        ]
        if problems:
            raise ValueError(f"ServiceRepository '{self.node.path}': " + "; ".join(problems))

        self.lifecycle_rules: list[dict[str, Any]] = lifecycle_rules(
            release_tag_prefix=release_tag_prefix,
            build_tag_prefix=build_tag_prefix,
            keep_build_images=keep_build_images,
            untagged_image_days=untagged_image_days,
        )
        """The lifecycle rules (the same function builds the creation template's)."""
        self.release_tag_prefix = release_tag_prefix

        self.repository = self._create_repository(
            repository_name=repository_name,
            mutable_tags=mutable_tags,
            encryption_key=encryption_key,
            removal_policy=removal_policy,
            lifecycle_policy=lifecycle_policy_text(
                release_tag_prefix=release_tag_prefix,
                build_tag_prefix=build_tag_prefix,
                keep_build_images=keep_build_images,
                untagged_image_days=untagged_image_days,
            ),
        )
        """The ECR repository."""

        if registry is not None:
            # The literal name, not the Ref token: filters and overlap checks need the string.
            if registry.manages_scanning:
                registry.scan(repository_name)
            if replicate_to:
                registry.replicate(repository_name, destinations=replicate_to)

    def _check_replication(
        self, registry: SourceRegistry | None, replicate_to: Sequence[ReplicationDestination]
    ) -> list[str]:
        problems: list[str] = []
        stack = cdk.Stack.of(self)
        for destination in replicate_to:
            if not isinstance(destination, ReplicationDestination):
                problems += wrong_type(
                    "replicate_to",
                    destination,
                    ReplicationDestination,
                    "give ReplicationDestination(account, region)",
                )
                continue
            problems += check_not_self(
                "replicate_to", stack.account, stack.region, destination.account, destination.region
            )
        if replicate_to and registry is None:
            problems.append(
                "replicate_to: destinations given without registry; pass "
                "registry=SourceRegistry.of(self) so that replication has one owner per registry"
            )
        return problems

    def _create_repository(
        self,
        *,
        repository_name: str,
        mutable_tags: Sequence[str],
        encryption_key: kms.IKey | None,
        removal_policy: cdk.RemovalPolicy,
        lifecycle_policy: str,
    ) -> ecr.Repository:
        repository = ecr.Repository(
            self,
            "Resource",
            repository_name=repository_name,
            image_scan_on_push=True,
            image_tag_mutability=(
                ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION
                if mutable_tags
                else ecr.TagMutability.IMMUTABLE
            ),
            image_tag_mutability_exclusion_filters=(
                [ecr.ImageTagMutabilityExclusionFilter.wildcard(tag) for tag in mutable_tags]
                or None
            ),
            encryption=ecr.RepositoryEncryption.KMS
            if encryption_key
            else ecr.RepositoryEncryption.AES_256,
            encryption_key=encryption_key,
            removal_policy=removal_policy,
        )
        cfn = cast(ecr.CfnRepository, repository.node.default_child)
        if encryption_key is None:
            # Explicit, so that the template shows it (ECR's default is AES256 too).
            cfn.encryption_configuration = ecr.CfnRepository.EncryptionConfigurationProperty(
                encryption_type="AES256"
            )
        cfn.lifecycle_policy = ecr.CfnRepository.LifecyclePolicyProperty(
            lifecycle_policy_text=lifecycle_policy
        )
        return repository

    @property
    def repository_name(self) -> str:
        """The repository's name (the same in every account)."""
        return self.repository.repository_name

    @property
    def repository_arn(self) -> str:
        """The repository's ARN in this stack's account and region."""
        return self.repository.repository_arn

    @property
    def repository_uri(self) -> str:
        """``<account>.dkr.ecr.<region>.amazonaws.com/<name>``, the image name without a tag."""
        return self.repository.repository_uri

    def grant_pull(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` pull images (and get an ECR authorization token)."""
        return self.repository.grant_pull(grantee)

    def grant_push(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` push images (and get an ECR authorization token)."""
        return self.repository.grant_push(grantee)

    def grant_pull_push(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` pull and push images."""
        return self.repository.grant_pull_push(grantee)

    def grant_tag_release(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` add a release tag to an existing image (the promotion step).

        Adding a tag is ``ecr:PutImage`` of the existing manifest, read with ``BatchGetImage``;
        ``DescribeImages`` and ``DescribeImageReplicationStatus`` let it check the digest and
        wait for replication.
        """
        return self.repository.grant(
            grantee,
            "ecr:BatchGetImage",
            "ecr:DescribeImages",
            "ecr:DescribeImageReplicationStatus",
            "ecr:PutImage",
        )
