"""CloudWatch Logs retention."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

#: The retention values CloudWatch Logs accepts (PutRetentionPolicy ``retentionInDays``), and
#: the name of each in aws-cdk-lib's ``logs.RetentionDays``.
RETENTION_DAYS: Final[Mapping[int, str]] = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    2192: "SIX_YEARS",
    2557: "SEVEN_YEARS",
    2922: "EIGHT_YEARS",
    3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}


def check_retention_days(days: int) -> list[str]:
    if days in RETENTION_DAYS:
        return []
    above = [d for d in RETENTION_DAYS if d >= days]
    below = [d for d in RETENTION_DAYS if d < days]
    near = sorted({*above[:1], *below[-1:]})
    return [
        f"{days} days is not a CloudWatch Logs retention; the nearest allowed are "
        f"{' or '.join(map(str, near))} (allowed: {', '.join(map(str, RETENTION_DAYS))})"
    ]


def retention_name(days: int) -> str:
    """The ``logs.RetentionDays`` member name of an allowed number of days."""
    return RETENTION_DAYS[days]
