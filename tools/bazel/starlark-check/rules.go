package main

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
)

// attrSpec is one attribute of a rule: its type (attr.label_list, ...).
type attrSpec struct {
	kind      string
	mandatory bool
	values    []string // attr.string(values = [...])
}

func (a *attrSpec) String() string        { return "attr." + a.kind }
func (a *attrSpec) Type() string          { return "Attribute" }
func (a *attrSpec) Freeze()               {}
func (a *attrSpec) Truth() starlark.Bool  { return true }
func (a *attrSpec) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: Attribute") }

func (a *attrSpec) isLabel() bool {
	switch a.kind {
	case "label", "label_list", "label_keyed_string_dict", "string_keyed_label_dict", "output", "output_list":
		return true
	}
	return false
}

// attrModule is Starlark's `attr`: each function returns an attrSpec.
func attrModule() starlark.Value {
	kinds := []string{"bool", "int", "int_list", "label", "label_keyed_string_dict", "label_list",
		"output", "output_list", "string", "string_dict", "string_keyed_label_dict", "string_list",
		"string_list_dict"}
	members := starlark.StringDict{}
	for _, kind := range kinds {
		members[kind] = starlark.NewBuiltin("attr."+kind, func(_ *starlark.Thread, _ *starlark.Builtin, _ starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			spec := &attrSpec{kind: kind}
			for _, kv := range kwargs {
				switch string(kv[0].(starlark.String)) {
				case "mandatory":
					spec.mandatory = bool(kv[1].Truth())
				case "values":
					if l, ok := kv[1].(*starlark.List); ok {
						for i := 0; i < l.Len(); i++ {
							if s, ok := l.Index(i).(starlark.String); ok {
								spec.values = append(spec.values, string(s))
							}
						}
					}
				}
			}
			return spec, nil
		})
	}
	return &module{name: "attr", members: members}
}

// module is a named struct of builtins (attr, native, json, ...); a missing
// member of a permissive module is a stub.
type module struct {
	name       string
	members    starlark.StringDict
	permissive bool
}

func (m *module) String() string        { return "<module " + m.name + ">" }
func (m *module) Type() string          { return "module" }
func (m *module) Freeze()               {}
func (m *module) Truth() starlark.Bool  { return true }
func (m *module) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: module") }
func (m *module) AttrNames() []string   { return m.members.Keys() }
func (m *module) Attr(name string) (starlark.Value, error) {
	if v, ok := m.members[name]; ok {
		return v, nil
	}
	if m.permissive {
		return &stub{m.name + "." + name}, nil
	}
	return nil, nil
}

// Attributes every rule has (Bazel's "common definitions": common, test and
// binary attributes); those that hold labels are typed.
var commonAttrs = map[string]string{
	"name": "string", "visibility": "visibility", "tags": "string_list", "testonly": "bool",
	"deprecation": "string", "features": "string_list", "licenses": "string_list",
	"compatible_with": "label_list", "restricted_to": "label_list",
	"target_compatible_with": "label_list", "exec_compatible_with": "label_list",
	"exec_group_compatible_with": "string_list_dict", "exec_properties": "string_dict",
	"applicable_licenses": "label_list", "package_metadata": "label_list", "aspect_hints": "label_list",
	"toolchains": "label_list", "transitive_configs": "label_list", "distribs": "string_list",
}

var testAttrs = map[string]string{
	"args": "string_list", "env": "string_dict", "env_inherit": "string_list", "size": "string",
	"timeout": "string", "flaky": "bool", "shard_count": "int", "local": "bool",
}

var binaryAttrs = map[string]string{"args": "string_list", "env": "string_dict", "output_licenses": "string_list"}

// ruleClass is what rule() returns: calling it in a package declares a target.
type ruleClass struct {
	name   string // the name it is exported as (set on first call)
	file   string
	attrs  map[string]*attrSpec
	test   bool
	exec   bool
	native bool // a Bazel-native rule: attribute types from nativeRules
	open   bool // an external repository's native rule we do not type
}

func (r *ruleClass) String() string        { return "<rule " + r.name + ">" }
func (r *ruleClass) Type() string          { return "rule" }
func (r *ruleClass) Freeze()               {}
func (r *ruleClass) Truth() starlark.Bool  { return true }
func (r *ruleClass) Hash() (uint32, error) { return starlark.String(r.file + r.name).Hash() }
func (r *ruleClass) Name() string          { return r.name }

func (r *ruleClass) spec(attr string) (*attrSpec, bool) {
	if a, ok := r.attrs[attr]; ok {
		return a, true
	}
	if k, ok := commonAttrs[attr]; ok {
		return &attrSpec{kind: k}, true
	}
	if r.test {
		if k, ok := testAttrs[attr]; ok {
			return &attrSpec{kind: k}, true
		}
	}
	if r.exec {
		if k, ok := binaryAttrs[attr]; ok {
			return &attrSpec{kind: k}, true
		}
	}
	return nil, false
}

func (r *ruleClass) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%s: rules take keyword arguments only", r.name)
	}
	return starlark.None, checkerOf(thread).declare(thread, r, kwargs)
}

// Bazel-native rules used by this repository and the rulesets' macros, with
// the attributes the Build Encyclopedia lists for them. A native rule not
// here is a finding in the main repository (extend the table from the
// encyclopedia), and untyped in external ones.
var nativeRules = map[string]map[string]string{
	"alias":              {"actual": "label"},
	"config_setting":     {"constraint_values": "label_list", "define_values": "string_dict", "flag_values": "label_keyed_string_dict", "values": "string_dict"},
	"constraint_setting": {"default_constraint_value": "label"},
	"constraint_value":   {"constraint_setting": "label"},
	"filegroup":          {"data": "label_list", "output_group": "string", "srcs": "label_list"},
	"genrule": {"cmd": "string", "cmd_bash": "string", "cmd_bat": "string", "cmd_ps": "string",
		"executable": "bool", "local": "bool", "message": "string", "output_to_bindir": "bool",
		"outs": "output_list", "srcs": "label_list", "tools": "label_list"},
	"platform": {"constraint_values": "label_list", "exec_properties": "string_dict", "flags": "string_list",
		"missing_toolchain_error": "string", "parents": "label_list", "required_settings": "label_list"},
	"test_suite":     {"tests": "label_list"},
	"toolchain":      {"exec_compatible_with": "label_list", "target_compatible_with": "label_list", "target_settings": "label_list", "toolchain": "label", "toolchain_type": "label"},
	"toolchain_type": {},
	"package_group":  {"includes": "label_list", "packages": "string_list"},
}

func nativeRule(name string, open bool) *ruleClass {
	r := &ruleClass{name: name, native: true, attrs: map[string]*attrSpec{}}
	kinds, known := nativeRules[name]
	r.open = open && !known
	for attr, kind := range kinds {
		r.attrs[attr] = &attrSpec{kind: kind}
	}
	r.test = strings.HasSuffix(name, "_test")
	r.exec = strings.HasSuffix(name, "_binary") || name == "genrule"
	return r
}
