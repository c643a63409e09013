"""The access check runs on the reference app's assembly, synthesized once per session."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.access.cfn import Assembly
from tests.access.model import PolicyModel

if TYPE_CHECKING:
    from tests.conftest import ReferenceAssembly


@pytest.fixture(scope="session")
def assembly(reference_assembly: ReferenceAssembly) -> Assembly:
    return Assembly(reference_assembly.outdir)


@pytest.fixture(scope="session")
def model(assembly: Assembly) -> PolicyModel:
    return PolicyModel(assembly)
