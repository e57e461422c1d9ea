package main

import (
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// label is a resolved Bazel label: repo is the checker's repository key
// ("" for the main repository), pkg and name as in @repo//pkg:name.
type label struct {
	repo, pkg, name string
}

func (l label) String() string {
	return fmt.Sprintf("@@%s//%s:%s", l.repo, l.pkg, l.name)
}

// display is the label as a user writes it in the main repository.
func (l label) display() string {
	if l.repo == "" {
		return fmt.Sprintf("//%s:%s", l.pkg, l.name)
	}
	return fmt.Sprintf("@%s//%s:%s", strings.TrimPrefix(l.repo, "+"), l.pkg, l.name)
}

// labelValue is Starlark's Label.
type labelValue struct{ l label }

func (v *labelValue) String() string        { return v.l.String() }
func (v *labelValue) Type() string          { return "Label" }
func (v *labelValue) Freeze()               {}
func (v *labelValue) Truth() starlark.Bool  { return true }
func (v *labelValue) Hash() (uint32, error) { return starlark.String(v.l.String()).Hash() }
func (v *labelValue) AttrNames() []string {
	return []string{"name", "package", "repo_name", "workspace_name", "workspace_root", "same_package_label", "relative"}
}
func (v *labelValue) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	return starlark.String(v.l.String()).CompareSameType(op, starlark.String(y.(*labelValue).l.String()), depth)
}

func (v *labelValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(v.l.name), nil
	case "package":
		return starlark.String(v.l.pkg), nil
	case "repo_name", "workspace_name":
		return starlark.String(strings.TrimPrefix(v.l.repo, "+")), nil
	case "workspace_root":
		if v.l.repo == "" {
			return starlark.String(""), nil
		}
		return starlark.String("external/" + v.l.repo), nil
	case "same_package_label":
		return starlark.NewBuiltin("same_package_label", func(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			var n string
			if err := starlark.UnpackPositionalArgs("same_package_label", args, nil, 1, &n); err != nil {
				return nil, err
			}
			return &labelValue{label{v.l.repo, v.l.pkg, n}}, nil
		}), nil
	case "relative":
		return starlark.NewBuiltin("relative", func(t *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			var s string
			if err := starlark.UnpackPositionalArgs("relative", args, nil, 1, &s); err != nil {
				return nil, err
			}
			l, err := checkerOf(t).parseLabel(s, v.l.repo, v.l.pkg)
			return &labelValue{l}, err
		}), nil
	}
	return nil, nil
}

// selectValue is select() and sums of selects with lists, dicts or strings.
type selectValue struct {
	parts []starlark.Value // *starlark.Dict for a select(), anything else literal
}

func (s *selectValue) String() string        { return "select(...)" }
func (s *selectValue) Type() string          { return "select" }
func (s *selectValue) Freeze()               {}
func (s *selectValue) Truth() starlark.Bool  { return true }
func (s *selectValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: select") }

func (s *selectValue) Binary(op syntax.Token, y starlark.Value, side starlark.Side) (starlark.Value, error) {
	if op != syntax.PLUS && op != syntax.PIPE {
		return nil, nil
	}
	other := []starlark.Value{y}
	if ys, ok := y.(*selectValue); ok {
		other = ys.parts
	}
	if side == starlark.Left {
		return &selectValue{append(append([]starlark.Value{}, s.parts...), other...)}, nil
	}
	return &selectValue{append(append([]starlark.Value{}, other...), s.parts...)}, nil
}

// selectBranch marks a select()'s dict among the parts.
type selectBranch struct{ *starlark.Dict }

// variants lists every value an attribute can take: one per branch of each
// select (the other parts fixed), so a duplicate in any branch shows.
func variants(v starlark.Value) []starlark.Value {
	s, ok := v.(*selectValue)
	if !ok {
		return []starlark.Value{v}
	}
	base := []starlark.Value{}
	var branches [][]starlark.Value
	for i, p := range s.parts {
		if d, ok := p.(selectBranch); ok {
			var vs []starlark.Value
			for _, item := range d.Items() {
				vs = append(vs, concat(s.parts, i, item[1]))
			}
			branches = append(branches, vs)
			continue
		}
		base = append(base, p)
	}
	var out []starlark.Value
	for _, b := range branches {
		out = append(out, b...)
	}
	if len(out) == 0 && len(base) > 0 {
		out = append(out, concat(base, -1, nil))
	}
	return out
}

// concat sums parts with part i replaced by v (other selects dropped).
func concat(parts []starlark.Value, i int, v starlark.Value) starlark.Value {
	var acc starlark.Value
	for j, p := range parts {
		if j == i {
			p = v
		} else if _, ok := p.(selectBranch); ok {
			continue
		}
		if acc == nil {
			acc = p
			continue
		}
		sum, err := starlark.Binary(syntax.PLUS, acc, p)
		if err != nil {
			return acc
		}
		acc = sum
	}
	return acc
}

// selectKeys are the config_setting labels a value's selects branch on.
func selectKeys(v starlark.Value) []string {
	s, ok := v.(*selectValue)
	if !ok {
		return nil
	}
	var keys []string
	for _, p := range s.parts {
		if d, ok := p.(selectBranch); ok {
			for _, k := range d.Keys() {
				if ks, ok := k.(starlark.String); ok {
					keys = append(keys, string(ks))
				} else if kl, ok := k.(*labelValue); ok {
					keys = append(keys, kl.l.String())
				}
			}
		}
	}
	return keys
}

// stub stands for what only Bazel's Java side provides (builtin providers,
// ctx-only modules, repositories an extension would generate): any field,
// any call, always another stub.
type stub struct{ name string }

func (s *stub) String() string        { return "<" + s.name + ">" }
func (s *stub) Type() string          { return "builtin" }
func (s *stub) Freeze()               {}
func (s *stub) Truth() starlark.Bool  { return true }
func (s *stub) Hash() (uint32, error) { return starlark.String(s.name).Hash() }
func (s *stub) Name() string          { return s.name }
func (s *stub) Attr(name string) (starlark.Value, error) {
	return &stub{s.name + "." + name}, nil
}
func (s *stub) AttrNames() []string { return nil }
func (s *stub) CallInternal(_ *starlark.Thread, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	return &stub{s.name + "()"}, nil
}
func (s *stub) Iterate() starlark.Iterator { return emptyIter{} }
func (s *stub) Binary(op syntax.Token, y starlark.Value, side starlark.Side) (starlark.Value, error) {
	if op == syntax.IN || op == syntax.NOT_IN {
		return starlark.False, nil
	}
	return s, nil
}
func (s *stub) Get(starlark.Value) (starlark.Value, bool, error) { return s, true, nil }

type emptyIter struct{}

func (emptyIter) Next(*starlark.Value) bool { return false }
func (emptyIter) Done()                     {}

// depsetValue keeps a depset's direct and transitive items in order.
type depsetValue struct{ items []starlark.Value }

func (d *depsetValue) String() string        { return "depset(...)" }
func (d *depsetValue) Type() string          { return "depset" }
func (d *depsetValue) Freeze()               {}
func (d *depsetValue) Truth() starlark.Bool  { return len(d.items) > 0 }
func (d *depsetValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: depset") }
func (d *depsetValue) AttrNames() []string   { return []string{"to_list"} }
func (d *depsetValue) Attr(name string) (starlark.Value, error) {
	if name != "to_list" {
		return nil, nil
	}
	return starlark.NewBuiltin("to_list", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		seen := map[string]bool{}
		var out []starlark.Value
		for _, v := range d.items {
			k := v.String()
			if !seen[k] {
				seen[k] = true
				out = append(out, v)
			}
		}
		return starlark.NewList(out), nil
	}), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
