"""Suppression files: valid entries load, every bad entry is named in one message."""

import datetime
from pathlib import Path

import pytest

from container_delivery.scan_gate import InputError, load_suppressions, parse_suppressions

TODAY = datetime.date(2026, 11, 23)
EXAMPLE = Path(__file__).parents[2] / "examples" / "scan-suppressions.yaml"
GOOD_REASON = "Not reachable: the service never parses untrusted XML"


def _entry(**overrides: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": "CVE-2024-12345",
        "reason": GOOD_REASON,
        "owner": "team-payments",
        "expires": datetime.date(2026, 12, 31),
    }
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not None}


def _parse(*entries: dict[str, object], max_days: int = 90):
    return parse_suppressions(
        {"suppressions": list(entries)}, "suppressions.yaml", today=TODAY, max_days=max_days
    )


def test_example_file_is_valid(tmp_path: Path):
    # GIVEN the example shipped for app repositories, WHEN loaded on a date it was written for
    entries = load_suppressions(EXAMPLE, today=datetime.date(2026, 11, 23))
    # THEN every entry is valid and the optional fields are read
    assert len(entries) >= 2
    assert any(e.package for e in entries)
    assert any(e.repository for e in entries)


def test_file_from_the_issue_loads(tmp_path: Path):
    # GIVEN the format from the issue, with YAML's own date type for expires
    path = tmp_path / "suppressions.yaml"
    path.write_text(
        "suppressions:\n"
        "  - id: CVE-2024-12345          # vulnerability id as the scanner reports it\n"
        '    reason: "Not reachable: the service never parses untrusted XML"\n'
        "    owner: team-payments\n"
        "    expires: 2026-12-31\n"
        "    package: libxml2            # optional: name or purl\n"
        "    repository: webapp          # optional: limit to one image repository\n"
    )
    [entry] = load_suppressions(path, today=TODAY)
    assert entry.id == "CVE-2024-12345"
    assert entry.reason == GOOD_REASON
    assert entry.owner == "team-payments"
    assert entry.expires == datetime.date(2026, 12, 31)
    assert (entry.package, entry.repository) == ("libxml2", "webapp")
    assert (entry.index, entry.source, entry.label) == (1, str(path), "entry 1 (CVE-2024-12345)")


def test_quoted_date_is_accepted():
    [entry] = _parse(_entry(expires="2026-12-31"))
    assert entry.expires == datetime.date(2026, 12, 31)


@pytest.mark.parametrize("content", ["", "# nothing suppressed\n", "suppressions: []\n"])
def test_empty_file_suppresses_nothing(tmp_path: Path, content: str):
    path = tmp_path / "s.yaml"
    path.write_text(content)
    assert load_suppressions(path, today=TODAY) == ()


def test_expired_entry_is_kept_not_rejected():
    # an expired entry is valid: the gate reports it instead of failing on input
    [entry] = _parse(_entry(expires=datetime.date(2026, 1, 31)))
    assert not entry.is_active(TODAY)


def test_entry_is_active_through_its_expiry_day():
    [entry] = _parse(_entry(expires=TODAY))
    assert entry.is_active(TODAY)
    assert not entry.is_active(TODAY + datetime.timedelta(days=1))


@pytest.mark.parametrize("missing", ["reason", "owner", "expires", "id"])
def test_missing_required_key_is_named(missing: str):
    with pytest.raises(InputError, match=rf"suppressions\.yaml: entry 1\b.*'{missing}' is missing"):
        _parse(_entry(**{missing: None}))


def test_expiry_beyond_maximum_is_rejected_with_the_numbers():
    entry = _entry(id="CVE-2024-2", expires=datetime.date(2027, 6, 1))
    with pytest.raises(
        InputError,
        match=r"entry 1 \(CVE-2024-2\): expires 2027-06-01 is 190 days out, more than the "
        r"maximum of 90 \(--max-suppression-days\)",
    ):
        _parse(entry)


def test_maximum_is_configurable():
    [entry] = _parse(_entry(expires=datetime.date(2027, 6, 1)), max_days=200)
    assert entry.expires == datetime.date(2027, 6, 1)
    # exactly at the maximum is allowed
    [entry] = _parse(_entry(expires=TODAY + datetime.timedelta(days=90)))
    assert entry.expires == TODAY + datetime.timedelta(days=90)


@pytest.mark.parametrize(
    "reason",
    [
        "n/a",
        "N/A",
        "false positive",
        "False positive.",
        "TODO",
        "todo: write it",
        "not needed",
        "  ",
        "wont fix",
        "Accepted risk",
        "tbd",
    ],
)
def test_boilerplate_reason_is_rejected(reason: str):
    with pytest.raises(InputError, match=r"entry 1 \(CVE-2024-12345\): .*(reason|'reason')") as err:
        _parse(_entry(reason=reason))
    message = str(err.value)
    assert "'reason' is missing" in message or "say why the finding is safe" in message


def test_short_reason_is_rejected():
    with pytest.raises(InputError, match=r"too short .* say why the finding is safe here or when"):
        _parse(_entry(reason="not reachable"))


@pytest.mark.parametrize(
    "reason",
    [
        "False positive: the CVE is in the CLI, which the image does not ship",
        "Fix waits for base image 3.20 (due 2026-12-10), tracked in PAY-123",
    ],
)
def test_explained_reason_is_accepted(reason: str):
    [entry] = _parse(_entry(reason=reason))
    assert entry.reason == reason


def test_unknown_key_is_rejected_so_a_typo_cannot_widen_an_entry():
    # 'pakage' would otherwise leave the entry unlimited
    with pytest.raises(InputError, match=r"entry 1 \(CVE-2024-12345\): unknown key\(s\) pakage"):
        _parse(_entry(pakage="libxml2"))


def test_bad_date_is_rejected():
    with pytest.raises(
        InputError, match=r"expires '31/12/2026' is not a date \(write YYYY-MM-DD\)"
    ):
        _parse(_entry(expires="31/12/2026"))


def test_every_bad_entry_is_listed_in_one_message():
    # GIVEN a file with a good entry and three bad ones
    entries = [
        _entry(),
        _entry(id="CVE-2024-1", reason=None),
        _entry(),
        _entry(id="CVE-2024-3", owner=None, expires=datetime.date(2027, 6, 1)),
        "CVE-2024-4",
    ]
    # WHEN loaded, THEN one error names each bad entry by position and id
    with pytest.raises(InputError) as err:
        _parse(*entries)  # type: ignore[arg-type]
    message = str(err.value)
    assert message.startswith("suppressions.yaml: entry 2 (CVE-2024-1): 'reason' is missing; ")
    assert "entry 4 (CVE-2024-3): 'owner' is missing, expires 2027-06-01 is 190 days out" in message
    assert "entry 5: should be a mapping" in message
    assert "entry 1 " not in message and "entry 3 " not in message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("suppressions:\n  - id: [unclosed\n", r"s\.yaml: not valid YAML at line \d+ column \d+"),
        ("- id: CVE-1\n", r"s\.yaml: expected a mapping with a 'suppressions' list"),
        ("suppressions:\n  id: CVE-1\n", r"s\.yaml: 'suppressions' should be a list"),
        ("supressions: []\n", r"s\.yaml: unknown top-level key\(s\) supressions"),
        (
            "suppressions:\n  - id: CVE-1\n    expires: 2026-12-01\n    expires: 2027-12-01\n",
            r"s\.yaml: not valid YAML at line 4 column 5: duplicate key 'expires'",
        ),
        (
            "suppressions:\n  - id: CVE-1\n    expires: 2026-13-45\n",
            r"s\.yaml: entry 1 \(CVE-1\): .*expires '2026-13-45' is not a date",
        ),
        (
            "suppressions:\n  - id: CVE-1\n    expires: !!timestamp 2026-13-45\n",
            r"s\.yaml: not valid YAML: month must be in 1\.\.12",
        ),
        ("suppressions:\n  - !!python/object:os.system {}\n", r"s\.yaml: not valid YAML at line"),
    ],
    ids=[
        "invalid-yaml",
        "top-level-list",
        "entries-not-a-list",
        "misspelt-key",
        "duplicate-key",
        "impossible-date",
        "impossible-tagged-date",
        "python-tag",
    ],
)
def test_malformed_file_names_the_file_and_problem(tmp_path: Path, content: str, message: str):
    path = tmp_path / "s.yaml"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        load_suppressions(path, today=TODAY)


def test_unreadable_file_names_the_file(tmp_path: Path):
    with pytest.raises(InputError, match=r"missing\.yaml: cannot read"):
        load_suppressions(tmp_path / "missing.yaml", today=TODAY)
