"""Compliance: cdk-nag packs, acknowledgments and the audit report.

Constructs depend on this package (to acknowledge findings); it depends on nothing else here.
"""

from .acknowledge import acknowledge, check_reason, record_choice
from .packs import ALWAYS, PACKS, apply_packs

__all__ = ["ALWAYS", "PACKS", "acknowledge", "apply_packs", "check_reason", "record_choice"]
