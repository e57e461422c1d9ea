"""The Bazel graph is consistent, checked without Bazel (which cannot run here).

Reads every BUILD file (tools/bazel/build_graph.py) and MODULE.bazel, then
checks what `bazel build //...` would otherwise be the first to notice: labels
that point nowhere, files no target covers, imports no lock or target provides.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from tools.bazel.build_graph import (
    Label,
    Repo,
    Target,
    flatten,
    label_strings,
    parse_label,
    unevaluated_label_attrs,
    visible_to,
    walk_files,
)
from tools.testkit.tooling import REPO_ROOT

SERVICE_LOCK = REPO_ROOT / "services" / "kv" / "requirements.lock"
TEST_LOCK = REPO_ROOT / "tools" / "requirements-test.lock"
# PyPI hub name -> the lock it is generated from (MODULE.bazel pip.parse).
HUB_LOCKS = {"pypi": SERVICE_LOCK, "pypi_test": TEST_LOCK}
# Dependencies that pytest_test adds to every test (tools/bazel/pytest.bzl).
PYTEST_IMPLICIT_DEPS = ("//tools:testkit", "@pypi_test//pytest", "@pypi_test//pytest_timeout")
# Top-level import names that are this repository's own code: the service
# package, conftest modules, and the repository's top-level directories.
FIRST_PARTY = {"kv", "conftest"} | {p.name for p in REPO_ROOT.iterdir() if p.is_dir()}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@cache
def repo() -> Repo:
    return Repo(REPO_ROOT)


@cache
def locked(lock: Path) -> frozenset[str]:
    names = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock.read_text(), re.MULTILINE)
    return frozenset(normalize(n) for n in names)


@cache
def module_repos() -> frozenset[str]:
    """Repository names MODULE.bazel makes visible to this module."""
    names = {"bazel_tools"}
    tree = ast.parse((REPO_ROOT / "MODULE.bazel").read_text())
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        kwargs = {k.arg: k.value for k in node.keywords}
        if node.func.id in ("bazel_dep", "module"):
            chosen = kwargs.get("repo_name", kwargs.get("name"))
            if isinstance(chosen, ast.Constant):
                names.add(str(chosen.value))
        elif node.func.id == "use_repo":
            names.update(str(a.value) for a in node.args[1:] if isinstance(a, ast.Constant))
            names.update(k.arg for k in node.keywords if k.arg)
    return frozenset(names)


def resolve_problem(label: Label) -> str | None:
    """Why a label cannot resolve, or None when it does."""
    if label.repo:
        if label.repo not in module_repos():
            return f"repository @{label.repo} is not declared in MODULE.bazel"
        if label.repo in HUB_LOCKS and normalize(label.package) not in locked(
            HUB_LOCKS[label.repo]
        ):
            return f"{label.package} is not in {HUB_LOCKS[label.repo].relative_to(REPO_ROOT)}"
        return None
    package = repo().packages.get(label.package)
    if package is None:
        return f"no package //{label.package} (no BUILD.bazel there)"
    if label.name in package.targets:
        return None
    rel = f"{label.package}/{label.name}" if label.package else label.name
    if (REPO_ROOT / rel).is_file():
        owner = repo().package_of(rel)
        if owner != label.package:
            return f"{rel} belongs to package //{owner}, not //{label.package}"
        return None
    return f"no target or file named {label.name} in //{label.package}"


def test_build_files_evaluate_without_errors() -> None:
    """Also: no label attribute is beyond this reader, so no label escapes the checks."""
    errors = [e for p in repo().packages.values() for e in p.errors]
    errors += [
        f"{t.label}: cannot evaluate {attr} statically"
        for t in repo().targets()
        for attr in unevaluated_label_attrs(t)
    ]
    assert not errors, "\n".join(errors)


def test_every_label_points_to_an_existing_file_or_target() -> None:
    problems = []
    for target in repo().targets():
        for attr, text in label_strings(target):
            problem = resolve_problem(parse_label(text, target.package))
            if problem:
                problems.append(f"{target.label} {attr} {text!r}: {problem}")
    assert not problems, "\n".join(problems)


def test_targets_used_from_other_packages_are_visible_to_them() -> None:
    problems = []
    for target in repo().targets():
        for attr, text in label_strings(target):
            label = parse_label(text, target.package)
            package = repo().packages.get(label.package)
            if label.repo or package is None or label.name not in package.targets:
                continue
            if not visible_to(package.targets[label.name], package, target.package):
                problems.append(
                    f"{target.label} {attr}: {label} is not visible to //{target.package}"
                )
    assert not problems, "\n".join(problems)


def test_every_load_names_an_existing_bzl_file() -> None:
    problems = []
    for package in repo().packages.values():
        for module, line in package.loads:
            label = parse_label(module, package.path)
            problem = resolve_problem(label) if label.repo else None
            if not label.repo and not (REPO_ROOT / label.package / label.name).is_file():
                problem = "no such file"
            if problem:
                problems.append(f"{package.build_file}:{line} load({module!r}): {problem}")
    assert not problems, "\n".join(problems)


def covered_files() -> set[str]:
    """Repo-relative files that some target names in its srcs or data."""
    covered = set()
    for target in repo().targets():
        for attr, text in label_strings(target):
            if attr not in ("srcs", "data"):
                continue
            label = parse_label(text, target.package)
            if not label.repo:
                covered.add(f"{label.package}/{label.name}".lstrip("/"))
    return covered


def rel_files(pattern: str) -> list[str]:
    return sorted(
        p.relative_to(REPO_ROOT).as_posix()
        for p in walk_files(REPO_ROOT)
        if re.fullmatch(pattern, p.relative_to(REPO_ROOT).as_posix())
    )


def test_every_service_module_is_in_a_target() -> None:
    modules = [*rel_files(r"services/kv/kv/.*\.(py|yaml)"), "services/kv/gunicorn.conf.py"]
    assert modules, "services/kv/kv has no modules yet"
    missing = [m for m in modules if m not in covered_files()]
    assert not missing, f"in no target's srcs or data: {missing}"


def test_every_test_file_is_wrapped_by_a_test_target() -> None:
    test_files = rel_files(r"(services/[^/]+|infra|deploy|tools)/(.*/)?tests/test_[^/]*\.py")
    assert test_files, "no test files found"
    wrapped = {
        f"{t.package}/{src}"
        for t in repo().targets()
        if t.rule in ("pytest_test", "py_test")
        for src in flatten(t.attrs.get("srcs", []))
        if isinstance(src, str)
    }
    missing = [f for f in test_files if f not in wrapped]
    assert not missing, f"not wrapped by any pytest_test: {missing}"


def third_party_imports(files: Iterable[Path]) -> dict[str, set[str]]:
    """Top-level modules imported by files that are neither stdlib nor ours -> importers."""
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if (
                    top not in sys.stdlib_module_names
                    and top not in FIRST_PARTY
                    and top != "__future__"
                ):
                    found.setdefault(top, set()).add(path.relative_to(REPO_ROOT).as_posix())
    return found


# Import names that differ from their distribution's name (used when the
# distribution is not installed, e.g. in a Bazel sandbox with fewer deps).
MODULE_DISTRIBUTIONS = {"yaml": "pyyaml"}


def distribution_of(module: str) -> str:
    """The distribution that provides an import name (installed metadata first)."""
    installed = metadata.packages_distributions().get(module)
    return normalize(installed[0] if installed else MODULE_DISTRIBUTIONS.get(module, module))


@cache
def requirement_closure(dist: str) -> frozenset[str]:
    """A distribution and everything it requires (extras off), as installed here."""
    seen = {dist}
    todo = [dist]
    while todo:
        try:
            requires = metadata.requires(todo.pop()) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                name = normalize(req.name)
                if name not in seen:
                    seen.add(name)
                    todo.append(name)
    return frozenset(seen)


def provided_distributions(target: Target, extra_deps: Iterable[str] = ()) -> set[str]:
    """PyPI distributions a target can import: its hub deps, through local py_library deps."""
    provided: set[str] = set()
    todo = [*flatten(target.attrs.get("deps", [])), *extra_deps]
    visited = set()
    while todo:
        text = todo.pop()
        if not isinstance(text, str) or text in visited:
            continue
        visited.add(text)
        label = parse_label(text, target.package)
        if label.repo in HUB_LOCKS:
            provided |= requirement_closure(normalize(label.package))
        elif not label.repo:
            dep = repo().packages.get(label.package)
            if dep and label.name in dep.targets:
                todo.extend(str(d) for d in flatten(dep.targets[label.name].attrs.get("deps", [])))
    return provided


def test_service_imports_are_locked_and_declared_on_the_library() -> None:
    sources = [REPO_ROOT / f for f in rel_files(r"services/kv/kv/.*\.py")]
    sources.append(REPO_ROOT / "services/kv/gunicorn.conf.py")
    library = repo().packages["services/kv"].targets["kv"]
    declared = {
        normalize(parse_label(str(d), "services/kv").package)
        for d in flatten(library.attrs.get("deps", []))
        if str(d).startswith("@pypi//")
    }
    problems = []
    for module, importers in sorted(third_party_imports(sources).items()):
        dist = distribution_of(module)
        if dist not in locked(SERVICE_LOCK):
            problems.append(
                f"{module} ({dist}) is not in services/kv/requirements.lock: {sorted(importers)}"
            )
        elif dist not in declared:
            problems.append(f"{module}: add @pypi//{dist} to //services/kv:kv deps")
    assert not problems, "\n".join(problems)


def test_every_python_target_declares_what_its_sources_import() -> None:
    """Imports a target's own sources make are provided by its deps (Bazel's
    sandbox has nothing else), and every import is in one of the two locks."""
    problems = []
    for target in repo().targets():
        if not target.rule.startswith(("py_", "pytest_test")):
            continue
        files = [
            REPO_ROOT / target.package / str(s)
            for s in flatten(target.attrs.get("srcs", []))
            if str(s).endswith(".py") and not str(s).startswith(("//", ":", "@"))
        ]
        if target.rule == "pytest_test":
            files += [c for c in {f.parent / "conftest.py" for f in files} if c.is_file()]
        implicit = PYTEST_IMPLICIT_DEPS if target.rule == "pytest_test" else ()
        provided = provided_distributions(target, implicit)
        for module, importers in sorted(third_party_imports(files).items()):
            dist = distribution_of(module)
            if dist not in locked(SERVICE_LOCK) | locked(TEST_LOCK):
                problems.append(f"{module} ({dist}) is in no lock file: {sorted(importers)}")
            elif dist not in provided:
                problems.append(
                    f"{target.label} imports {module}: add a @pypi/@pypi_test dep on {dist}"
                )
    assert not problems, "\n".join(problems)
