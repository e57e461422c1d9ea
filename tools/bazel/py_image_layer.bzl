"""py_image_layer: a reproducible image layer of Python files.

A layer is an mtree manifest, written here at analysis time, and BSD tar
(tar.bzl) run over it. Three kinds of layer put files where
services/kv/image.bzl says they live:

  interpreter: the resolved Python toolchain's runtime (for the target
               platform, so an arm64 image gets the arm64 interpreter), at its
               paths inside the toolchain repository, under `dest`; without
               headers, pip, tkinter, idle and the stdlib's own tests.
  packages:    everything below a wheel repository's `site-packages/` in the
               runfiles of `srcs`, merged under `dest`.
  app:         main-repository files of `srcs` below `strip_prefix`, under `dest`.

Every entry is owned by 0:0, has mtime 0 and a fixed mode (0755 for
directories and the interpreter's bin/, 0644 otherwise), and entries are
sorted, so the layer's bytes depend on nothing but the input files.
"""

load("@tar.bzl//tar:tar.bzl", "tar")

_PY_TOOLCHAIN = "@rules_python//python:toolchain_type"

# mtree(5) fields are separated by whitespace and vis(3)-encoded; these are
# the characters that occur in real wheel and stdlib file names.
_VIS = {
    "\t": "\\011",
    "\n": "\\012",
    " ": "\\040",
    "#": "\\043",
    "\\": "\\134",
}

def _vis(path):
    return "".join([_VIS.get(c, c) for c in path.elems()])

def _repo_relative(file):
    """Path of a file inside its own repository (no ../repo/ prefix)."""
    short = file.short_path
    if short.startswith("../"):
        return short.split("/", 2)[2]
    return short

# Parts of the interpreter distribution a server never uses; leaving them out
# keeps pip (an installer) and build headers out of the production image.
_INTERPRETER_EXCLUDES = ("include/", "share/", "lib/pkgconfig/")
_STDLIB_EXCLUDES = ("ensurepip", "idlelib", "lib2to3", "site-packages", "test", "tkinter", "turtledemo")

def _excluded_from_interpreter(rel):
    if rel.startswith(_INTERPRETER_EXCLUDES):
        return True
    parts = rel.split("/")
    return len(parts) > 3 and parts[0] == "lib" and parts[1].startswith("python3") and parts[2] in _STDLIB_EXCLUDES

def _interpreter_entries(ctx):
    runtime = ctx.toolchains[_PY_TOOLCHAIN].py3_runtime
    if not runtime or not runtime.interpreter:
        fail("py_image_layer needs a hermetic Python toolchain (rules_python python.toolchain)")
    files = depset([runtime.interpreter], transitive = [runtime.files]).to_list()
    entries = {_repo_relative(f): f for f in files}
    return {rel: f for rel, f in entries.items() if not _excluded_from_interpreter(rel)}

def _runfiles(ctx):
    return depset(transitive = [
        depset(transitive = [t[DefaultInfo].files, t[DefaultInfo].default_runfiles.files])
        for t in ctx.attr.srcs
    ]).to_list()

def _package_entries(ctx):
    entries = {}
    for f in _runfiles(ctx):
        rel = _repo_relative(f)
        marker = rel.find("site-packages/")
        if f.owner.repo_name and marker >= 0:
            entries[rel[marker + len("site-packages/"):]] = f
    return entries

def _app_entries(ctx):
    prefix = ctx.attr.strip_prefix.rstrip("/") + "/"
    entries = {}
    for f in _runfiles(ctx):
        if f.owner.repo_name:
            continue
        if not f.short_path.startswith(prefix):
            fail("%s is outside strip_prefix %s" % (f.short_path, prefix))
        entries[f.short_path[len(prefix):]] = f
    return entries

_KINDS = {
    "app": _app_entries,
    "interpreter": _interpreter_entries,
    "packages": _package_entries,
}

def _mode(kind, rel):
    if kind == "interpreter" and rel.startswith("bin/"):
        return "0755"
    return "0644"

def _py_image_layer_mtree_impl(ctx):
    kind = ctx.attr.kind
    dest = ctx.attr.dest.strip("/")
    entries = _KINDS[kind](ctx)
    if not entries:
        fail("layer %s (%s) is empty" % (ctx.label, kind))

    lines = {}
    for rel, f in entries.items():
        path = dest + "/" + rel
        parts = path.split("/")
        for i in range(1, len(parts)):
            directory = "/".join(parts[:i])
            lines[directory] = "%s uid=0 gid=0 time=0 mode=0755 type=dir" % _vis(directory)
        lines[path] = "%s uid=0 gid=0 time=0 mode=%s type=file content=%s" % (
            _vis(path),
            _mode(kind, rel),
            _vis(f.path),
        )

    mtree = ctx.actions.declare_file(ctx.label.name + ".mtree")
    ctx.actions.write(
        output = mtree,
        # bsdtar ignores a last line without a newline.
        content = "#mtree\n" + "\n".join([lines[p] for p in sorted(lines)]) + "\n",
    )
    return [
        DefaultInfo(files = depset([mtree])),
        OutputGroupInfo(layer_contents = depset(entries.values())),
    ]

_py_image_layer_mtree = rule(
    implementation = _py_image_layer_mtree_impl,
    attrs = {
        "dest": attr.string(mandatory = True, doc = "Absolute directory in the image."),
        "kind": attr.string(mandatory = True, values = _KINDS.keys()),
        "srcs": attr.label_list(doc = "Python targets whose runfiles feed the layer."),
        "strip_prefix": attr.string(doc = "For kind = app: the package directory to drop."),
    },
    toolchains = [_PY_TOOLCHAIN],
)

def py_image_layer(name, kind, dest, srcs = [], strip_prefix = "", **kwargs):
    """A gzip-compressed, reproducible tar layer; see the file docstring.

    Args:
      name: the tar target (`name.tar.gz`).
      kind: "interpreter", "packages" or "app".
      dest: absolute directory in the image (from services/kv/image.bzl).
      srcs: Python targets (py_library) for kinds "packages" and "app".
      strip_prefix: for kind "app", the repository directory that maps to `dest`.
      **kwargs: passed to tar (visibility, tags, ...).
    """
    common = {k: v for k, v in kwargs.items() if k in ("tags", "testonly", "visibility")}
    _py_image_layer_mtree(
        name = name + "_mtree",
        kind = kind,
        dest = dest,
        srcs = srcs,
        strip_prefix = strip_prefix,
        **common
    )
    native.filegroup(
        name = name + "_contents",
        srcs = [name + "_mtree"],
        output_group = "layer_contents",
        **common
    )
    tar(
        name = name,
        srcs = [name + "_contents"],
        mtree = name + "_mtree",
        compress = "gzip",  # tar.bzl writes gzip without a timestamp
        **kwargs
    )
