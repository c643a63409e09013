"""``python -m container_delivery.plan`` (``make plan``): the bootstrap and deploy commands.

The commands are derived from the reference app itself, not from typed stack names: the app is
built and synthesized for the config (into a temporary directory; nag and the built-in template
validation stay off) and each stack's name, account, region and dependencies are read from it.
The stacks are then ordered so that every stack comes after what it depends on, in as few
``cdk deploy --exclusively --profile <account's profile>`` commands as possible.

The ordering (``deploy_batches``) and the rendering (``render``) are plain Python; only
``app_stacks`` and ``plan`` import aws_cdk and the stacks, so the rules are testable without CDK.

``--exclusively`` matters: without it the CLI also deploys the stacks a selected stack depends
on, which live partly in the other account and need its credentials.

Exit codes: 0 the commands are printed; 2 bad arguments, a bad config or a construct's
validation error, or stacks that cannot be ordered (a cycle, a stack outside both accounts).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from container_delivery.config import CONFIG_ENV_VAR, load_config

if TYPE_CHECKING:
    import aws_cdk as cdk

PROG = "python -m container_delivery.plan"
#: How the commands call the CLI: the project's pinned CDK CLI from node_modules (README,
#: "Running the CDK CLI"), found by npx from the project directory.
CDK = "npx cdk"


class StackNode(NamedTuple):
    """One stack as the plan sees it: the CLI's name for it, where it goes, what it needs."""

    name: str
    account: str
    region: str
    dependencies: tuple[str, ...] = ()


class Batch(NamedTuple):
    """Stacks of one account deployed by one ``cdk deploy --exclusively`` command, in order."""

    account: str
    stacks: tuple[str, ...]


def deploy_batches(stacks: Sequence[StackNode]) -> list[Batch]:
    """Order ``stacks`` into the fewest single-account batches that respect every dependency.

    Every stack appears exactly once, after every stack it depends on (in an earlier batch, or
    earlier in the same batch). Ties keep the input order: the first account given starts
    when either could.

    :raises ValueError: duplicate names, a dependency that is not in ``stacks``, or a cycle;
        one message lists every problem.
    """
    _check_graph(stacks)
    accounts = list(dict.fromkeys(stack.account for stack in stacks))
    # Breadth-first over which account deploys next; each batch takes every stack of its account
    # that becomes deployable (more never hurts: it only makes later batches possible sooner),
    # so the first sequence that deploys everything is one of the shortest.
    start: frozenset[str] = frozenset()
    frontier: list[tuple[frozenset[str], list[Batch]]] = [(start, [])]
    seen = {start}
    while frontier:
        following: list[tuple[frozenset[str], list[Batch]]] = []
        for done, batches in frontier:
            if len(done) == len(stacks):
                return batches
            for account in accounts:
                batch = _take(stacks, account, done)
                after = done | set(batch)
                if batch and after not in seen:
                    seen.add(after)
                    following.append((after, [*batches, Batch(account, batch)]))
        frontier = following
    raise AssertionError("unreachable: an acyclic graph always has a deployable stack")


def _take(stacks: Sequence[StackNode], account: str, done: frozenset[str]) -> tuple[str, ...]:
    """Every stack of ``account`` deployable after ``done``, in dependency then input order."""
    taken: list[str] = []
    available = set(done)
    progress = True
    while progress:
        progress = False
        for stack in stacks:
            if (
                stack.account == account
                and stack.name not in available
                and available.issuperset(stack.dependencies)
            ):
                taken.append(stack.name)
                available.add(stack.name)
                progress = True
    return tuple(taken)


def _check_graph(stacks: Sequence[StackNode]) -> None:
    problems: list[str] = []
    names = [stack.name for stack in stacks]
    for name in sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"stack {name!r} appears {names.count(name)} times; names are unique")
    known = set(names)
    for stack in stacks:
        for dependency in stack.dependencies:
            if dependency not in known:
                problems.append(
                    f"stack {stack.name!r} depends on {dependency!r}, which is not one of the "
                    "stacks to deploy"
                )
    if not problems and (cycle := _find_cycle(stacks)):
        problems.append(
            "the stack dependencies form a cycle, so no order deploys each stack after what it "
            f"depends on: {' -> '.join(cycle)} (remove one of these dependencies)"
        )
    if problems:
        raise ValueError("cannot order the stacks: " + "; ".join(problems))


def _find_cycle(stacks: Sequence[StackNode]) -> list[str]:
    """One dependency cycle as ``[a, b, ..., a]``, or ``[]`` when there is none."""
    needs = {stack.name: stack.dependencies for stack in stacks}
    state: dict[str, str] = {}  # "visiting" while on the current path, then "done"

    def visit(name: str, path: list[str]) -> list[str]:
        state[name] = "visiting"
        path.append(name)
        for dependency in needs[name]:
            if state.get(dependency) == "visiting":
                return [*path[path.index(dependency) :], dependency]
            if dependency not in state and (cycle := visit(dependency, path)):
                return cycle
        path.pop()
        state[name] = "done"
        return []

    for stack in stacks:
        if stack.name not in state and (cycle := visit(stack.name, [])):
            return cycle
    return []


def app_stacks(app: cdk.App) -> list[StackNode]:
    """Every stack of ``app`` in construct order, with its explicit account, region and
    dependencies (``add_stack_dependency`` and cross-stack references alike).

    Synthesizes ``app`` (once; give it an ``outdir`` and no nag): CDK adds the dependencies of
    cross-stack references only while synthesizing, so the construct tree alone misses them.

    :raises ValueError: a stack without an explicit account and region (the plan cannot tell
        which credentials deploy it).
    """
    import aws_cdk as cdk

    app.synth()
    # Nested stacks deploy with their parent; the CLI cannot select them.
    stacks = [
        node
        for node in app.node.find_all()
        if isinstance(node, cdk.Stack) and node.nested_stack_parent is None
    ]
    problems = [
        f"stack {stack.node.path!r} has no explicit account and region (give it env=...)"
        for stack in stacks
        if cdk.Token.is_unresolved(stack.account) or cdk.Token.is_unresolved(stack.region)
    ]
    if problems:
        raise ValueError("cannot plan the deployment: " + "; ".join(problems))
    # The CLI selects stacks by construct path (its "hierarchical id", what `cdk list` prints).
    return [
        StackNode(
            name=stack.node.path,
            account=stack.account,
            region=stack.region,
            dependencies=tuple(sorted(dependency.node.path for dependency in stack.dependencies)),
        )
        for stack in stacks
    ]


def render(
    stacks: Sequence[StackNode],
    profiles: Mapping[str, str],
    *,
    config_path: str | None = None,
) -> str:
    """The shell commands that bootstrap and deploy ``stacks``.

    :param profiles: Account id -> AWS CLI profile name; the bootstrap commands follow its order.
    :param config_path: Printed as ``export CONTAINER_DELIVERY_CONFIG=...``. Default: - no such
        line (the app uses its embedded default config).
    :raises ValueError: a stack in an account without a profile, or stacks that cannot be ordered.
    """
    strays = sorted({stack.account for stack in stacks} - set(profiles))
    if strays:
        raise ValueError(
            f"cannot plan the deployment: account(s) {', '.join(strays)} have no profile "
            f"(known: {', '.join(f'{a} -> {p}' for a, p in profiles.items())})"
        )
    batches = deploy_batches(stacks)
    targets = dict.fromkeys((stack.account, stack.region) for stack in stacks)
    bootstraps = [
        (account, region) for known in profiles for account, region in targets if account == known
    ]
    lines = ["# Run in the project directory with its venv active: source .venv/bin/activate", ""]
    if config_path is not None:
        lines += [
            "# The app reads this config in every command below.",
            f"export {CONFIG_ENV_VAR}={shlex.quote(config_path)}",
            "",
        ]
    lines.append("# Bootstrap each account and region (once).")
    lines += [
        f"{CDK} bootstrap aws://{account}/{region} --profile {shlex.quote(profiles[account])}"
        for account, region in bootstraps
    ]
    lines += ["", "# Deploy, in this order; each command needs only its account's credentials."]
    for batch in batches:
        lines.append(
            " \\\n  ".join(
                [
                    f"{CDK} deploy --exclusively --profile {shlex.quote(profiles[batch.account])}",
                    *(shlex.quote(name) for name in batch.stacks),
                ]
            )
        )
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Print the cdk bootstrap and cdk deploy --exclusively commands that deploy the "
            "reference app for a config, per account, in dependency order."
        ),
    )
    parser.add_argument(
        "-c",
        "--config",
        metavar="PATH",
        help="reference app config (default: $CONTAINER_DELIVERY_CONFIG, else the embedded default)",
    )
    parser.add_argument(
        "--staging-profile",
        default="staging",
        metavar="NAME",
        help="AWS CLI profile of the staging account (default: staging)",
    )
    parser.add_argument(
        "--production-profile",
        default="production",
        metavar="NAME",
        help="AWS CLI profile of the production account (default: production)",
    )
    return parser


def plan(config_path: str | None, *, staging_profile: str, production_profile: str) -> str:
    """Build the reference app for the config at ``config_path`` and render its commands."""
    from container_delivery.stacks.app import build_app

    config = load_config(config_path)
    # cdk.json's context (the feature flags), as the CLI passes it: the plan is made from the
    # app that `cdk deploy` builds.
    cdk_json = Path("cdk.json")
    context = json.loads(cdk_json.read_text()).get("context", {}) if cdk_json.exists() else {}
    with tempfile.TemporaryDirectory(prefix="plan-cdk-out-") as outdir:
        app = build_app(config, outdir=outdir, context=context, validation=False, nag=False)
        stacks = app_stacks(app)
    profiles = {
        config.accounts.staging.id: staging_profile,
        config.accounts.production.id: production_profile,
    }
    return render(stacks, profiles, config_path=config_path)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path = args.config or os.environ.get(CONFIG_ENV_VAR) or None
    if path is not None:
        # Absolute, so that the printed export works from any directory.
        path = str(Path(path).resolve())
    try:
        text = plan(
            path,
            staging_profile=args.staging_profile,
            production_profile=args.production_profile,
        )
    except ValueError as error:  # ConfigError, construct validation, unorderable stacks
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # a construct's add_validation error, surfaced by jsii
        print(f"{PROG}: the reference app did not synthesize: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
