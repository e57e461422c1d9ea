"""The static BUILD reader finds the mistakes the graph checks rely on it to find.

Each case is a tiny repository written to tmp_path with one deliberate fault.
"""

from __future__ import annotations

from pathlib import Path

from tools.bazel.build_graph import (
    Repo,
    label_strings,
    parse_label,
    unevaluated_label_attrs,
    visible_to,
)


def write(root: Path, files: dict[str, str]) -> Repo:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Repo(root)


def test_glob_comprehension_and_constants_from_a_bzl_file(tmp_path: Path) -> None:
    repo = write(
        tmp_path,
        {
            "pkg/BUILD.bazel": (
                'load(":consts.bzl", "PORT")\n'
                "[t(name = s.removesuffix('.py'), srcs = [s], port = '%d/tcp' % PORT)"
                " for s in glob(['test_*.py'])]\n"
            ),
            "pkg/consts.bzl": "PORT = 8080\n",
            "pkg/test_a.py": "",
            "pkg/test_b.py": "",
            "pkg/sub/BUILD.bazel": "",
            "pkg/sub/test_c.py": "",
        },
    )
    targets = repo.packages["pkg"].targets
    assert sorted(targets) == ["test_a", "test_b"]  # test_c belongs to the subpackage
    assert targets["test_a"].attrs["port"] == "8080/tcp"


def test_an_empty_glob_is_an_error(tmp_path: Path) -> None:
    repo = write(tmp_path, {"BUILD.bazel": 'f(name = "x", srcs = glob(["*.py"]))\n'})
    assert any("matches nothing" in e for e in repo.packages[""].errors)


def test_allow_empty_glob_is_not_an_error(tmp_path: Path) -> None:
    repo = write(
        tmp_path, {"BUILD.bazel": 'f(name = "x", srcs = glob(["*.py"], allow_empty = True))\n'}
    )
    assert repo.packages[""].errors == []


def test_select_branches_and_dict_tools_are_all_labels(tmp_path: Path) -> None:
    repo = write(
        tmp_path,
        {
            "BUILD.bazel": (
                'f(name = "x", data = select({"@platforms//cpu:aarch64": [":a"],'
                ' "//conditions:default": [":b"]}), tools = {"@redis//:redis-server": "redis-server"})\n'
            )
        },
    )
    labels = {text for _, text in label_strings(repo.packages[""].targets["x"])}
    assert labels == {":a", ":b", "@platforms//cpu:aarch64", "@redis//:redis-server"}


def test_private_targets_are_not_visible_to_other_packages(tmp_path: Path) -> None:
    repo = write(
        tmp_path,
        {
            "a/BUILD.bazel": 'f(name = "private")\nf(name = "shared", visibility = ["//b:__pkg__"])\n',
            "b/BUILD.bazel": "",
        },
    )
    package = repo.packages["a"]
    assert not visible_to(package.targets["private"], package, "b")
    assert visible_to(package.targets["shared"], package, "b")
    assert not visible_to(package.targets["shared"], package, "c")


def test_labels_parse_relative_to_their_package() -> None:
    assert str(parse_label(":x", "pkg")) == "//pkg:x"
    assert str(parse_label("file.txt", "pkg")) == "//pkg:file.txt"
    assert str(parse_label("//tools/bazel", "pkg")) == "//tools/bazel:bazel"
    assert str(parse_label("@distroless_cc", "pkg")) == "@distroless_cc//:distroless_cc"
    assert str(parse_label("@pypi//flask", "pkg")) == "@pypi//flask:flask"


def test_conditional_expressions_take_the_right_branch(tmp_path: Path) -> None:
    repo = write(
        tmp_path,
        {
            "BUILD.bazel": (
                "[f(name = s, data = ['common'] + (['//other:x'] if s == 'b' else []))"
                " for s in ['a', 'b']]\n"
            )
        },
    )
    targets = repo.packages[""].targets
    assert [t for _, t in label_strings(targets["a"])] == ["common"]
    assert [t for _, t in label_strings(targets["b"])] == ["common", "//other:x"]


def test_what_cannot_be_evaluated_is_reported_not_skipped(tmp_path: Path) -> None:
    repo = write(tmp_path, {"BUILD.bazel": 'f(name = "x", srcs = some_macro_result())\n'})
    assert unevaluated_label_attrs(repo.packages[""].targets["x"]) == ["srcs"]
