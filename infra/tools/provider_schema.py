"""Rebuild the google provider's schema from its published CDK Terrain bindings.

PyPI's `cdktn-provider-google` is generated from the real provider's
`terraform providers schema -json`. Its wheel carries a jsii tarball with the
generated JavaScript (`package/lib/<resource>/index.js`) and the type
assembly (`package/.jsii`). Together they give back the schema, in the shape
`terraform providers schema -json` prints, for the stand-in provider
(infra/tools/schema-provider) to serve:

- configurable attributes and blocks: each generated `synthesizeHclAttributes`
  / `<struct>ToHclTerraform` lists the snake_case name, whether it is a block,
  its nesting (`simple`, `list`, `set`, `map`, `struct`) and element type;
- required or optional: the `optional` flag of the property in the jsii
  `<Name>Config` interface (or the block's struct interface);
- max_items = 1: the property's type is a single struct, not an array;
- computed-only attributes: getters of the resource class (or of a block's
  `OutputReference` class) that are not configurable; their accessor
  (`getStringAttribute('name')`, `new XList(this, "name", isSet)`, ...) gives
  the name and the type.

What the bindings cannot tell is resolved leniently, so the stand-in never
rejects what the real provider accepts: optional attributes are not marked
computed (except `id`); min_items is 1 only for required blocks; a
computed-only single nested object is a one-element list, as SDKv2 serves
it; nothing is sensitive or deprecated.

Usage: provider_schema.py WHEEL OUTPUT.json
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/google"
JsonType = str | list[Any]
Block = dict[str, Any]

_DOC_LINK = re.compile(r"/docs/(resources|data-sources)/(\w+)\}?")
_CLASS = re.compile(r"^class (\w+) extends ", re.MULTILINE)
_FUNCTION = re.compile(r"^function (\w+)ToHclTerraform\(", re.MULTILINE)
_SYNTH_ENTRY = re.compile(
    r"^\s+(\w+): \{\n\s+value: [^\n]*?(?:struct\.|this\._)(\w+)[^\n]*\n"
    r'\s+isBlock: (true|false),\n\s+type: "(\w+)",\n\s+storageClassType: "(\w+)",',
    re.MULTILINE,
)
_GETTER = re.compile(r"^    get (\w+)\(\) \{\n\s+return ([^\n]*);\n", re.MULTILINE)
_FIELD_INIT = re.compile(r'this\._(\w+) = new ([\w.]+)\(this, "(\w+)"(?:, (true|false))?\);')
_PRIMITIVE_ACCESSORS: dict[str, JsonType] = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
}
_MAP_CLASSES: dict[str, JsonType] = {
    "cdktn.StringMap": ["map", "string"],
    "cdktn.NumberMap": ["map", "number"],
    "cdktn.BooleanMap": ["map", "bool"],
    "cdktn.AnyMap": ["map", "dynamic"],
}
_SIMPLE_STORAGE: dict[str, JsonType] = {
    "string": "string",
    "number": "number",
    "boolean": "bool",
}
_COLLECTION_STORAGE: dict[str, str] = {
    "stringList": "string",
    "numberList": "number",
    "booleanList": "bool",
    "stringMap": "string",
    "numberMap": "number",
    "booleanMap": "bool",
}


class ConversionError(Exception):
    """The bindings have a shape this converter does not understand."""


@dataclass(frozen=True)
class SynthEntry:
    """One configurable attribute or block as the generated JS writes it."""

    name: str
    camel: str
    is_block: bool
    nesting: str
    storage: str


@dataclass
class JsModule:
    """What one generated `lib/<resource>/index.js` says about its types."""

    synth: dict[str, list[SynthEntry]] = field(default_factory=dict)
    getters: dict[str, dict[str, str]] = field(default_factory=dict)
    fields: dict[str, dict[str, tuple[str, str, bool]]] = field(default_factory=dict)


def _sections(source: str) -> Iterator[tuple[str, str, str]]:
    """(kind, name, body) for each top-level class and *ToHclTerraform function."""
    marks = sorted(
        [(m.start(), "class", m[1]) for m in _CLASS.finditer(source)]
        + [(m.start(), "function", m[1]) for m in _FUNCTION.finditer(source)]
    )
    for index, (start, kind, name) in enumerate(marks):
        end = marks[index + 1][0] if index + 1 < len(marks) else len(source)
        yield kind, name, source[start:end]


def parse_js_module(source: str) -> JsModule:
    module = JsModule()
    for kind, name, body in _sections(source):
        entries = [
            SynthEntry(m[1], m[2], m[3] == "true", m[4], m[5]) for m in _SYNTH_ENTRY.finditer(body)
        ]
        if kind == "function":
            # redisClusterPscConfigsToHclTerraform serialises RedisClusterPscConfigs.
            module.synth[name[0].upper() + name[1:]] = entries
            continue
        if "synthesizeHclAttributes()" in body:
            module.synth[name] = entries
        module.getters[name] = {m[1]: m[2] for m in _GETTER.finditer(body)}
        module.fields[name] = {
            m[1]: (m[2], m[3], m[4] == "true") for m in _FIELD_INIT.finditer(body)
        }
    return module


@dataclass
class Bindings:
    """The jsii assembly plus the generated JS, indexed for lookups."""

    types: dict[str, dict[str, Any]]
    js: dict[str, JsModule]
    by_name: dict[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Generated class names are unique within a resource's namespace, but
        # big resources spread their structs over sub-namespaces.
        for fqn, jsii_type in self.types.items():
            if "namespace" in jsii_type:
                self.by_name[(self._resource_namespace(fqn), jsii_type["name"])] = fqn

    @staticmethod
    def _resource_namespace(fqn: str) -> str:
        return fqn.split(".")[1]

    def sibling(self, fqn: str, name: str) -> str | None:
        """Fully qualified name of class `name` generated for the same resource."""
        return self.by_name.get((self._resource_namespace(fqn), name.rsplit(".", 1)[-1]))

    def js_module(self, fqn: str) -> JsModule:
        # src/redis-cluster/index.ts, or src/<big>/index-structs/structs400.ts
        path = self.types[fqn]["locationInModule"]["filename"]
        try:
            return self.js[path.removeprefix("src/").removesuffix(".ts")]
        except KeyError as missing:
            raise ConversionError(f"no generated JS for {fqn} ({path})") from missing


def _unwrap(jsii_type: dict[str, Any]) -> dict[str, Any]:
    """The type without cdktf's `| IResolvable` escape hatch."""
    union = jsii_type.get("union")
    if not union:
        return jsii_type
    kept = [t for t in union["types"] if t.get("fqn") != "cdktn.IResolvable"]
    if len(kept) != 1:
        raise ConversionError(f"ambiguous union type {jsii_type}")
    return dict(kept[0])


def _attribute_type(entry: SynthEntry, owner: str) -> JsonType:
    if entry.nesting == "simple" and entry.storage in _SIMPLE_STORAGE:
        return _SIMPLE_STORAGE[entry.storage]
    element = _COLLECTION_STORAGE.get(entry.storage)
    if entry.nesting in ("list", "set", "map") and element is not None:
        return [entry.nesting, element]
    raise ConversionError(f"{owner}.{entry.name}: unknown attribute {entry}")


class Converter:
    def __init__(self, bindings: Bindings) -> None:
        self.bindings = bindings

    def block(
        self, struct_fqn: str, output_class: str, *, js_name: str | None = None, top: bool = False
    ) -> Block:
        """Schema block of a Config interface or a nested block's struct."""
        types = self.bindings.types
        struct = types[struct_fqn]
        module = self.bindings.js_module(struct_fqn)
        synth_name = js_name or struct["name"]
        if synth_name not in module.synth:
            raise ConversionError(f"no serialiser for {synth_name}")
        properties = {p["name"]: p for p in struct.get("properties", [])}
        attributes: dict[str, Any] = {}
        block_types: dict[str, Any] = {}
        for entry in module.synth[synth_name]:
            # cdktf renames names that clash with its own members (build -> buildAttribute).
            prop = properties.get(entry.camel) or properties.get(f"{entry.camel}Attribute")
            if prop is None:
                raise ConversionError(f"{struct_fqn}: no property {entry.camel} for {entry.name}")
            optional = bool(prop.get("optional"))
            if entry.is_block:
                block_types[entry.name] = self._block_type(entry, prop, optional)
                continue
            attribute: dict[str, Any] = {"type": _attribute_type(entry, struct_fqn)}
            attribute["optional" if optional else "required"] = True
            if top and entry.name == "id" and optional:
                attribute["computed"] = True  # SDKv2's implicit id: optional and computed
            attributes[entry.name] = attribute
        configurable = set(attributes) | set(block_types)
        output_fqn = self.bindings.sibling(struct_fqn, output_class)
        getters = self._getters(output_fqn) if output_fqn else {}
        for name, json_type in getters.items():
            if name not in configurable:
                attributes[name] = {"type": json_type, "computed": True}
        result: Block = {}
        if attributes:
            result["attributes"] = dict(sorted(attributes.items()))
        if block_types:
            result["block_types"] = dict(sorted(block_types.items()))
        return result

    def _block_type(self, entry: SynthEntry, prop: dict[str, Any], optional: bool) -> Block:
        jsii_type = _unwrap(prop["type"])
        single = "fqn" in jsii_type
        struct_fqn = jsii_type["fqn"] if single else jsii_type["collection"]["elementtype"]["fqn"]
        name = self.bindings.types[struct_fqn]["name"]
        nesting = {"list": "list", "set": "set", "struct": "single"}.get(entry.nesting)
        if nesting is None:
            raise ConversionError(f"{struct_fqn}: unknown block nesting {entry.nesting}")
        block_type: Block = {
            "nesting_mode": nesting,
            "block": self.block(struct_fqn, f"{name}OutputReference"),
        }
        if nesting != "single":
            if not optional:
                block_type["min_items"] = 1
            if single:
                block_type["max_items"] = 1
        return block_type

    def _getters(self, class_fqn: str) -> dict[str, JsonType]:
        """Attribute name -> type for every attribute getter of a generated class."""
        module = self.bindings.js_module(class_fqn)
        class_name = self.bindings.types[class_fqn]["name"]
        fields = module.fields.get(class_name, {})
        result: dict[str, JsonType] = {}
        for expression in module.getters.get(class_name, {}).values():
            typed = self._getter_type(expression, fields, class_fqn)
            if typed is not None:
                result[typed[0]] = typed[1]
        return result

    def _getter_type(
        self, expression: str, fields: dict[str, tuple[str, str, bool]], class_fqn: str
    ) -> tuple[str, JsonType] | None:
        accessor = re.fullmatch(r"(cdktn\.Fn\.tolist\()?this\.(\w+)\('(\w+)'\)\)?", expression)
        if accessor:
            json_type = _PRIMITIVE_ACCESSORS.get(accessor[2])
            if json_type is None:
                raise ConversionError(f"{class_fqn}: unknown accessor {expression}")
            if accessor[1] and isinstance(json_type, list):
                json_type = ["set", json_type[1]]
            return accessor[3], json_type
        field_ref = re.fullmatch(r"this\._(\w+)", expression)
        if not field_ref or field_ref[1] not in fields:
            return None  # an *Input getter, internalValue, or cdktf plumbing
        class_name, name, is_set = fields[field_ref[1]]
        if class_name in _MAP_CLASSES:
            return name, _MAP_CLASSES[class_name]
        if class_name == "cdktn.StringMapList":
            return name, ["set" if is_set else "list", ["map", "string"]]
        if class_name.endswith("List"):
            element = f"{class_name.removesuffix('List')}OutputReference"
            return name, ["set" if is_set else "list", self._object_type(class_fqn, element)]
        if class_name.endswith("OutputReference"):
            return name, ["list", self._object_type(class_fqn, class_name)]
        raise ConversionError(f"{class_fqn}: unknown field class {class_name}")

    def _object_type(self, context_fqn: str, output_class: str) -> JsonType:
        output_fqn = self.bindings.sibling(context_fqn, output_class)
        if output_fqn is None:
            raise ConversionError(f"{context_fqn}: no class {output_class}")
        return ["object", dict(sorted(self._getters(output_fqn).items()))]


def load_bindings(wheel: Path) -> tuple[Bindings, str]:
    """The bindings in a cdktn-provider-google wheel, and the provider version."""
    with zipfile.ZipFile(wheel) as archive:
        tarball = next(n for n in archive.namelist() if n.endswith(".jsii.tgz"))
        data = archive.read(tarball)
    types: dict[str, dict[str, Any]] = {}
    js: dict[str, JsModule] = {}
    readme = ""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar:
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is None:
                continue
            if member.name == "package/.jsii":
                assembly = json.load(handle)
                types = assembly["types"]
                readme = assembly.get("readme", {}).get("markdown", "")
            elif member.name.startswith("package/lib/") and member.name.endswith(".js"):
                source = member.name.removeprefix("package/lib/").removesuffix(".js")
                js[source] = parse_js_module(handle.read().decode())
    version = re.search(r"hashicorp/google provider version (\d+\.\d+\.\d+)", readme)
    if not types or not version:
        raise ConversionError(f"{wheel} does not look like cdktn-provider-google bindings")
    return Bindings(types, js), version[1]


def convert(bindings: Bindings) -> dict[str, Any]:
    """The provider schema in `terraform providers schema -json` form."""
    converter = Converter(bindings)
    schemas: dict[str, dict[str, Any]] = {"resources": {}, "data-sources": {}}
    provider: Block | None = None
    for fqn, jsii_type in sorted(bindings.types.items()):
        if jsii_type["kind"] != "class" or f"{fqn}Config" not in bindings.types:
            continue
        summary = jsii_type.get("docs", {}).get("summary", "")
        link = _DOC_LINK.search(summary)
        if link:
            block = converter.block(
                f"{fqn}Config", jsii_type["name"], js_name=jsii_type["name"], top=True
            )
            schemas[link[1]][f"google_{link[2]}"] = {"version": 0, "block": block}
        elif fqn.endswith(".provider.GoogleProvider"):
            provider = converter.block(f"{fqn}Config", jsii_type["name"], js_name=jsii_type["name"])
            # cdktf adds the `alias` meta-argument to every provider config.
            provider.get("attributes", {}).pop("alias", None)
    if provider is None or not schemas["resources"]:
        raise ConversionError("the bindings have no provider or no resources")
    return {
        "format_version": "1.0",
        "provider_schemas": {
            PROVIDER_ADDRESS: {
                "provider": {"version": 0, "block": provider},
                "resource_schemas": schemas["resources"],
                "data_source_schemas": schemas["data-sources"],
            }
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="cdktn-provider-google wheel")
    parser.add_argument("output", type=Path, help="schema JSON to write")
    parser.add_argument("--expect-version", help="fail unless the bindings are for this version")
    args = parser.parse_args(argv)
    bindings, version = load_bindings(args.wheel)
    if args.expect_version and version != args.expect_version:
        print(f"bindings are for google {version}, not {args.expect_version}", file=sys.stderr)
        return 1
    schema = convert(bindings)
    partial = args.output.with_suffix(".partial")
    partial.write_text(json.dumps(schema, separators=(",", ":"), sort_keys=True))
    partial.replace(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
