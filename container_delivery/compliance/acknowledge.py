"""Acknowledging cdk-nag findings: the only way this project suppresses a rule.

cdk-nag 3 reads acknowledgments from CDK's ``Validations.of(scope).acknowledge(...)``. This helper
adds what auditors need on top of that API:

* the rule is named with its pack prefix (``AwsSolutions-IAM5``, ``NIST.800.53.R5-...``), or in
  the form CDK's report prints (``AwsSolutions::AwsSolutions-SNS3``), and is recorded as
  ``<Pack>::<rule>`` so that CDK lists the finding under ``suppressedViolations`` in
  ``validation-report.json`` together with the reason (the audit report reads it from there);
* granular findings are acknowledged one by one (``AwsSolutions-IAM5[Resource::*]``): cdk-nag 3
  has no rule-wide acknowledgment for them, and we would not use it if it had;
* the reason must explain why the finding is safe or accepted; empty and boilerplate reasons
  ("not needed", "n/a", "false positive", ...) are refused with a ``ValueError`` at synth;
* where it was made: the file and line of the ``acknowledge()`` call are recorded next to it in
  a ``container-delivery:acknowledgment`` metadata entry (with the rule ids, the reason and, for an
  exception that a configuration option chose, that option), so the audit report can show who
  wrote it and when (git blame) and SARIF can point at it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping

import aws_cdk as cdk
from constructs import IConstruct

#: Rule ids look like ``AwsSolutions-IAM5``, ``NIST.800.53.R5-IAMNoInlinePolicy``,
#: ``HIPAA.Security-S3BucketLoggingEnabled`` or ``AwsSolutions-IAM5[Resource::*]``.
RULE_ID = re.compile(
    r"^(?P<pack>[A-Za-z][A-Za-z0-9.]*)-(?P<rule>[A-Za-z0-9]+)(?P<finding>\[.+\])?$"
)

#: The form CDK prints in its validation report and suggests for acknowledging:
#: ``AwsSolutions::AwsSolutions-SNS3`` (the plugin's pack name, then the rule id).
QUALIFIED_ID = re.compile(r"^(?P<pack>[A-Za-z][A-Za-z0-9.]*)::(?P<rule_id>.+)$")

#: Construct metadata: one entry per ``acknowledge()`` call, where it was made and why.
ACKNOWLEDGMENT_METADATA = "container-delivery:acknowledgment"
#: Construct metadata: which configuration key set a construct option that ``chosen_by`` names.
CHOICE_METADATA = "container-delivery:configuration-choice"
_OPTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\[\]-]*$")

#: A reason shorter than this many words cannot say why a finding is safe.
MIN_REASON_WORDS = 6

_BOILERPLATE = re.compile(
    r"^\W*(not needed|not required|n/?a|none|todo|tbd|fixme|false positive|ignore|ignored|"
    r"suppress(ed)?|ok|okay|fine|safe|accepted|by design|known issue|later|will fix( later)?)\W*$",
    re.IGNORECASE,
)


def short_id(rule_id: str) -> str:
    """``AwsSolutions::AwsSolutions-SNS3`` -> ``AwsSolutions-SNS3``; a short id stays as it is.

    The qualified form is accepted only when its pack agrees with the rule's prefix.
    """
    qualified = QUALIFIED_ID.match(rule_id)
    if qualified is None:
        return rule_id
    short = qualified["rule_id"]
    match = RULE_ID.match(short)
    if match is None or match["pack"] != qualified["pack"]:
        return rule_id  # left as given: check_reason reports it
    return short


def check_reason(rule_id: str, reason: str) -> list[str]:
    """Problems with an acknowledgment's rule id and reason (empty when it is acceptable)."""
    problems: list[str] = []
    rule_id = short_id(rule_id)
    if not RULE_ID.match(rule_id):
        problems.append(
            f"rule id {rule_id!r} is not of the form '<Pack>-<Rule>', '<Pack>-<Rule>[<finding>]' "
            "or '<Pack>::<Pack>-<Rule>' (e.g. 'AwsSolutions-IAM5[Resource::*]' or "
            "'AwsSolutions::AwsSolutions-SNS3'): name the rule with its pack prefix"
        )
    text = reason.strip()
    if not text:
        problems.append(f"{rule_id}: the reason is empty; say why this finding is safe here")
    elif _BOILERPLATE.match(text):
        problems.append(
            f"{rule_id}: the reason {text!r} is boilerplate; say why this finding is safe here "
            "(what limits the risk, or what compensates for it)"
        )
    elif len(text.split()) < MIN_REASON_WORDS:
        problems.append(
            f"{rule_id}: the reason {text!r} is too short ({len(text.split())} words, at least "
            f"{MIN_REASON_WORDS}); say why this finding is safe here"
        )
    return problems


def qualified_id(rule_id: str) -> str:
    """``AwsSolutions-IAM5[Resource::*]`` -> ``AwsSolutions::AwsSolutions-IAM5[Resource::*]``."""
    rule_id = short_id(rule_id)
    match = RULE_ID.match(rule_id)
    if match is None:
        raise ValueError(f"rule id {rule_id!r} has no pack prefix")
    return f"{match['pack']}::{rule_id}"


def acknowledge(
    scope: IConstruct,
    rules: str | Iterable[str],
    reason: str,
    *,
    chosen_by: str | None = None,
) -> None:
    """Acknowledge one or more cdk-nag findings on ``scope`` with one reason.

    Call it on the narrowest construct: the resource itself (or its L2 wrapper), or the IAM policy
    for ``AwsSolutions-IAM5[...]`` findings. Several rules may share a reason when the packs
    report the same fact (``AwsSolutions-S1`` and ``NIST.800.53.R5-S3BucketLoggingEnabled``).

    :param chosen_by: The construct option whose value made this exception, when a user chose it
        (``"allow_plain_http"``) rather than the library by design. The audit report lists such
        exceptions first, for sign-off, with the configuration key that set the option (see
        ``record_choice``). Default: - none: an exception the library makes by design.
    :raises ValueError: a rule id without pack prefix, a reason that does not explain itself, or a
        ``chosen_by`` that is not an option name.
    """
    rule_ids = [rules] if isinstance(rules, str) else list(rules)
    if not rule_ids:
        raise ValueError("acknowledge() needs at least one rule id")
    problems = [problem for rule_id in rule_ids for problem in check_reason(rule_id, reason)]
    if chosen_by is not None and not _OPTION.match(chosen_by):
        problems.append(
            f"chosen_by {chosen_by!r} is not an option name; give the construct option that "
            "chose this exception (e.g. 'allow_plain_http')"
        )
    if problems:
        raise ValueError(f"acknowledgment at '{scope.node.path}': " + "; ".join(problems))
    # The caller's frame: the line that decided this acknowledgment (not this helper).
    caller = sys._getframe(1)
    entry: dict[str, object] = {
        "rules": [qualified_id(rule_id) for rule_id in rule_ids],
        "reason": reason.strip(),
        "file": caller.f_code.co_filename,
        "line": caller.f_lineno,
    }
    if chosen_by is not None:
        entry["chosenBy"] = chosen_by
    scope.node.add_metadata(ACKNOWLEDGMENT_METADATA, entry)
    cdk.Validations.of(scope).acknowledge(
        *(
            cdk.Acknowledgment(id=qualified_id(rule_id), reason=reason.strip())
            for rule_id in rule_ids
        )
    )


def record_choice(
    scope: IConstruct, choices: Mapping[str, str], *, environment: str | None = None
) -> None:
    """Record which configuration key set each construct option below ``scope``.

    An acknowledgment made with ``chosen_by="allow_plain_http"`` anywhere below ``scope`` is then
    listed in the audit report as chosen by, e.g., ``services[0].production.certificate_arn``
    (absent), in ``environment``. Apps call it on the stack (or construct) they configure.

    :param scope: The stack (or construct) whose constructs the configuration set up.
    :param choices: Construct option -> the configuration key (and value) that set it.
    :param environment: The environment the choice applies to, e.g. ``production``.
        Default: - the stack's account and region.
    :raises ValueError: an option that is not an option name.
    """
    problems = [
        f"choice {option!r}: not an option name" for option in choices if not _OPTION.match(option)
    ]
    if problems:
        raise ValueError(f"record_choice at '{scope.node.path}': " + "; ".join(problems))
    data: dict[str, object] = {"choices": dict(choices)}
    if environment is not None:
        data["environment"] = environment
    scope.node.add_metadata(CHOICE_METADATA, data)
