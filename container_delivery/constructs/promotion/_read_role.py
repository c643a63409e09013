"""``PromotionReadRole``: the production role the promotion assumes to see replicated images."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from ._permissions import read_policy, role_arn
from ._validation import check_account, check_repository_names, check_role_name


class PromotionReadRole(Construct):
    """The role in the production account that ``PromotionFunction`` assumes to see replicas.

    Permissions: ``ecr:DescribeImages`` on the named repositories of this account and region,
    nothing else. Trust: the source account, only for the principal
    ``arn:aws:iam::<source_account>:role/<promotion_role_name>`` (an ``aws:PrincipalArn``
    condition, not a role principal, so this stack can be deployed before that role exists).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_account: str,
        promotion_role_name: str,
        repository_names: Sequence[str],
        role_name: str,
    ) -> None:
        """
        :param source_account: The staging / build account where ``PromotionFunction`` runs.
        :param promotion_role_name: The ``role_name`` of that ``PromotionFunction``.
        :param repository_names: Destination repositories it may describe (created by
            replication, so given by name).
        :param role_name: Physical name of this role (``ReplicationCheck.role_name``).
        """
        super().__init__(scope, construct_id)
        problems = [
            *check_account("source_account", source_account),
            *check_role_name("promotion_role_name", promotion_role_name),
            *check_role_name("role_name", role_name),
            *check_repository_names(repository_names),
        ]
        if problems:
            raise ValueError(f"PromotionReadRole '{self.node.path}': " + "; ".join(problems))

        stack = cdk.Stack.of(self)
        self.principal_arn = role_arn(stack, source_account, promotion_role_name)
        self.role = iam.Role(
            self,
            "Resource",
            role_name=role_name,
            description="container-delivery promotion: check that a digest has replicated here",
            assumed_by=iam.AccountPrincipal(source_account).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": self.principal_arn}}
            ),
        )
        self.policy = read_policy(self, self.role, stack, repository_names)
