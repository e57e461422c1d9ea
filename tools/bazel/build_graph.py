"""A static reader of this repository's Bazel files, for checks that run without Bazel.

Bazel cannot run on the team's machines, so tools/tests/test_bazel_graph.py
checks the build graph by reading BUILD files as the Starlark subset they are
written in (calls, literals, `+`, `%`, glob, select, comprehensions, string
methods, constants loaded from .bzl files). It answers: which targets exist,
which labels each attribute names, and which files globs match. What it cannot
evaluate it reports as Opaque instead of guessing.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BUILD_FILE_NAMES = ("BUILD.bazel", "BUILD")
SKIP_DIRS = {".git", ".venv", "node_modules", ".terraform", "__pycache__", ".pytest_cache",
             ".mypy_cache", ".ruff_cache", ".hypothesis"}  # fmt: skip

# Attributes whose every string is a label (a file or a target).
LABEL_ATTRS = {
    "actual", "base", "configs", "data", "deps", "directory", "image", "images", "main",
    "mtree", "platforms", "src", "srcs", "tars", "target_platform", "tools",
}  # fmt: skip
# Attributes that may hold labels among plain strings: only ":x", "//x", "@x" count.
MAYBE_LABEL_ATTRS = {"created", "labels", "annotations", "env", "remote_tags", "repo_tags",
                     "template", "cmd", "entrypoint"}  # fmt: skip

# Targets that macros create besides `name` (suffixes appended to name).
MACRO_TARGETS = {
    "oci_image": (".digest",),
    "py_image_layer": ("_mtree", "_contents"),
    "tar": ("_mtree",),
}


class Opaque:
    """A value this reader does not evaluate (e.g. a macro's return value)."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"Opaque({self.why})"


@dataclass
class Select:
    """select({condition: value}): every branch, since any may be taken."""

    branches: dict[str, object]


@dataclass
class Target:
    package: str
    name: str
    rule: str
    attrs: dict[str, object]
    line: int

    @property
    def label(self) -> str:
        return f"//{self.package}:{self.name}"


@dataclass
class Package:
    path: str  # repo-relative directory, "" for the root package
    build_file: Path
    targets: dict[str, Target] = field(default_factory=dict)
    loads: list[tuple[str, int]] = field(default_factory=list)
    exported: set[str] = field(default_factory=set)
    default_visibility: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Label:
    repo: str  # "" for the main repository
    package: str
    name: str

    def __str__(self) -> str:
        return f"{'@' + self.repo if self.repo else ''}//{self.package}:{self.name}"


def parse_label(text: str, package: str) -> Label:
    """A label string as seen from `package` (main repository)."""
    repo = ""
    if text.startswith("@"):
        repo, sep, rest = text[1:].partition("//")
        repo = repo.lstrip("@")
        if not sep:
            return Label(repo, "", repo)
        text = "//" + rest
    if text.startswith("//"):
        pkg, sep, name = text[2:].partition(":")
        return Label(repo, pkg, name if sep else pkg.rsplit("/", 1)[-1])
    return Label(repo, package, text.removeprefix(":"))


def walk_files(root: Path) -> Iterator[Path]:
    """Every file under root, skipping tool state and Bazel's output symlinks."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.startswith("bazel-")
        )
        for name in sorted(filenames):
            yield Path(dirpath) / name


def is_package_dir(path: Path) -> bool:
    return any((path / name).is_file() for name in BUILD_FILE_NAMES)


class Repo:
    """The main repository's packages, read from its BUILD files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.packages: dict[str, Package] = {}
        self._bzl_cache: dict[Path, dict[str, object]] = {}
        for path in walk_files(root):
            if path.name in BUILD_FILE_NAMES:
                rel = path.parent.relative_to(root).as_posix()
                name = "" if rel == "." else rel
                self.packages[name] = Package(name, path)
        for package in self.packages.values():
            _Evaluator(self, package).run()

    # Files and globs -----------------------------------------------------

    def package_of(self, rel_file: str) -> str | None:
        """The package that owns a repo-relative file (its nearest BUILD file)."""
        parts = rel_file.split("/")[:-1]
        while True:
            candidate = "/".join(parts)
            if candidate in self.packages:
                return candidate
            if not parts:
                return None
            parts.pop()

    def glob(self, package: str, include: list[str], exclude: list[str]) -> list[str]:
        """Package-relative files matching Bazel glob patterns (no subpackages)."""
        base = self.root / package
        matches: set[str] = set()
        for path in walk_files(base):
            rel = path.relative_to(base).as_posix()
            if self.package_of(f"{package}/{rel}" if package else rel) != package:
                continue
            if any(_glob_match(rel, p) for p in include) and not any(
                _glob_match(rel, p) for p in exclude
            ):
                matches.add(rel)
        return sorted(matches)

    def bzl_constants(self, path: Path) -> dict[str, object]:
        """Literal top-level assignments of a .bzl file (others are ignored)."""
        if path not in self._bzl_cache:
            constants: dict[str, object] = {}
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                    try:
                        constants[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        constants[node.targets[0].id] = Opaque("non-literal")
            self._bzl_cache[path] = constants
        return self._bzl_cache[path]

    def targets(self) -> Iterator[Target]:
        for package in self.packages.values():
            yield from package.targets.values()


def _glob_match(rel: str, pattern: str) -> bool:
    regex = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            regex += ".*"
            i += 2
        elif pattern[i] == "*":
            regex += "[^/]*"
            i += 1
        else:
            regex += re.escape(pattern[i])
            i += 1
    return re.fullmatch(regex, rel) is not None


def flatten(value: object) -> Iterator[object]:
    """Every leaf of a list/tuple/dict-values/select value."""
    if isinstance(value, Select):
        for branch in value.branches.values():
            yield from flatten(branch)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from flatten(item)
    else:
        yield value


class _Evaluator:
    """Evaluates one BUILD file's top level into targets."""

    def __init__(self, repo: Repo, package: Package) -> None:
        self.repo = repo
        self.package = package
        self.env: dict[str, object] = {}
        self.symbols: dict[str, str] = {}  # local name -> name in the loaded file

    def run(self) -> None:
        tree = ast.parse(self.package.build_file.read_text(), str(self.package.build_file))
        for node in tree.body:
            if isinstance(node, ast.Expr):
                self.statement(node.value)
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                self.env[node.targets[0].id] = self.eval(node.value)

    def error(self, node: ast.AST, message: str) -> None:
        line = getattr(node, "lineno", 0)
        self.package.errors.append(f"{self.package.build_file}:{line}: {message}")

    def statement(self, node: ast.expr) -> None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "load":
                self.load(node)
            else:
                self.call(node)
        elif isinstance(node, ast.ListComp):
            for scope in self.comprehension(node):
                saved = self.env
                self.env = {**self.env, **scope}
                self.statement(node.elt)
                self.env = saved

    def load(self, node: ast.Call) -> None:
        args = [self.eval(a) for a in node.args]
        module = args[0]
        if not isinstance(module, str):
            return
        self.package.loads.append((module, node.lineno))
        names = {str(a): str(a) for a in args[1:]}
        names.update({kw.arg: str(self.eval(kw.value)) for kw in node.keywords if kw.arg})
        label = parse_label(module, self.package.path)
        path = self.repo.root / label.package / label.name
        constants = self.repo.bzl_constants(path) if not label.repo and path.is_file() else {}
        for local, original in names.items():
            self.symbols[local] = original
            if original in constants:
                self.env[local] = constants[original]

    def call(self, node: ast.Call) -> object:
        assert isinstance(node.func, ast.Name)
        func = node.func.id
        kwargs = {kw.arg: self.eval(kw.value) for kw in node.keywords if kw.arg}
        args = [self.eval(a) for a in node.args]
        if func == "exports_files":
            self.package.exported.update(str(f) for f in flatten(args[0] if args else []))
            return None
        if func == "package":
            visibility = kwargs.get("default_visibility", [])
            if isinstance(visibility, list):
                self.package.default_visibility = [str(v) for v in visibility]
            return None
        if func == "licenses":
            return None
        name = kwargs.get("name")
        if not isinstance(name, str):
            self.error(node, f"{func}(...) without a literal name")
            return None
        rule = self.symbols.get(func, func)
        if name in self.package.targets:
            self.error(node, f"duplicate target {name}")
        self.package.targets[name] = Target(self.package.path, name, rule, kwargs, node.lineno)
        for suffix in MACRO_TARGETS.get(rule, ()):
            generated = name + suffix
            inherited = {k: v for k, v in kwargs.items() if k == "visibility"}
            self.package.targets.setdefault(
                generated, Target(self.package.path, generated, rule, inherited, node.lineno)
            )
        return None

    def comprehension(self, node: ast.ListComp | ast.DictComp) -> Iterator[dict[str, object]]:
        def scopes(
            generators: list[ast.comprehension], scope: dict[str, object]
        ) -> Iterator[dict[str, object]]:
            if not generators:
                yield scope
                return
            gen = generators[0]
            saved = self.env
            self.env = {**saved, **scope}
            iterable = self.eval(gen.iter)
            self.env = saved
            if isinstance(iterable, dict):
                iterable = list(iterable)
            if not isinstance(iterable, (list, tuple)):
                return
            for item in iterable:
                inner = {**scope, **_bind(gen.target, item)}
                self.env = {**saved, **inner}
                ok = all(self.eval(cond) for cond in gen.ifs)
                self.env = saved
                if ok:
                    yield from scopes(generators[1:], inner)

        yield from scopes(node.generators, {})

    def eval(self, node: ast.expr) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.eval(e) for e in node.elts]
        if isinstance(node, ast.Dict):
            return {
                self.eval(k): self.eval(v) for k, v in zip(node.keys, node.values, strict=True) if k
            }
        if isinstance(node, ast.Name):
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            return self.env.get(node.id, Opaque(node.id))
        if isinstance(node, ast.BinOp):
            left, right = self.eval(node.left), self.eval(node.right)
            try:
                if isinstance(node.op, ast.Add) and not isinstance(left, Opaque | Select):
                    return left + right  # type: ignore[operator]
                if isinstance(node.op, ast.Mod) and isinstance(left, str):
                    return left % (tuple(right) if isinstance(right, list) else right)
            except TypeError:
                pass
            if isinstance(node.op, ast.Add) and isinstance(left, (list, Select)):
                return [*flatten(left), *flatten(right)]
            return Opaque("binop")
        if isinstance(node, ast.ListComp):
            out: list[object] = []
            for scope in self.comprehension(node):
                saved = self.env
                self.env = {**saved, **scope}
                out.append(self.eval(node.elt))
                self.env = saved
            return out
        if isinstance(node, ast.DictComp):
            result: dict[object, object] = {}
            for scope in self.comprehension(node):
                saved = self.env
                self.env = {**saved, **scope}
                result[self.eval(node.key)] = self.eval(node.value)
                self.env = saved
            return result
        if isinstance(node, ast.Subscript):
            value, index = self.eval(node.value), self.eval(node.slice)
            try:
                return value[index]  # type: ignore[index]
            except (TypeError, KeyError, IndexError):
                return Opaque("subscript")
        if isinstance(node, ast.Call):
            return self.eval_call(node)
        if isinstance(node, ast.IfExp):
            condition = self.eval(node.test)
            if isinstance(condition, bool):
                return self.eval(node.body if condition else node.orelse)
            # Unknown condition: either branch may be taken, like select().
            return Select({"if": self.eval(node.body), "else": self.eval(node.orelse)})
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return _compare(node.ops[0], self.eval(node.left), self.eval(node.comparators[0]))
        return Opaque(type(node).__name__)

    def eval_call(self, node: ast.Call) -> object:
        args = [self.eval(a) for a in node.args]
        kwargs = {kw.arg: self.eval(kw.value) for kw in node.keywords if kw.arg}
        if isinstance(node.func, ast.Attribute):
            owner = self.eval(node.func.value)
            method = node.func.attr
            if isinstance(owner, str) and method in (
                "removeprefix", "removesuffix", "format", "replace", "strip", "lower", "upper"
            ):  # fmt: skip
                try:
                    return getattr(owner, method)(*args, **kwargs)
                except TypeError:
                    return Opaque(method)
            if isinstance(node.func.value, ast.Name) and node.func.value.id == "json":
                return json.dumps(args[0], default=str) if args else Opaque("json")
            return Opaque(method)
        if not isinstance(node.func, ast.Name):
            return Opaque("call")
        func = node.func.id
        if func == "glob":
            return self.glob(node, args, kwargs)
        if func == "select":
            branches = args[0] if args else {}
            return Select(dict(branches)) if isinstance(branches, dict) else Opaque("select")
        if func == "package_name":
            return self.package.path
        if func == "Label" and args:
            return args[0]
        if func == "str" and args:
            return str(args[0])
        if func == "sorted" and args and isinstance(args[0], (list, dict)):
            return sorted(str(a) for a in args[0])
        if func == "len" and args and isinstance(args[0], (list, dict, str)):
            return len(args[0])
        # A rule or macro call nested in an expression: record it, value unknown.
        self.call(node)
        return Opaque(func)

    def glob(self, node: ast.Call, args: list[object], kwargs: dict[str, object]) -> object:
        include = args[0] if args else kwargs.get("include", [])
        exclude = kwargs.get("exclude", args[1] if len(args) > 1 else [])
        if not (isinstance(include, list) and isinstance(exclude, list)):
            return Opaque("glob")
        matches = self.repo.glob(
            self.package.path, [str(p) for p in include], [str(p) for p in exclude]
        )
        if not matches and kwargs.get("allow_empty") is not True:
            self.error(node, f"glob({include}) matches nothing (Bazel fails on an empty glob)")
        return matches


def _compare(op: ast.cmpop, left: object, right: object) -> object:
    if isinstance(left, Opaque | Select) or isinstance(right, Opaque | Select):
        return Opaque("compare")
    try:
        if isinstance(op, ast.Eq):
            return left == right
        if isinstance(op, ast.NotEq):
            return left != right
        if isinstance(op, ast.In):
            return left in right  # type: ignore[operator]
        if isinstance(op, ast.NotIn):
            return left not in right  # type: ignore[operator]
    except TypeError:
        pass
    return Opaque("compare")


def _bind(target: ast.expr, value: object) -> dict[str, object]:
    if isinstance(target, ast.Name):
        return {target.id: value}
    if isinstance(target, ast.Tuple) and isinstance(value, (list, tuple)):
        bound: dict[str, object] = {}
        for t, v in zip(target.elts, value, strict=False):
            bound.update(_bind(t, v))
        return bound
    return {}


def unevaluated_label_attrs(target: Target) -> list[str]:
    """Label attributes holding something this reader could not evaluate."""
    return sorted(
        attr
        for attr, value in target.attrs.items()
        if attr in LABEL_ATTRS and any(isinstance(leaf, Opaque) for leaf in flatten(value))
    )


def label_strings(target: Target) -> Iterator[tuple[str, str]]:
    """(attribute, label string) for every label a target's attributes name."""
    for attr, value in target.attrs.items():
        if attr in LABEL_ATTRS:
            if isinstance(value, dict):  # e.g. pytest_test(tools = {label: command})
                value = list(value)
            for leaf in flatten(value):
                if isinstance(leaf, str):
                    yield attr, leaf
        elif attr in MAYBE_LABEL_ATTRS:
            for leaf in flatten(value):
                if isinstance(leaf, str) and leaf.startswith((":", "//", "@")):
                    yield attr, leaf
        if isinstance(value, Select):
            for condition in value.branches:
                if condition != "//conditions:default":
                    yield "select", condition


def visible_to(target: Target, package: Package, from_package: str) -> bool:
    """Whether `from_package` may depend on `target` (Bazel visibility rules)."""
    if target.package == from_package:
        return True
    visibility = target.attrs.get("visibility", package.default_visibility)
    for rule in flatten(visibility):
        text = str(rule)
        if text == "//visibility:public":
            return True
        label = parse_label(text, target.package)
        if label.name == "__pkg__" and label.package == from_package:
            return True
        if label.name == "__subpackages__" and (
            from_package == label.package or from_package.startswith(label.package + "/")
        ):
            return True
    return False
