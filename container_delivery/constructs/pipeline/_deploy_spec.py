"""The deploy project's buildspec: set a service stack's image digest, then wait for the stack.

A pure function (no aws_cdk): the spec reads the target from the action's environment variables
(``DEPLOY_VARIABLES``).
"""

from __future__ import annotations

from typing import Any, Final

#: The deploy script: UpdateStack with the previous template and the new digest, then wait.
DEPLOY_SCRIPT: Final = r"""set -euo pipefail
if [[ ! "$IMAGE_DIGEST" =~ ^sha256:[a-f0-9]{64}$ ]]; then
  echo "IMAGE_DIGEST '$IMAGE_DIGEST' is not a sha256 digest: the build action did not export one" >&2
  exit 1
fi
aws configure set profile.deploy.role_arn "$DEPLOY_ROLE_ARN"
aws configure set profile.deploy.credential_source EcsContainer
aws configure set profile.deploy.region "$TARGET_REGION"
export AWS_PROFILE=deploy
# CodeBuild sets AWS_REGION and AWS_DEFAULT_REGION to the build's region, and they beat a
# profile's region: every call names the target region, and the variables follow it.
export AWS_REGION="$TARGET_REGION" AWS_DEFAULT_REGION="$TARGET_REGION"
echo "Deploying $IMAGE_DIGEST to stack $STACK_NAME ($TARGET_REGION) as $DEPLOY_ROLE_ARN"
KEYS=$(aws cloudformation describe-stacks --region "$TARGET_REGION" --stack-name "$STACK_NAME" \
  --query "Stacks[0].Parameters[?ParameterKey!='ImageDigest'].ParameterKey" --output text)
PARAMS=("ParameterKey=ImageDigest,ParameterValue=$IMAGE_DIGEST")
for key in $KEYS; do PARAMS+=("ParameterKey=$key,UsePreviousValue=true"); done
UPDATED=yes
if ! OUT=$(aws cloudformation update-stack --region "$TARGET_REGION" --stack-name "$STACK_NAME" \
    --use-previous-template \
    --parameters "${PARAMS[@]}" --role-arn "$CFN_EXEC_ROLE_ARN" \
    --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND 2>&1); then
  if grep -q "No updates are to be performed" <<<"$OUT"; then
    echo "$STACK_NAME already runs $IMAGE_DIGEST: nothing to do"
    UPDATED=no
  else
    echo "$OUT" >&2
    exit 1
  fi
fi
if [[ "$UPDATED" == yes ]] && ! aws cloudformation wait stack-update-complete --region "$TARGET_REGION" \
    --stack-name "$STACK_NAME"; then
  echo "$STACK_NAME did not reach UPDATE_COMPLETE: the ECS deployment circuit breaker rolled the service back, or a resource failed. Failed events:" >&2
  aws cloudformation describe-stack-events --region "$TARGET_REGION" --stack-name "$STACK_NAME" \
    --max-items 50 \
    --query "StackEvents[?contains(ResourceStatus, 'FAILED')].[Timestamp,LogicalResourceId,ResourceStatus,ResourceStatusReason]" \
    --output text >&2 || true
  exit 1
fi
echo "$STACK_NAME runs $IMAGE_DIGEST"
SERVICE_URL=$(aws cloudformation describe-stacks --region "$TARGET_REGION" --stack-name "$STACK_NAME" \
  --query "Stacks[0].Outputs[?OutputKey=='Url'].OutputValue | [0]" --output text)
if [[ "$SERVICE_URL" == None ]]; then SERVICE_URL=""; fi
echo "Service URL: ${SERVICE_URL:-none (a worker)}"
"""

#: Variables the deploy actions export (``#{DeployStaging.SERVICE_URL}``): the service stack's
#: ``Url`` output, empty for a worker.
DEPLOY_EXPORTED_VARIABLES: Final[tuple[str, ...]] = ("SERVICE_URL",)

#: Environment variables the deploy spec needs (set per action).
DEPLOY_VARIABLES: Final[tuple[str, ...]] = (
    "IMAGE_DIGEST",
    "STACK_NAME",
    "DEPLOY_ROLE_ARN",
    "TARGET_REGION",
    "CFN_EXEC_ROLE_ARN",
)


def deploy_spec() -> dict[str, Any]:
    """The buildspec of the deploy project: one script, parameterized by action variables.

    The stack keeps its template; only the ``ImageDigest`` parameter changes, every other
    parameter keeps its previous value. A rolled-back update (ECS circuit breaker) fails the
    wait, so the action fails with the failed stack events instead of hanging. The stack's
    ``Url`` output is exported as ``SERVICE_URL`` (the approval links to staging's).
    """
    return {
        "version": "0.2",
        "env": {"shell": "bash", "exported-variables": list(DEPLOY_EXPORTED_VARIABLES)},
        "phases": {"build": {"on-failure": "ABORT", "commands": [DEPLOY_SCRIPT]}},
    }
