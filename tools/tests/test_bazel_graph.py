"""What the loading check leaves to the sources: every file is in a target,
and every import is locked and declared as a dependency.

The targets are the ones Bazel would see after macro expansion
(tools/bazel/loading.py evaluates the BUILD files with the rulesets' own
Starlark), so implicit dependencies such as pytest_test's are real here.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from tools.bazel.loading import Report, evaluate
from tools.bazel.tree import repo_files
from tools.testkit.tooling import REPO_ROOT

SERVICE_LOCK = REPO_ROOT / "services" / "kv" / "requirements.lock"
TEST_LOCK = REPO_ROOT / "tools" / "requirements-test.lock"
# PyPI hub name -> the lock it is generated from (MODULE.bazel pip.parse).
HUB_LOCKS = {"pypi": SERVICE_LOCK, "pypi_test": TEST_LOCK}
# Top-level import names that are this repository's own code: conftest
# modules and the packages in each directory on the tests' Python path
# (pyproject.toml: the repository root, and services/kv for `kv` and its `tests`).
PYTHONPATH = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["pytest"][
    "ini_options"
]["pythonpath"]
FIRST_PARTY = {"conftest"} | {
    p.name for root in PYTHONPATH for p in (REPO_ROOT / root).iterdir() if p.is_dir()
}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@cache
def report() -> Report:
    return evaluate(REPO_ROOT)


@cache
def locked(lock: Path) -> frozenset[str]:
    names = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock.read_text(), re.MULTILINE)
    return frozenset(normalize(n) for n in names)


def package_of(target: dict[str, Any]) -> str:
    return str(target["label"]).removeprefix("//").partition(":")[0]


def absolute(text: str, package: str) -> str:
    """A label as the report keys it: //pkg:name (or @repo//... unchanged)."""
    if text.startswith(":"):
        return f"//{package}{text}"
    if text.startswith("//") and ":" not in text:
        return f"{text}:{text.rsplit('/', 1)[-1]}"
    if not text.startswith(("//", "@")):
        return f"//{package}:{text}"
    return text


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)


def source_files(target: dict[str, Any], attrs: Iterable[str] = ("srcs", "data")) -> set[str]:
    """Repo-relative files a target names in its srcs or data."""
    package = package_of(target)
    files = set()
    for attr in attrs:
        for text in strings_in(target["attrs"].get(attr, [])):
            label = absolute(text, package)
            if (
                label.startswith("//")
                and label not in report().targets
                and label not in report().outputs
            ):
                pkg, _, name = label.removeprefix("//").partition(":")
                files.add(f"{pkg}/{name}".lstrip("/"))
    return files


def rel_files(pattern: str) -> list[str]:
    return sorted(
        path
        for path in (p.relative_to(REPO_ROOT).as_posix() for p in repo_files())
        if re.fullmatch(pattern, path)
    )


def test_every_service_module_is_in_a_target() -> None:
    modules = [*rel_files(r"services/kv/kv/.*\.(py|yaml)"), "services/kv/gunicorn.conf.py"]
    assert modules, "services/kv/kv has no modules yet"
    covered = set().union(*(source_files(t) for t in report().targets.values()))
    missing = [m for m in modules if m not in covered]
    assert not missing, f"in no target's srcs or data: {missing}"


def test_every_test_file_is_wrapped_by_a_test_target() -> None:
    test_files = rel_files(r"(services/[^/]+|infra|deploy|tools)/(.*/)?tests/test_[^/]*\.py")
    assert test_files, "no test files found"
    wrapped = set().union(
        *(source_files(t, ["srcs"]) for t in report().targets.values() if t["kind"] == "py_test")
    )
    missing = [f for f in test_files if f not in wrapped]
    assert not missing, f"not wrapped by any test target: {missing}"


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


def provided_distributions(target: dict[str, Any]) -> set[str]:
    """PyPI distributions a target can import: its hub deps, through local deps."""
    provided: set[str] = set()
    todo = [absolute(d, package_of(target)) for d in strings_in(target["attrs"].get("deps", []))]
    visited = set()
    while todo:
        label = todo.pop()
        if label in visited:
            continue
        visited.add(label)
        hub, _, package = label.removeprefix("@").partition("//")
        if label.startswith("@") and hub in HUB_LOCKS:
            provided |= requirement_closure(normalize(package.partition(":")[0]))
        elif label in report().targets:
            dep = report().targets[label]
            todo += [absolute(d, package_of(dep)) for d in strings_in(dep["attrs"].get("deps", []))]
    return provided


def test_service_imports_are_locked_and_declared_on_the_library() -> None:
    sources = [REPO_ROOT / f for f in rel_files(r"services/kv/kv/.*\.py")]
    sources.append(REPO_ROOT / "services/kv/gunicorn.conf.py")
    library = report().targets["//services/kv:kv"]
    declared = {
        normalize(d.removeprefix("@pypi//").partition(":")[0])
        for d in strings_in(library["attrs"].get("deps", []))
        if d.startswith("@pypi//")
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
    for target in report().targets.values():
        if target["kind"] not in ("py_library", "py_binary", "py_test"):
            continue
        files = [REPO_ROOT / f for f in source_files(target, ["srcs"]) if f.endswith(".py")]
        provided = provided_distributions(target)
        for module, importers in sorted(third_party_imports(files).items()):
            dist = distribution_of(module)
            if dist not in locked(SERVICE_LOCK) | locked(TEST_LOCK):
                problems.append(f"{module} ({dist}) is in no lock file: {sorted(importers)}")
            elif dist not in provided:
                problems.append(
                    f"{target['label']} imports {module}: add a @pypi/@pypi_test dep on {dist}"
                )
    assert not problems, "\n".join(problems)


def first_party_files(path: Path) -> set[str]:
    """Repo-relative files of this repository's own modules that `path` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from package import module` imports the module's file too.
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for module in modules:
            if module.split(".")[0] not in FIRST_PARTY:
                continue
            stem = module.replace(".", "/")
            for root in PYTHONPATH:
                for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
                    if (REPO_ROOT / root / candidate).is_file():
                        found.add((Path(root) / candidate).as_posix())
    return found


def runfiles(target: dict[str, Any]) -> set[str]:
    """Source files a target and its deps, transitively, bring into its runfiles."""
    files: set[str] = set()
    todo, visited = [target["label"]], set()
    while todo:
        label = todo.pop()
        if label in visited or label not in report().targets:
            continue
        visited.add(label)
        dep = report().targets[label]
        files |= source_files(dep)
        todo += [absolute(d, package_of(dep)) for d in strings_in(dep["attrs"].get("deps", []))]
    return files


def test_every_python_target_has_the_repository_modules_its_code_imports() -> None:
    """Bazel runs a test with only its runfiles: every module of this
    repository its sources import, directly or through each other, must come
    with the target's srcs, data or deps."""
    problems = []
    for target in report().targets.values():
        if target["kind"] not in ("py_library", "py_binary", "py_test"):
            continue
        present = runfiles(target)
        # Its sources, and the conftest.py files pytest loads from its data.
        todo = [f for f in source_files(target, ["srcs"]) if f.endswith(".py")]
        todo += [f for f in source_files(target, ["data"]) if f.endswith("conftest.py")]
        seen: set[str] = set()
        while todo:
            file = todo.pop()
            if file in seen:
                continue
            seen.add(file)
            for imported in first_party_files(REPO_ROOT / file):
                if imported not in present:
                    problems.append(
                        f"{target['label']}: {file} imports {imported}, not in its runfiles"
                    )
                todo.append(imported)
    assert not problems, "\n".join(sorted(set(problems)))
