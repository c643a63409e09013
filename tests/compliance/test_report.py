"""The auditors' report: read from a small synthesized app with known findings and acknowledgments."""

from __future__ import annotations

import hashlib
import html
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from container_delivery.audit import main
from container_delivery.compliance import acknowledge, record_choice
from container_delivery.compliance.acknowledge import ACKNOWLEDGMENT_METADATA
from container_delivery.compliance.report import (
    AuditReport,
    build_report,
    render_html,
    render_markdown,
    write_report,
)
from container_delivery.compliance.report._html import _CSS, _html_cell
from container_delivery.compliance.report.model import Finding
from container_delivery.compliance.report.provenance import blame_lines, git_state
from container_delivery.compliance.report.render import RuleRef, group_findings, render_json
from container_delivery.compliance.report.sarif import render_sarif
from container_delivery.compliance.report.sources import record_construct_sources, write_sources
from tests.helpers import (
    ROOT,
    SARIF_SCHEMA,
    nag_findings,
    new_app,
    new_stack,
    sarif_schema_errors,
)

PACKS = ["AwsSolutions", "ContainerDelivery"]
# Characters that must be escaped in HTML (<, &, ") and in a Markdown table (|).
LOG_REASON = (
    'This bucket receives the access logs of the "other" buckets <log-target> & logging it '
    "would loop | so it is not logged."
)
IAM_REASON = "The role reads any object of the build cache bucket; the bucket policy limits it."
STALE_REASON = "The queue that needed this was removed; kept here to show a stale acknowledgment."
NOT_RUN_REASON = "Replication is handled by the backup account, not by this bucket's stack."
OBJECTS_REASON = "The role reads the objects of its own cache bucket only; no other bucket."
TLS_REASON = "The producers of this queue run on hosts that cannot do TLS; chosen per config."
DLQ_REASON = "Failed messages are re-sent by the producer, which keeps them for a week."
TLS_KEY = "queues[0].production.require_tls (false)"
CFN_ID = "CloudFormation-Validate::W3010"
THIS_FILE = "tests/compliance/test_report.py"
LINES: dict[str, int] = {}  # what -> the line of this file that made it (filled while building)


def _line() -> int:
    import sys

    return sys._getframe(1).f_lineno


CFN_REASON = "Literal AZs in template are the result of accessing stack.availabilityZones"


def _audited_stack(app: cdk.App) -> None:
    stack = new_stack("Audited", app=app)
    bucket = s3.Bucket(
        stack,
        "Bucket",
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    LINES["ack S1"] = _line() + 1
    acknowledge(bucket, "AwsSolutions-S1", LOG_REASON)
    acknowledge(bucket, "AwsSolutions-SQS3", STALE_REASON)  # matches nothing: unused
    acknowledge(bucket, "NIST.800.53.R5-S3BucketReplicationEnabled", NOT_RUN_REASON)
    # What aws-cdk-lib's own constructs declare for its built-in template validation (e.g. Vpc).
    cdk.Validations.of(stack).acknowledge(cdk.Acknowledgment(id=CFN_ID, reason=CFN_REASON))
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    role.add_to_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")])
    )
    policy = role.node.find_child("DefaultPolicy")
    acknowledge(policy, "AwsSolutions-IAM5[Resource::*]", IAM_REASON)
    acknowledge(policy, f"AwsSolutions-IAM5[Resource::<{BUCKET_ID}.Arn>/*]", OBJECTS_REASON)
    # An exception a configuration value chose (e.g. a queue option set from a config file).
    record_choice(stack, {"require_tls": TLS_KEY}, environment="production")
    queue = sqs.Queue(stack, "PlainQueue")
    LINES["ack SQS4"] = _line() + 1
    acknowledge(queue, "AwsSolutions-SQS4", TLS_REASON, chosen_by="require_tls")
    acknowledge(queue, "AwsSolutions-SQS3", DLQ_REASON)


BUCKET_ID = "Bucket83908E77"


def _synth(outdir: Path, *, with_violations: bool) -> Path:
    app = new_app(outdir=outdir)
    with record_construct_sources(ROOT) as recorded:
        _audited_stack(app)
        if with_violations:
            LINES["queue"] = _line() + 1
            sqs.Queue(new_stack("Other", app=app), "Queue")  # SQS3 and SQS4, not acknowledged
    nag_findings(app, outdir, packs=())
    write_sources(recorded, ROOT, outdir)
    return outdir


@pytest.fixture(scope="module")
def dirty_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synth(tmp_path_factory.mktemp("dirty"), with_violations=True)


@pytest.fixture(scope="module")
def clean_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synth(tmp_path_factory.mktemp("clean"), with_violations=False)


@pytest.fixture(scope="module")
def report(dirty_assembly: Path) -> AuditReport:
    return build_report(
        dirty_assembly, packs=PACKS, root=ROOT, config="audit.yaml", config_digest="sha256:abc"
    )


@pytest.fixture(scope="module")
def page(report: AuditReport) -> str:
    return render_html(report)


def _resources(assembly: Path) -> int:
    return sum(
        len(json.loads(path.read_text())["Resources"]) for path in assembly.glob("*.template.json")
    )


def test_summary_counts_stacks_resources_packs_findings_and_acknowledgments(
    report: AuditReport, dirty_assembly: Path
) -> None:
    assert report.summary == {
        "stacks": 2,
        "resources": _resources(dirty_assembly),
        "packs": 2,
        "unacknowledged findings": 2,
        "acknowledged findings": 5,
        "acknowledgments declared": 7,
        "unused acknowledgments": 2,
        "configuration exceptions": 1,
        "configuration exceptions in production": 1,
    }
    assert not report.passed


def test_report_lists_a_known_acknowledgment_with_its_reason(report: AuditReport) -> None:
    [finding] = [f for f in report.acknowledged if f.rule == "AwsSolutions-S1"]
    assert finding.reason == LOG_REASON
    assert finding.stack == "Audited"
    assert finding.construct_path == "Audited/Bucket/Resource"
    assert finding.acknowledged_at == "Audited/Bucket"
    assert finding.logical_id.startswith("Bucket")
    assert finding.resource_type == "AWS::S3::Bucket"


def test_granular_findings_are_reported_with_their_granular_rule_id(report: AuditReport) -> None:
    [finding] = [f for f in report.acknowledged if f.rule == "AwsSolutions-IAM5[Resource::*]"]
    assert finding.base_rule == "AwsSolutions-IAM5"
    assert finding.construct_path == "Audited/Role/DefaultPolicy/Resource"
    assert finding.reason == IAM_REASON
    assert finding.named == ()


def test_a_granular_id_names_the_construct_path_of_the_resource_it_names(
    report: AuditReport,
) -> None:
    rule = f"AwsSolutions-IAM5[Resource::<{BUCKET_ID}.Arn>/*]"
    [finding] = [f for f in report.acknowledged if f.rule == rule]
    assert finding.named == ((BUCKET_ID, "Audited/Bucket/Resource"),)
    assert f"{rule} ({BUCKET_ID} = Audited/Bucket/Resource)" in render_markdown(report)


def test_acknowledged_findings_are_counted_per_rule(report: AuditReport) -> None:
    assert report.acknowledged_per_rule == {
        f"AwsSolutions-IAM5[Resource::<{BUCKET_ID}.Arn>/*]": 1,
        "AwsSolutions-IAM5[Resource::*]": 1,
        "AwsSolutions-S1": 1,
        "AwsSolutions-SQS3": 1,
        "AwsSolutions-SQS4": 1,
    }
    markdown = render_markdown(report)
    assert "| AwsSolutions-S1 | 1 | 1 |" in markdown
    assert "| AwsSolutions-IAM5[Resource::*] | 1 | 1 |" in markdown


def test_unacknowledged_findings_are_listed_with_stack_and_resource(report: AuditReport) -> None:
    assert {(f.rule, f.stack, f.construct_path) for f in report.violations} == {
        ("AwsSolutions-SQS3", "Other", "Other/Queue/Resource"),
        ("AwsSolutions-SQS4", "Other", "Other/Queue/Resource"),
    }
    assert all(f.logical_id.startswith("Queue") for f in report.violations)
    assert report.violations_per_rule == {"AwsSolutions-SQS3": 1, "AwsSolutions-SQS4": 1}


def test_acknowledgments_that_matched_nothing_are_listed_as_unused(report: AuditReport) -> None:
    assert {
        (a.qualified_id, a.construct_path, a.status) for a in report.unused_acknowledgments
    } == {
        ("AwsSolutions::AwsSolutions-SQS3", "Audited/Bucket", "unused"),
        (
            "NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled",
            "Audited/Bucket",
            "pack not run",
        ),
    }
    assert "AwsSolutions::AwsSolutions-SQS3" in render_markdown(report)
    used = [a for a in report.acknowledgments if a.status == "used"]
    assert {(a.rule, a.findings) for a in used} == {
        ("AwsSolutions-S1", 1),
        ("AwsSolutions-IAM5[Resource::*]", 1),
        (f"AwsSolutions-IAM5[Resource::<{BUCKET_ID}.Arn>/*]", 1),
        ("AwsSolutions-SQS3", 1),
        ("AwsSolutions-SQS4", 1),
    }


def test_acknowledgments_of_other_validators_are_listed_apart(report: AuditReport) -> None:
    # GIVEN an acknowledgment for aws-cdk-lib's built-in validation, not a rule pack's finding
    # THEN it is neither counted as declared nor as unused, and has its own section
    assert [(a.qualified_id, a.construct_path) for a in report.other_acknowledgments] == [
        (CFN_ID, "Audited")
    ]
    assert CFN_ID not in {a.qualified_id for a in report.nag_acknowledgments}
    markdown = render_markdown(report)
    assert "## Acknowledgments of other validators" in markdown
    assert f"| {CFN_ID} | Audited | {CFN_REASON} |" in markdown


def test_resources_carry_their_type_and_construct_path(report: AuditReport) -> None:
    [audited] = [s for s in report.stacks if s.name == "Audited"]
    assert audited.environment == "aws://111111111111/eu-west-1"
    paths = {r.construct_path: r.type for r in audited.resources}
    assert paths["Audited/Bucket/Resource"] == "AWS::S3::Bucket"
    assert paths["Audited/Role/DefaultPolicy/Resource"] == "AWS::IAM::Policy"


def test_packs_without_any_trace_are_listed_when_given(dirty_assembly: Path) -> None:
    # GIVEN an assembly where ContainerDelivery found nothing (it leaves no trace)
    # WHEN the report is built without and with the packs that ran
    seen = build_report(dirty_assembly, measure_coverage=False)
    given = build_report(dirty_assembly, packs=[*PACKS, "HIPAA.Security"], measure_coverage=False)
    # THEN only the given list names the quiet packs, and the first says so
    assert seen.packs == ("AwsSolutions",)
    assert seen.notes and "leaves no trace" in seen.notes[0]
    assert given.packs == ("AwsSolutions", "ContainerDelivery", "HIPAA.Security")


def test_markdown_has_every_section_and_escapes_table_cells(report: AuditReport) -> None:
    markdown = render_markdown(report)
    for heading in (
        "## Exceptions chosen by configuration",
        "## Summary",
        "### Acknowledged findings per rule",
        "## Coverage per pack and rule",
        "### Rules of AwsSolutions",
        "## Unacknowledged findings",
        "## Acknowledgments and who made them",
        "## Unused acknowledgments",
        "## Stack Audited",
        "### Acknowledged in Audited (AwsSolutions)",
        "## The project's own rules (ContainerDelivery pack)",
    ):
        assert f"\n{heading}\n" in markdown
    assert LOG_REASON.replace("|", "\\|") in markdown
    assert "| ContainerDelivery-ECS1 | AWS::ECS::TaskDefinition |" in markdown
    assert "**Result: FAIL. 2 unacknowledged finding(s)" in markdown


class _Page(HTMLParser):
    """Collects what a well-formedness check needs: unbalanced tags, tables, text, links."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.table_text: dict[str, list[str]] = {}
        self._table: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.table_text.setdefault(self._table, [])
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.open[-1] if self.open else None}>")
        else:
            self.open.pop()
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._table is not None and data.strip():
            self.table_text[self._table].append(data.strip())


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def test_html_is_well_formed_and_self_contained(page: str) -> None:
    parsed = _parse(page)
    assert parsed.problems == []
    assert parsed.open == []
    assert page.startswith("<!DOCTYPE html>")
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & {"script", "link", "img", "iframe", "object"}
    hrefs = [attrs.get("href") or "" for tag, attrs in parsed.tags if tag == "a"]
    # In-page anchors, and links to each rule's documentation (not loaded: no asset).
    assert hrefs and all(
        href.startswith(("#", "https://github.com/cdklabs/cdk-nag/")) for href in hrefs
    )
    anchors = {attrs.get("id") for _, attrs in parsed.tags}
    assert {href[1:] for href in hrefs if href.startswith("#")} <= anchors
    assert not [attrs for _, attrs in parsed.tags if "src" in attrs]


def test_html_has_the_summary_and_the_acknowledgment_with_its_reason(
    page: str, report: AuditReport
) -> None:
    parsed = _parse(page)
    summary = parsed.table_text["summary-table"]
    assert summary[:9] == [
        "Stacks",
        "Resources",
        "Packs",
        "Unacknowledged findings",
        "Acknowledged findings",
        "Acknowledgments declared",
        "Unused acknowledgments",
        "Configuration exceptions",
        "Configuration exceptions in production",
    ]
    assert summary[9:] == [str(value) for value in report.summary.values()]
    assert LOG_REASON in " ".join(parsed.table_text[""])  # the text, once unescaped
    assert html.escape(LOG_REASON) in page  # escaped in the source
    assert "<log-target>" not in page
    assert parsed.table_text["acknowledged-per-rule-table"][3:15] == [
        *("AwsSolutions-IAM5", "[Resource::", "*]", "1", "1"),
        *("AwsSolutions-IAM5", "[Resource::", f"<{BUCKET_ID}.Arn>/", "*]"),
        f"{BUCKET_ID} = Audited/Bucket/Resource",
        *("1", "1"),
    ]


def test_write_report_writes_html_and_markdown(report: AuditReport, tmp_path: Path) -> None:
    html_path, md_path, json_path, sarif_path = write_report(report, tmp_path / "audit")
    assert (html_path.name, md_path.name) == ("report.html", "report.md")
    assert (json_path.name, sarif_path.name) == ("report.json", "report.sarif")
    assert html_path.read_text() == render_html(report)
    assert md_path.read_text() == render_markdown(report)
    assert json_path.read_text() == render_json(report)
    assert sarif_path.read_text() == render_sarif(report)


def test_command_exits_1_and_still_writes_the_report_when_findings_are_unacknowledged(
    dirty_assembly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--assembly", str(dirty_assembly), "--out", str(tmp_path), "--packs", *PACKS])
    assert code == 1
    for name in ("report.html", "report.md", "report.json", "report.sarif"):
        assert (tmp_path / name).exists()
    assert "2 unacknowledged finding(s)" in capsys.readouterr().err


def test_command_exits_0_when_every_finding_is_acknowledged(
    clean_assembly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--assembly", str(clean_assembly), "--out", str(tmp_path), "--packs", *PACKS])
    assert code == 0
    assert "0 unacknowledged findings" in capsys.readouterr().out
    assert "Result: PASS" in (tmp_path / "report.md").read_text()


def test_command_exits_2_without_a_cloud_assembly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--assembly", str(tmp_path / "missing"), "--out", str(tmp_path / "audit")])
    assert code == 2
    assert "manifest.json: not found; synthesize the app first" in capsys.readouterr().err
    assert not (tmp_path / "audit").exists()


def test_command_exits_2_on_a_bad_config_before_synthesizing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--config", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "audit")])
    assert code == 2
    assert "nope.yaml: cannot read the config file" in capsys.readouterr().err
    assert not (tmp_path / "audit").exists()


def test_command_refuses_a_non_empty_synth_directory(
    dirty_assembly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--synth-into", str(dirty_assembly), "--out", str(tmp_path / "audit")])
    assert code == 2
    assert "is not empty" in capsys.readouterr().err


def test_the_former_command_name_says_the_new_one_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from container_delivery.compliance.report.__main__ import main as former_main

    code = former_main(["--out", str(tmp_path / "audit dir")])
    assert code == 2
    assert (
        f"the audit command is now `python -m container_delivery.audit` (`make audit`), with the "
        f"same options: run `python -m container_delivery.audit --out '{tmp_path}/audit dir'`."
    ) in capsys.readouterr().err
    assert not (tmp_path / "audit dir").exists()


# --- provenance --------------------------------------------------------------------------------


def test_acknowledge_records_the_file_and_line_of_its_call() -> None:
    stack = new_stack("Provenance")
    bucket = s3.Bucket(stack, "Bucket")
    line = _line() + 1
    acknowledge(bucket, ["AwsSolutions-S1", "AwsSolutions-S10"], LOG_REASON)
    [entry] = [m for m in bucket.node.metadata if m.type == ACKNOWLEDGMENT_METADATA]
    assert entry.data == {
        "rules": ["AwsSolutions::AwsSolutions-S1", "AwsSolutions::AwsSolutions-S10"],
        "reason": LOG_REASON,
        "file": __file__,
        "line": line,
    }


def test_acknowledge_refuses_a_chosen_by_that_is_not_an_option_name() -> None:
    stack = new_stack("ChosenBy")
    bucket = s3.Bucket(stack, "Bucket")
    with pytest.raises(ValueError, match=r"chosen_by 'plain http!' is not an option name"):
        acknowledge(bucket, "AwsSolutions-S1", LOG_REASON, chosen_by="plain http!")


def test_every_acknowledged_finding_names_the_line_of_its_acknowledge_call(
    report: AuditReport,
) -> None:
    assert all(f.source is not None for f in report.acknowledged)
    [s1] = [f for f in report.acknowledged if f.rule == "AwsSolutions-S1"]
    assert s1.source is not None
    assert (s1.source.file, s1.source.line) == (THIS_FILE, LINES["ack S1"])
    assert s1.source.blame is not None  # this checkout is a git repository
    assert all(a.source is not None for a in report.nag_acknowledgments)
    # the stack's acknowledged row says where and by whom, and what the rule checks
    stack_section = render_markdown(report).split("### Acknowledged in Audited")[1]
    [row] = [line for line in stack_section.splitlines() if line.startswith("| AwsSolutions-S1 |")]
    assert f"at Audited/Bucket, in {THIS_FILE}:{LINES['ack S1']}, {s1.source.blame.label}" in row
    assert "The S3 Bucket has server access logs disabled." in row


def _git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Auditor",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_AUTHOR_DATE": "2026-11-30T10:00:00Z",
        "GIT_COMMITTER_NAME": "Ada Auditor",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_COMMITTER_DATE": "2026-11-30T10:00:00Z",
    }
    (repo / "stack.py").write_text("one\nacknowledge(...)\nthree\n")
    for args in (["init", "-q"], ["add", "stack.py"], ["commit", "-q", "-m", "first"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)  # noqa: S603, S607
    return repo


def test_git_blame_gives_the_author_date_and_commit_of_a_line(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path)
    state = git_state(repo)
    assert state.dirty is False and len(state.commit) == 40
    (repo / "stack.py").write_text("one\nacknowledge(...)\nchanged\n")
    blames = blame_lines(repo, [("stack.py", 2), ("stack.py", 3)])
    assert blames[("stack.py", 2)].author == "Ada Auditor"
    assert blames[("stack.py", 2)].date == "2026-11-30"
    assert blames[("stack.py", 2)].commit == state.commit
    assert blames[("stack.py", 3)].label == "not committed yet"
    assert git_state(repo).dirty is True
    assert git_state(tmp_path / "elsewhere").label == "not a git checkout"


def test_the_header_names_the_commit_the_config_digest_and_the_tools(report: AuditReport) -> None:
    markdown = render_markdown(report)
    assert f"Code: git commit {report.git.commit} (" in markdown
    assert len(report.git.commit) == 40
    assert "Config: audit.yaml, sha256:abc." in markdown
    for tool in ("aws-cdk-lib", "cdk-nag", "CDK CLI (aws-cdk)", "Python", "Node"):
        assert tool in report.tool_versions
    assert report.tool_versions["cdk-nag (npm)"] == report.tool_versions["cdk-nag"]


# --- exceptions chosen by configuration ---------------------------------------------------------


def test_an_exception_chosen_by_configuration_is_listed_first_with_its_key_and_environment(
    report: AuditReport,
) -> None:
    [finding] = report.configuration_exceptions
    assert (finding.rule, finding.chosen_by, finding.config_key, finding.env_name) == (
        "AwsSolutions-SQS4",
        "require_tls",
        TLS_KEY,
        "production",
    )
    assert finding.source is not None and finding.source.line == LINES["ack SQS4"]
    markdown = render_markdown(report)
    section = markdown.split("## Exceptions chosen by configuration")[1].split("## Summary")[0]
    assert "In production: 1." in section
    assert "| Sign-off (name, date) |" in section
    assert f"| production | {TLS_KEY} | Audited, Audited/PlainQueue/Resource |" in section
    # An exception the library makes by design is not in this section.
    assert "AwsSolutions-SQS3" not in section


def test_the_reference_report_has_no_configuration_exception_in_production(
    reference_assembly: object,
) -> None:
    outdir = reference_assembly.outdir  # type: ignore[attr-defined]
    packs = ["AwsSolutions", "ContainerDelivery", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"]
    reference = build_report(outdir, packs=packs, root=ROOT)
    assert reference.configuration_exceptions_in("production") == ()
    staging = reference.configuration_exceptions_in("staging")
    assert {f.config_key for f in staging} == {"services[0].staging.certificate_arn (not set)"}
    # Provenance on every acknowledgment of the reference app.
    assert reference.nag_acknowledgments
    missing = [a.qualified_id for a in reference.nag_acknowledgments if a.source is None]
    assert missing == []
    # Coverage of every pack; the recount agrees with the synth except where docs/audit.md says
    # it cannot: generic resources of custom resource providers and the VPC default SG rule,
    # which reads the construct tree.
    rows = reference.rule_coverage()
    assert {r.pack for r in rows} == set(packs)
    assert reference.coverage.errors == ()
    assert all(r.evaluated > 0 for r in rows if r.acknowledged)
    assert not [r.rule for r in rows if r.not_recounted]
    not_reported = {path.rsplit("/", 1)[-1] for r in rows for path in r.not_reported}
    assert not_reported <= {
        "CustomVpcRestrictDefaultSGCustomResourceProviderRole26592FE0",
        "CustomVpcRestrictDefaultSGCustomResourceProviderHandlerDC833E5E",
        "Resource",  # Network/Vpc/Resource for VPCDefaultSecurityGroupClosed
    }


# --- coverage ---------------------------------------------------------------------------------


def test_coverage_counts_compliant_not_applicable_and_acknowledged_resources_per_rule(
    report: AuditReport, dirty_assembly: Path
) -> None:
    rows = {r.rule: r for r in report.rule_coverage()}
    resources = _resources(dirty_assembly)
    # AwsSolutions-S1: one bucket, not compliant, acknowledged.
    s1 = rows["AwsSolutions-S1"]
    assert (s1.evaluated, s1.compliant, s1.not_applicable) == (1, 0, resources - 1)
    assert (s1.acknowledged, s1.unacknowledged) == (1, 0)
    # AwsSolutions-S10: the bucket requires TLS: compliant.
    s10 = rows["AwsSolutions-S10"]
    assert (s10.evaluated, s10.compliant) == (2, 2)  # the bucket and its policy
    # AwsSolutions-SQS3: two queues, one acknowledged and one not.
    sqs3 = rows["AwsSolutions-SQS3"]
    assert (sqs3.evaluated, sqs3.compliant, sqs3.acknowledged, sqs3.unacknowledged) == (2, 0, 1, 1)
    # The project's own pack is counted too: nothing here is an ECR or ECS resource.
    ecr1 = rows["ContainerDelivery-ECR1"]
    assert (ecr1.evaluated, ecr1.not_applicable) == (0, resources)
    assert report.coverage.errors == ()
    assert all(not r.not_reported and not r.not_recounted for r in rows.values())


def test_coverage_rows_carry_description_controls_and_documentation(report: AuditReport) -> None:
    s1 = report.coverage.rule("AwsSolutions-S1")
    assert s1 is not None
    assert s1.description == "The S3 Bucket has server access logs disabled."
    assert s1.doc_link == "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md#aws-solutions"
    markdown = render_markdown(report)
    assert "### Rules of AwsSolutions" in markdown
    assert "| AwsSolutions | 131 |" in markdown.replace(
        " (https://github.com/cdklabs/cdk-nag/blob/main/RULES.md#aws-solutions)", ""
    )


def test_control_ids_are_read_from_a_compliance_pack_rule() -> None:
    from container_delivery.compliance.report.coverage import RuleResult

    rule = RuleResult(
        pack="NIST.800.53.R5",
        rule="NIST.800.53.R5-S3BucketLoggingEnabled",
        description="The S3 Buckets does not have server access logs enabled - "
        "(Control IDs: AC-2(4), AC-4(26), AU-2b).",
        explanation="",
        level="error",
        compliant=0,
        not_applicable=0,
        non_compliant=(),
    )
    assert rule.controls == ("AC-2(4)", "AC-4(26)", "AU-2b")


# --- readability ------------------------------------------------------------------------------


def _finding(pack: str, rule: str, reason: str, path: str = "S/Listener/Resource") -> Finding:
    return Finding(
        pack=pack,
        rule=rule,
        description="",
        severity="error",
        construct_path=path,
        stack="S",
        logical_id="Listener",
        resource_type="AWS::ElasticLoadBalancingV2::Listener",
        acknowledged=True,
        reason=reason,
        acknowledged_at=path.rsplit("/", 1)[0],
    )


def test_identical_reasons_across_packs_are_one_row_listing_the_packs() -> None:
    same = "Plain HTTP was chosen on purpose for this environment only."
    findings = [
        _finding("NIST.800.53.R5", "NIST.800.53.R5-ALBHttpToHttpsRedirection", same),
        _finding("HIPAA.Security", "HIPAA.Security-ALBHttpToHttpsRedirection", same),
        _finding("PCI.DSS.321", "PCI.DSS.321-ALBHttpToHttpsRedirection", same),
        _finding("AwsSolutions", "AwsSolutions-ELB2", "Another reason for another fact here."),
    ]
    groups = group_findings(findings)
    assert [g.packs for g in groups] == [
        ["NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321"],
        ["AwsSolutions"],
    ]


def test_rule_ids_are_unbreakable_spans_and_the_page_has_a_print_stylesheet() -> None:
    cell = _html_cell(RuleRef("AwsSolutions-IAM5[Resource::*]"))
    assert cell == (
        '<a href="#rule-awssolutions-iam5"><span class="rid">AwsSolutions-IAM5</span><wbr>'
        '<span class="rid">[Resource::</span><wbr><span class="rid">*]</span></a>'
    )
    assert ".rid { white-space: nowrap;" in _CSS  # chromium checks the effect below
    assert "@media print" in _CSS and "break-inside: avoid" in _CSS


def test_json_report_has_the_pages_sections_and_data(report: AuditReport) -> None:
    data = json.loads(render_json(report))
    headings = [s["heading"] for s in data["sections"] if "heading" in s]
    assert headings[:3] == [
        "Compliance audit report",
        "Exceptions chosen by configuration",
        "Summary",
    ]
    [summary] = [s for s in data["sections"] if s.get("table") == "summary-table"]
    assert summary["rows"] == [list(report.summary.values())]
    assert data["data"]["summary"] == report.summary
    assert len(data["data"]["findings"]) == len(report.findings)
    assert {r["rule"] for r in data["data"]["rule_coverage"]} >= {"AwsSolutions-S1"}


# --- SARIF ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif(report: AuditReport) -> dict[str, object]:
    return json.loads(render_sarif(report))  # type: ignore[no-any-return]


SARIF_SCHEMA_SHA256 = "2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8"


def test_the_sarif_schema_fixture_is_the_published_file_unchanged() -> None:
    import jsonschema

    assert hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest() == SARIF_SCHEMA_SHA256
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(sarif: dict[str, object]) -> None:
    assert sarif_schema_errors(sarif) == []


def test_the_schema_check_refuses_a_broken_sarif_log(sarif: dict[str, object]) -> None:
    """The check above can fail: a result without a message is not SARIF."""
    import copy

    broken = copy.deepcopy(sarif)
    del _results(broken)[0]["message"]
    assert sarif_schema_errors(broken) == ["'message' is a required property"]


def _results(sarif: dict[str, object]) -> list[dict[str, object]]:
    [run] = sarif["runs"]  # type: ignore[misc]
    return run["results"]  # type: ignore[no-any-return]


def test_sarif_suppresses_acknowledged_results_with_their_reason_on_the_acknowledge_line(
    sarif: dict[str, object],
) -> None:
    [s1] = [r for r in _results(sarif) if r["properties"]["granularRule"] == "AwsSolutions-S1"]  # type: ignore[index]
    assert s1["suppressions"] == [{"kind": "inSource", "justification": LOG_REASON}]
    location = s1["locations"][0]["physicalLocation"]  # type: ignore[index]
    assert location["artifactLocation"]["uri"] == THIS_FILE
    assert location["region"]["startLine"] == LINES["ack S1"]
    assert s1["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (  # type: ignore[index]
        "Audited/Bucket/Resource"
    )


def test_sarif_puts_an_unacknowledged_result_on_the_line_that_created_the_resource(
    sarif: dict[str, object],
) -> None:
    open_results = [r for r in _results(sarif) if "suppressions" not in r]
    assert {r["ruleId"] for r in open_results} == {"AwsSolutions-SQS3", "AwsSolutions-SQS4"}
    for result in open_results:
        location = result["locations"][0]["physicalLocation"]  # type: ignore[index]
        assert location["artifactLocation"]["uri"] == THIS_FILE
        assert location["region"]["startLine"] == LINES["queue"]
        assert result["level"] == "error"


# --- in a real browser ------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed here (apt-get install chromium); CI installs it",
)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None, "chromium is required in CI (.ci/run installs it)"
    return subprocess.run(  # noqa: S603 - fixed command, our own files
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
    )


@needs_chromium
def test_screenshot_and_print_of_the_report_in_headless_chromium(
    report: AuditReport, tmp_path: Path
) -> None:
    html_path = write_report(report, tmp_path)[0]
    png = tmp_path / "report.png"
    pdf = tmp_path / "report.pdf"
    _chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2400", html_path.as_uri())
    _chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", html_path.as_uri())
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # a rendered page, not a blank one
    assert pdf.read_bytes()[:5] == b"%PDF-"


@needs_chromium
def test_rule_ids_do_not_break_in_a_narrow_column_in_chromium(tmp_path: Path) -> None:
    # GIVEN the report's stylesheet and rule ids in a column far narrower than the ids
    ids = [
        "NIST.800.53.R5-ELBv2ACMCertificateRequired",
        f"AwsSolutions-IAM5[Resource::<{BUCKET_ID}.Arn>/*]",
    ]
    cells = "".join(f'<tr><td style="width:40px">{_html_cell(RuleRef(i))}</td></tr>' for i in ids)
    page = tmp_path / "narrow.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><style>{_CSS}</style></head><body>"
        f'<table style="width:60px">{cells}</table><p id="out"></p><script>'
        "document.getElementById('out').textContent = Array.from("
        "document.querySelectorAll('.rid')).map(e => e.getClientRects().length).join(',');"
        "</script></body></html>"
    )
    # WHEN chromium lays it out
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    # THEN each unbreakable part of an id is on one line (one box each): the rule ids whole,
    # the granular finding wrapping only after "::" and "/"
    assert '<p id="out">1,1,1,1,1</p>' in dom


@needs_chromium
def test_html_renders_in_headless_chromium(report: AuditReport, tmp_path: Path) -> None:
    html_path = write_report(report, tmp_path)[0]
    dom = _chromium(tmp_path, "--dump-dom", html_path.as_uri()).stdout
    assert 'id="summary-table"' in dom
    assert html.escape(LOG_REASON, quote=False) in dom


# --- Security Hub (ASFF) ------------------------------------------------------------------------


def test_asff_findings_carry_account_region_workflow_and_the_reason(report: AuditReport) -> None:
    from container_delivery.compliance.report.asff import render_asff

    findings = json.loads(render_asff(report))
    assert len(findings) == len(report.findings)
    [s1] = [f for f in findings if f["Title"] == "AwsSolutions-S1"]
    assert (s1["AwsAccountId"], s1["Resources"][0]["Region"]) == ("111111111111", "eu-west-1")
    assert s1["ProductArn"] == (
        "arn:aws:securityhub:eu-west-1:111111111111:product/111111111111/default"
    )
    assert s1["Resources"][0]["Type"] == "AwsS3Bucket"
    assert s1["Workflow"] == {"Status": "SUPPRESSED"}
    assert s1["Note"]["Text"] == LOG_REASON[:512]
    assert s1["Note"]["UpdatedBy"] == f"{THIS_FILE}:{LINES['ack S1']}"
    open_ones = [f for f in findings if f["Workflow"]["Status"] == "NEW"]
    assert {f["GeneratorId"] for f in open_ones} == {"AwsSolutions-SQS3", "AwsSolutions-SQS4"}
    assert all(f["Compliance"]["Status"] == "FAILED" for f in findings)
    assert len({f["Id"] for f in findings}) == len(findings)


def test_command_writes_asff_when_asked(
    clean_assembly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--assembly", str(clean_assembly), "--out", str(tmp_path), "--packs", *PACKS]
    assert main([*args, "--format", "asff"]) == 0
    assert json.loads((tmp_path / "report.asff.json").read_text())
    assert "report.asff.json" in capsys.readouterr().out
