"""The Bazel build loads: MODULE.bazel and every BUILD file, evaluated with the
pinned rulesets' own Starlark (tools/bazel/loading.py), have nothing Bazel's
loading phase would reject. The negative controls put back defects that once
made every card command fail at loading, on a copy of the tree, and show the
check names them.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.bazel.loading import Report, evaluate
from tools.bazel.tree import SKIP_DIRS
from tools.testkit.tooling import REPO_ROOT

BAZELRC = REPO_ROOT / ".bazelrc"


def bazelrc_labels(path: Path = BAZELRC) -> tuple[str, ...]:
    """`file:line:label=value` for each `--@repo//pkg:flag=value` (or //) a .bazelrc sets."""
    found = []
    for number, line in enumerate(path.read_text().split("\n"), start=1):
        if line.lstrip().startswith("#"):
            continue
        for flag in re.findall(r"--((?:@[\w.+-]*)?//[^=\s]+(?:=\S*)?)", line):
            found.append(f"{path.name}:{number}:{flag}")
    return tuple(found)


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(REPO_ROOT, resolve=bazelrc_labels())


def test_build_and_module_files_load_as_bazel_would(report: Report) -> None:
    assert report.targets, "no targets at all: the check evaluated nothing"
    assert not report.problems, "\n".join(report.messages())


def test_a_bazelrc_flag_value_its_setting_does_not_allow_is_reported(tmp_path: Path) -> None:
    rc = copy_tree(tmp_path / "repo") / ".bazelrc"
    edit(rc, "bootstrap_impl=script", "bootstrap_impl=scripted")
    messages = evaluate(rc.parent, resolve=bazelrc_labels(rc)).messages()
    assert any(
        m.startswith(".bazelrc:") and "bootstrap_impl=scripted: the flag allows only" in m
        for m in messages
    ), "\n".join(messages)


def test_tests_start_the_hermetic_interpreter_not_system_python() -> None:
    """rules_python's default system_python bootstrap runs `/usr/bin/env python3`
    on the strict action PATH; the script bootstrap uses the toolchain's."""
    assert any(
        flag.endswith("@rules_python//python/config_settings:bootstrap_impl=script")
        for flag in bazelrc_labels()
    )


def test_the_card_commands_targets_are_declared(report: Report) -> None:
    for label in (
        "//services/kv:image_index",
        "//services/kv:image_index.digest",
        "//services/kv:image_push",
        "//services/kv:image_load",
        "//deploy:image_values",
    ):
        assert label in report.targets, f"{label} is not declared"


def copy_tree(destination: Path) -> Path:
    """The working tree as it is (untracked files too), without caches."""
    shutil.copytree(
        REPO_ROOT,
        destination,
        ignore=shutil.ignore_patterns(*SKIP_DIRS, "bazel-*"),
        symlinks=True,
    )
    return destination


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: the negative control's anchor {old!r} is gone; update the test"
    path.write_text(text.replace(old, new, 1))


# Defect 1 of issue 15: the index digest written by hand next to the targets
# that oci_image(name = "image") and oci_image_index(name = "image_index")
# already declare through rules_oci's _digest helper.
HAND_WRITTEN_DIGEST = """
load("@aspect_bazel_lib//lib:copy_file.bzl", "copy_file")
load("@aspect_bazel_lib//lib:directory_path.bzl", "directory_path")
load("@aspect_bazel_lib//lib:jq.bzl", "jq")

directory_path(
    name = "image_index_json",
    directory = ":image_index",
    path = "index.json",
)

copy_file(
    name = "image_index_json_file",
    src = ":image_index_json",
    out = "image_index.json",
)

jq(
    name = "image_index.digest",
    srcs = [":image_index_json_file"],
    out = "image_index.json.sha256",
    args = ["--raw-output"],
    filter = ".manifests[0].digest",
)
"""


def test_hand_written_digest_targets_are_reported_as_conflicts(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "repo")
    build = tree / "services" / "kv" / "BUILD.bazel"
    build.write_text(build.read_text() + HAND_WRITTEN_DIGEST)
    messages = "\n".join(evaluate(tree).messages())
    assert re.search(r'target "image_index_json" in //services/kv conflicts with target', messages)
    assert re.search(r'output file "image_index.json" in //services/kv conflicts', messages)
    assert re.search(r'target "image_index.digest" in //services/kv conflicts', messages)
    assert "services/kv/BUILD.bazel:" in messages


def test_testkit_listed_twice_in_deps_is_reported(tmp_path: Path) -> None:
    """Defect 2: pytest_test already adds //tools:testkit to every test's deps."""
    tree = copy_tree(tmp_path / "repo")
    edit(
        tree / "tools" / "BUILD.bazel",
        '            ":delivery",\n',
        '            ":delivery",\n            ":testkit",\n',
    )
    messages = evaluate(tree).messages()
    duplicated = [
        m for m in messages if "label //tools:testkit is duplicated in attribute deps" in m
    ]
    assert duplicated, "\n".join(messages)
    assert all(m.startswith("tools/BUILD.bazel:") for m in duplicated)


def test_unknown_attribute_undeclared_label_and_missing_symbol_are_reported(
    tmp_path: Path,
) -> None:
    tree = copy_tree(tmp_path / "repo")
    build = tree / "tools" / "bazel" / "BUILD.bazel"
    edit(
        build,
        'name = "promote",\n',
        'name = "promote",\n    bogus = 1,\n    data = ["@redis//:redis-client"],\n',
    )
    messages = "\n".join(evaluate(tree).messages())
    assert re.search(
        r'tools/bazel/BUILD.bazel:\d+: //tools/bazel:promote: rule py_binary has no attribute "bogus"',
        messages,
    )
    assert 'no target or file "redis-client" in @redis//' in messages
    edit(build, '"py_binary")', '"py_binary", "py_binaryy")')
    assert "name py_binaryy not found in module @rules_python//python:py_binary.bzl" in "\n".join(
        evaluate(tree).messages()
    )


def test_a_target_used_from_another_package_must_be_visible_to_it(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "repo")
    edit(tree / "services" / "kv" / "BUILD.bazel", '    visibility = ["//deploy:__pkg__"],\n', "")
    messages = evaluate(tree).messages()
    assert any(
        m.startswith("deploy/BUILD.bazel:")
        and "//services/kv:image_index.digest is not visible to //deploy" in m
        for m in messages
    ), "\n".join(messages)


def test_a_module_version_without_pinned_sources_is_reported(tmp_path: Path) -> None:
    """A ruleset the BUILD files load from must be evaluated, never stubbed."""
    tree = copy_tree(tmp_path / "repo")
    edit(
        tree / "MODULE.bazel",
        'name = "aspect_bazel_lib", version = "2.21.1"',
        'name = "aspect_bazel_lib", version = "2.99.0"',
    )
    messages = "\n".join(evaluate(tree).messages())
    assert "no pinned sources for aspect_bazel_lib 2.99.0" in messages, messages


def reachable(report: Report, start: str) -> Iterator[dict[str, Any]]:
    """Main-repository targets that `start` depends on through label attributes."""
    todo, seen = [start], set()
    while todo:
        label = todo.pop()
        if label in seen or label not in report.targets:
            continue
        seen.add(label)
        target = report.targets[label]
        yield target
        package = label.partition(":")[0]
        for value in target["attrs"].values():
            for text in re.findall(r"'([^']+)'", repr(value)):
                if text.startswith(":"):
                    todo.append(package + text)
                elif text.startswith("//"):
                    todo.append(text if ":" in text else f"{text}:{text.rsplit('/', 1)[-1]}")


def test_image_digest_does_not_depend_on_stamping(report: Report) -> None:
    """Plain `bazel build //deploy:image_values` must render the digest that
    `--config=release` pushes, so nothing in the image may change with --stamp."""
    stamped = [
        f"{t['label']} ({t['file']}:{t['line']})"
        for t in reachable(report, "//services/kv:image_index")
        if t["attrs"].get("stamp_substitutions") or t["attrs"].get("stamp") == 1
    ]
    assert not stamped, f"stamped inputs of the image: {stamped}"


def test_lockfile_mode_error_only_with_a_committed_lock() -> None:
    """`--lockfile_mode=error` fails every command while MODULE.bazel.lock is missing."""
    strict = [
        line
        for line in BAZELRC.read_text().split("\n")
        if not line.lstrip().startswith("#") and "--lockfile_mode=error" in line
    ]
    if (REPO_ROOT / "MODULE.bazel.lock").is_file():
        assert strict, "MODULE.bazel.lock is committed: CI should fail when it is stale"
    else:
        assert not strict, f"no MODULE.bazel.lock is committed, yet .bazelrc has {strict}"


TOOL_CALL = re.compile(r'require_tool\(\s*"([^"]+)"')
IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.MULTILINE)


def python_closure(files: list[Path]) -> set[Path]:
    """The files and the repository modules they import, transitively."""
    seen: set[Path] = set()
    todo = list(files)
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        for match in IMPORT.finditer(path.read_text()):
            module = REPO_ROOT.joinpath(*(match[1] or match[2]).split("."))
            todo += [module.with_suffix(".py"), module / "__init__.py"]
    return seen


def test_every_test_target_gets_the_tools_it_calls(report: Report) -> None:
    """Under Bazel a test sees only the strict action PATH: each command its
    code requires comes from Bazel (`tools`) or is named as a host tool the
    agent image must provide (`host_tools`)."""
    missing = []
    for target in report.targets.values():
        if target["kind"] != "py_test":
            continue
        package = REPO_ROOT / target["label"].removeprefix("//").partition(":")[0]
        files = [
            package / src
            for src in target["attrs"].get("srcs", [])
            if isinstance(src, str) and src.endswith(".py") and not src.startswith((":", "/", "@"))
        ]
        needed = {name for f in python_closure(files) for name in TOOL_CALL.findall(f.read_text())}
        args = target["attrs"].get("args", [])
        given = {
            a.removeprefix("--kv-tool=").partition("=")[0]
            for a in args
            if a.startswith("--kv-tool=")
        }
        given |= {
            a.removeprefix("--kv-host-tool=") for a in args if a.startswith("--kv-host-tool=")
        }
        if needed - given:
            missing.append(
                f"{target['label']} ({target['file']}:{target['line']}): {sorted(needed - given)}"
            )
    assert not missing, "tests call tools their target does not provide:\n" + "\n".join(missing)
