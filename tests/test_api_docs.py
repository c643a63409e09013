"""The public API: one import for app teams, every public name documented, a reference that builds.

Public means listed in the ``__all__`` of a package that ``make docs`` documents (``API_MODULES``
in the Makefile). The docstring checks read docstrings the way the generated reference does
(pdoc's model and its reStructuredText conversion), so what passes here renders there.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import subprocess
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pdoc.doc
import pdoc.docstrings
from constructs import Construct

from tests.helpers import ROOT

import container_delivery.constructs as api  # isort: skip  (after tests.helpers: Node on PATH)

MAKE_WITHOUT_SETUP = ["make", "-s", "-o", ".venv/.installed", "-o", "node_modules/.installed"]


def _load_api_reference() -> ModuleType:
    """docs/api_reference.py, the script behind `make docs` (not a package: loaded by path)."""
    spec = importlib.util.spec_from_file_location(
        "api_reference", ROOT / "docs" / "api_reference.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


api_reference = _load_api_reference()


def _api_module_names() -> list[str]:
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    match = re.search(r"^API_MODULES := (.+)$", makefile, re.MULTILINE)
    assert match, "the Makefile defines API_MODULES, the packages `make docs` documents"
    return match.group(1).split()


API_MODULES: list[ModuleType] = [importlib.import_module(name) for name in _api_module_names()]


def _public_objects() -> dict[str, Any]:
    """Every object listed in a public ``__all__``, once, by the name it is documented under."""
    objects: dict[str, Any] = {}
    seen: set[int] = set()
    for module in API_MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and id(obj) in seen:
                continue
            seen.add(id(obj))
            objects[f"{module.__name__}.{name}"] = obj
    return objects


PUBLIC = _public_objects()
PUBLIC_CLASSES = {name: obj for name, obj in PUBLIC.items() if inspect.isclass(obj)}
CONSTRUCTS = {name: cls for name, cls in PUBLIC_CLASSES.items() if issubclass(cls, Construct)}
#: The props types: data classes the constructs take (their fields are documented like props).
PROPS = {
    f"{api.__name__}.{name}": getattr(api, name)
    for name in api.__all__
    if inspect.isclass(getattr(api, name)) and dataclasses.is_dataclass(getattr(api, name))
}


def _doc_model(obj: Any) -> pdoc.doc.Doc[Any]:
    module = pdoc.doc.Module.from_name(obj.__module__)
    doc = module.get(obj.__qualname__)
    assert doc is not None, f"pdoc does not find {obj.__module__}.{obj.__qualname__}"
    return doc


def _fields_of(docstring: str) -> dict[str, str]:
    """``:param name:`` sections of a docstring: name -> text (continuation lines included)."""
    fields: dict[str, str] = {}
    current: str | None = None
    for line in inspect.cleandoc(docstring).splitlines():
        match = re.match(r":param (\w+):(.*)$", line)
        if match:
            current = match.group(1)
            fields[current] = match.group(2)
        elif current and line.startswith((" ", "\t")):
            fields[current] += " " + line.strip()
        else:
            current = None
    return fields


def _rendered_param_names(docstring: str) -> list[str]:
    """The parameter names in the Parameters list that pdoc renders from a docstring."""
    rendered = pdoc.docstrings.rst(inspect.cleandoc(docstring), None)
    names: list[str] = []
    section = ""
    for line in rendered.splitlines():
        if line.startswith("###### "):
            section = line.removeprefix("###### ")
        elif section == "Parameters" and (match := re.match(r" - \*\*(.+?)\*\*: ", line)):
            names.append(match.group(1))
    return names


def _own_members(cls: type) -> Iterator[tuple[str, Any]]:
    """Public methods and properties defined by the class itself (not inherited, no fields)."""
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, staticmethod | classmethod):
            member = member.__func__
        if inspect.isfunction(member) or isinstance(member, property):
            yield name, member


def _classes_in(annotation: Any) -> Iterator[type]:
    """Classes of this project named by a type annotation, through unions and generics."""
    if inspect.isclass(annotation) and annotation.__module__.startswith("container_delivery."):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _classes_in(argument)


def _documented_callables() -> Iterator[tuple[str, Callable[..., Any], str]]:
    """(name, callable, docstring) for public functions, methods and construct constructors."""
    for name, obj in PUBLIC.items():
        if inspect.isfunction(obj):
            yield name, obj, obj.__doc__ or ""
        if inspect.isclass(obj):
            init = vars(obj).get("__init__")
            if inspect.isfunction(init):
                yield f"{name}.__init__", init, init.__doc__ or ""
            for member_name, member in _own_members(obj):
                if inspect.isfunction(member):
                    yield f"{name}.{member_name}", member, member.__doc__ or ""


# --- one public API ---------------------------------------------------------------------------


def test_every_construct_of_the_library_is_exported_from_one_package() -> None:
    # GIVEN every construct class defined in a public module of container_delivery.constructs
    defined: set[str] = set()
    for info in pkgutil.walk_packages(api.__path__, prefix=f"{api.__name__}."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Construct)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
            ):
                defined.add(name)
    # THEN each one is importable from container_delivery.constructs and listed in its __all__
    assert defined, "no construct found: the walk is broken"
    assert sorted(defined - set(api.__all__)) == []


def test_every_props_type_a_public_construct_takes_is_exported() -> None:
    # GIVEN the project's classes named in the signatures of the exported constructs, and in the
    # fields of the props types they take (BuildOptions -> ToolVersions -> Download)
    needed: dict[str, type] = {}
    pending: list[type] = [cls for cls in vars(api).values() if inspect.isclass(cls)]
    while pending:
        cls = pending.pop()
        if issubclass(cls, Construct):
            hints = typing.get_type_hints(cls.__init__)
        elif dataclasses.is_dataclass(cls):
            hints = typing.get_type_hints(cls)
        else:
            continue
        for annotation in hints.values():
            for named in _classes_in(annotation):
                if named.__name__ not in needed:
                    needed[named.__name__] = named
                    pending.append(named)
    # THEN each of them is exported from container_delivery.constructs, as the same object
    assert {"BuildOptions", "Download", "ReplicationCheck", "ServiceSecret"} <= set(needed)
    assert sorted(set(needed) - set(api.__all__)) == []
    assert all(getattr(api, name) is cls for name, cls in needed.items())


def test_the_public_api_reexports_the_objects_of_the_existing_import_paths() -> None:
    from container_delivery.constructs import network, pipeline, promotion, registry, service, topic

    for name in api.__all__:
        homes = [
            module
            for module in (network, pipeline, promotion, registry, service, topic)
            if hasattr(module, name)
        ]
        assert homes, f"{name} is in no submodule"
        assert all(getattr(module, name) is getattr(api, name) for module in homes), name


def test_star_import_gives_exactly_the_public_names() -> None:
    namespace: dict[str, Any] = {}
    exec("from container_delivery.constructs import *", namespace)  # noqa: S102
    assert sorted(name for name in namespace if name != "__builtins__") == sorted(api.__all__)
    assert not [name for module in API_MODULES for name in module.__all__ if name.startswith("_")]


# --- every public name documented --------------------------------------------------------------


def test_every_public_name_has_a_docstring() -> None:
    # Read as the reference reads them: a constant by the docstring under its assignment (where
    # it is defined, for a re-exported one), and a data class without a docstring of its own
    # (only the generated signature) counts as missing.
    missing = []
    for module in API_MODULES:
        documented = pdoc.doc.Module(module)
        for name in module.__all__:
            doc = documented.members.get(name)
            docstring = doc.docstring if doc else ""
            if isinstance(doc, pdoc.doc.Variable) and not docstring:
                docstring = api_reference.constant_docstring(module, name)
            if not docstring.strip():
                missing.append(f"{module.__name__}.{name}")
    assert missing == [], "public names without a docstring:\n" + "\n".join(missing)


def test_public_methods_and_properties_have_docstrings() -> None:
    missing = [
        f"{name}.{member_name}"
        for name, cls in PUBLIC_CLASSES.items()
        for member_name, member in _own_members(cls)
        if not (inspect.getdoc(member) or "").strip()
    ]
    assert missing == [], "public methods/properties without a docstring:\n" + "\n".join(missing)


def test_construct_props_are_documented_with_their_defaults() -> None:
    problems = []
    for name, cls in CONSTRUCTS.items():
        documented = {**_fields_of(cls.__doc__ or ""), **_fields_of(cls.__init__.__doc__ or "")}
        for param in inspect.signature(cls.__init__).parameters.values():
            if param.kind is not inspect.Parameter.KEYWORD_ONLY:
                continue
            text = documented.get(param.name)
            if text is None:
                problems.append(f"{name}: no ':param {param.name}:' line")
            elif param.default is not inspect.Parameter.empty and "Default:" not in text:
                problems.append(f"{name}: ':param {param.name}:' does not say 'Default: - ...'")
    assert problems == [], "\n".join(problems)


def test_props_type_fields_are_documented_with_their_defaults() -> None:
    # A field is documented by ':param field:' in the class docstring or by a docstring under it.
    problems = []
    for name, cls in PROPS.items():
        in_class = _fields_of(cls.__doc__ or "")
        model = _doc_model(cls)
        assert isinstance(model, pdoc.doc.Class)
        for field in dataclasses.fields(cls):
            member = model.members.get(field.name)
            text = in_class.get(field.name) or (member.docstring if member else "")
            has_default = (
                field.default is not dataclasses.MISSING
                or field.default_factory is not dataclasses.MISSING
            )
            if not text.strip():
                problems.append(f"{name}.{field.name}: not documented")
            elif has_default and "Default:" not in text:
                problems.append(f"{name}.{field.name}: does not say 'Default: - ...'")
    assert problems == [], "\n".join(problems)


def test_the_reference_lists_every_documented_parameter_under_its_own_name() -> None:
    # pdoc takes everything up to the LAST colon of a ':param' line as the name: a first line like
    # ':param x: Text. Default: - 1.' renders as a parameter called 'x: Text. Default'.
    problems = []
    for name, function, docstring in _documented_callables():
        parameters = set(inspect.signature(function).parameters)
        if dataclasses.is_dataclass(PUBLIC.get(name.removesuffix(".__init__"))):
            parameters |= {field.name for field in dataclasses.fields(PUBLIC[name[:-9]])}
        for rendered in _rendered_param_names(docstring):
            if rendered not in parameters:
                problems.append(f"{name}: the reference shows a parameter {rendered!r}")
    for name, cls in PROPS.items():
        fields = {field.name for field in dataclasses.fields(cls)}
        for rendered in _rendered_param_names(cls.__doc__ or ""):
            if rendered not in fields:
                problems.append(f"{name}: the reference shows a field {rendered!r}")
    assert problems == [], (
        "a ':param name:' line whose first line has another colon (put the rest, e.g. "
        "'Default: - ...', on the next, indented line), or a parameter that no longer exists:\n"
        + "\n".join(problems)
    )


# --- the generated reference -------------------------------------------------------------------


def _make_docs(out: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (fixed argv, no shell)
        [*MAKE_WITHOUT_SETUP, "docs", f"DOCS_OUT={out}", f"PY={sys.executable}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )


def test_make_docs_builds_the_reference_without_warnings(tmp_path: Path) -> None:
    # WHEN the API reference is generated as `make docs` does it
    out = tmp_path / "api"
    result = _make_docs(out)
    # THEN it succeeds with nothing on stderr (the target fails on any pdoc warning)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    # AND the constructs page renders the reST ':param' fields as a parameter list, and shows
    # the docstring of a re-exported constant
    page = (out / "container_delivery" / "constructs.html").read_text()
    assert 'id="DeliveryPipeline"' in page
    assert "<li><strong>nat_gateways</strong>:" in page
    assert "output named exactly <code>Url</code>" in page
    assert ":param" not in re.sub(
        r'<div class="pdoc-code codehilite">.*?</div>', "", page, flags=re.S
    )


def test_make_docs_fails_when_pdoc_warns(tmp_path: Path) -> None:
    # GIVEN a package whose signature pdoc cannot resolve (pdoc warns and still exits 0)
    package = tmp_path / "src" / "brokendocs"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        '"""A package."""\n\n__all__ = ["f"]\n\n\ndef f() -> "NoSuchType":\n    """A function."""\n'
    )
    out = tmp_path / "api"
    # WHEN `make docs` documents it
    result = _make_docs(out, "API_MODULES=brokendocs", PYTHONPATH=str(tmp_path / "src"))
    # THEN the target fails, shows pdoc's warning and leaves no half-built reference
    assert result.returncode != 0
    assert "Error parsing type annotation NoSuchType" in result.stderr
    assert "api_reference: pdoc warned 1 time(s)" in result.stderr
    assert not out.exists()
