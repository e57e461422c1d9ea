"""pytest_test: plain pytest files as Bazel test targets.

The same files run without Bazel through `tools/test`; this macro only adds
what Bazel needs around them: a small runner as the entry point
(pytest_main.py), pytest and its plugins from the test lock, the repo-wide
pytest settings (pyproject.toml), the helpers every area shares (tools/testkit),
and any conftest.py next to the test files.

Usage:

    load("//tools/bazel:pytest.bzl", "pytest_test")

    pytest_test(
        name = "test_chart",
        srcs = ["tests/test_chart.py"],
        data = glob(["chart/**"]),
        tools = {"@redis//:redis-server": "redis-server"},  # put on PATH
        host_tools = ["git"],  # must be on the agent's PATH
    )
"""

load("@rules_python//python:py_test.bzl", "py_test")

_RUNNER = Label("//tools/bazel:pytest_main.py")

# What every pytest run needs, whatever it tests.
_PYTEST_DEPS = [
    Label("//tools:testkit"),
    "@pypi_test//pytest",
    "@pypi_test//pytest_timeout",
]

def _dirname(path):
    return path.rpartition("/")[0]

def pytest_test(name, srcs, data = [], deps = [], tools = [], host_tools = [], args = [], **kwargs):
    """Runs pytest on `srcs` (package-relative test files) as one Bazel test.

    Args:
      name: target name; by convention the test file's name without `.py`.
      srcs: the pytest files (package-relative paths, not labels).
      data: files the tests read at run time.
      deps: Python libraries the tests import (e.g. "//services/kv:kv",
        "@pypi_test//requests").
      tools: executables the tests call by name, put first on PATH: a list
        of labels (each under its file name) or a dict of label to command
        name. So `require_tool("redis-server")` finds the hermetic
        `@redis//:redis-server` under Bazel and the local one without it.
      host_tools: commands no module provides, which the machine running
        the test must have on Bazel's strict PATH (/bin:/usr/bin:/usr/local/bin).
        The runner checks them first and fails naming the missing ones.
      args: extra pytest arguments, after the test files.
      **kwargs: passed to py_test (size, tags, timeout, shard_count, ...).
    """
    tool_names = tools if type(tools) == "dict" else {tool: "" for tool in tools}
    package = native.package_name()
    conftests = native.glob(
        depset([_dirname(src) + "/conftest.py" if _dirname(src) else "conftest.py" for src in srcs]).to_list(),
        allow_empty = True,
    )
    py_test(
        name = name,
        srcs = [_RUNNER] + srcs + [c for c in conftests if c not in srcs],
        main = _RUNNER,
        args = ["--kv-tool=%s=$(rootpath %s)" % (command, tool) for tool, command in tool_names.items()] +
               ["--kv-host-tool=" + command for command in host_tools] +
               ["%s/%s" % (package, src) if package else src for src in srcs] +
               args,
        data = data + tool_names.keys() + [Label("//:pyproject.toml")],
        deps = deps + _PYTEST_DEPS,
        **kwargs
    )
