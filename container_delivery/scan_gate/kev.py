"""The CISA Known Exploited Vulnerabilities catalog (JSON feed: ``vulnerabilities[].cveID``)."""

from collections.abc import Mapping
from pathlib import Path

from ._shape import ShapeError, as_object, optional_list, required_str
from .model import InputError
from .reports import read_json


def parse_kev(doc: object, source: str = "kev catalog") -> frozenset[str]:
    """Upper-cased CVE ids of a decoded catalog.

    :raises InputError: Not a catalog (no ``vulnerabilities`` list) or an entry without ``cveID``.
    """
    try:
        catalog = as_object(doc, "catalog")
        if not isinstance(catalog.get("vulnerabilities"), list):
            raise ShapeError(
                "not a CISA KEV catalog: expected a 'vulnerabilities' list of {'cveID': ...}"
            )
        ids = set()
        for i, raw in enumerate(optional_list(catalog, "vulnerabilities", "catalog")):
            where = f"vulnerabilities[{i}]"
            ids.add(required_str(as_object(raw, where), "cveID", where).upper())
    except ShapeError as error:
        raise InputError(f"{source}: {error}") from None
    return frozenset(ids)


def load_kev(path: str | Path) -> frozenset[str]:
    """CVE ids of a CISA KEV catalog file (``known_exploited_vulnerabilities.json``)."""
    doc = read_json(path)
    if not isinstance(doc, Mapping):
        raise InputError(f"{path}: not a CISA KEV catalog: expected a JSON object")
    return parse_kev(doc, str(path))
