package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

func builtin(name string, fn func(t *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)) *starlark.Builtin {
	return starlark.NewBuiltin(name, func(t *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return fn(t, args, kwargs)
	})
}

func kwarg(kwargs []starlark.Tuple, name string) starlark.Value {
	for _, kv := range kwargs {
		if string(kv[0].(starlark.String)) == name {
			return kv[1]
		}
	}
	return nil
}

// arg is a positional or keyword argument.
func arg(args starlark.Tuple, kwargs []starlark.Tuple, i int, name string) starlark.Value {
	if i < len(args) {
		return args[i]
	}
	return kwarg(kwargs, name)
}

func stringsOf(v starlark.Value) []string {
	var out []string
	if it, ok := v.(starlark.Iterable); ok {
		iter := it.Iterate()
		defer iter.Done()
		var x starlark.Value
		for iter.Next(&x) {
			if s, ok := x.(starlark.String); ok {
				out = append(out, string(s))
			}
		}
	}
	return out
}

func currentPkg(t *starlark.Thread) (*pkg, error) {
	p, _ := t.Local("pkg").(*pkg)
	if p == nil {
		return nil, fmt.Errorf("only available while a BUILD file loads")
	}
	return p, nil
}

// common builtins of BUILD files and .bzl files.
func (c *checker) common() starlark.StringDict {
	return starlark.StringDict{
		"select": builtin("select", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			d, ok := arg(args, kwargs, 0, "x").(*starlark.Dict)
			if !ok {
				return nil, fmt.Errorf("select: expected a dict")
			}
			return &selectValue{parts: []starlark.Value{selectBranch{d}}}, nil
		}),
		"Label": builtin("Label", func(t *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			v := arg(args, kwargs, 0, "input")
			if l, ok := v.(*labelValue); ok {
				return l, nil
			}
			s, ok := v.(starlark.String)
			if !ok {
				return nil, fmt.Errorf("Label: expected a string")
			}
			r, pkgPath := c.fileOf(callerFile(t))
			if p, _ := t.Local("pkg").(*pkg); p != nil && callerFile(t) == p.file {
				r, pkgPath = p.repo, p.path
			}
			l, err := c.parseLabel(string(s), r.key, pkgPath)
			return &labelValue{l}, err
		}),
		"depset": builtin("depset", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			d := &depsetValue{}
			d.items = append(d.items, iterValues(arg(args, kwargs, 0, "direct"))...)
			for _, tr := range iterValues(kwarg(kwargs, "transitive")) {
				if inner, ok := tr.(*depsetValue); ok {
					d.items = append(d.items, inner.items...)
				}
			}
			return d, nil
		}),
		"json": json.Module,
	}
}

func iterValues(v starlark.Value) []starlark.Value {
	var out []starlark.Value
	if it, ok := v.(starlark.Iterable); ok && v != starlark.None {
		iter := it.Iterate()
		defer iter.Done()
		var x starlark.Value
		for iter.Next(&x) {
			out = append(out, x)
		}
	}
	return out
}

// bzlPredeclared are the globals of a .bzl file.
func (c *checker) bzlPredeclared() starlark.StringDict {
	d := c.common()
	d["struct"] = starlark.NewBuiltin("struct", starlarkstruct.Make)
	d["attr"] = attrModule()
	d["native"] = &module{name: "native", members: c.nativeMembers(false), permissive: false}
	d["rule"] = builtin("rule", func(t *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		r := &ruleClass{file: callerFile(t), attrs: map[string]*attrSpec{}}
		if d, ok := kwarg(kwargs, "attrs").(*starlark.Dict); ok {
			for _, item := range d.Items() {
				if spec, ok := item[1].(*attrSpec); ok {
					r.attrs[string(item[0].(starlark.String))] = spec
				} else {
					r.attrs[string(item[0].(starlark.String))] = &attrSpec{kind: "unknown"}
				}
			}
		}
		if v := kwarg(kwargs, "build_setting"); v != nil && v != starlark.None {
			r.attrs["build_setting_default"] = &attrSpec{kind: "unknown", mandatory: true}
		}
		r.test = kwarg(kwargs, "test") == starlark.True
		r.exec = r.test || kwarg(kwargs, "executable") == starlark.True
		return r, nil
	})
	d["provider"] = builtin("provider", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		p := &stub{"provider"}
		if init := kwarg(kwargs, "init"); init != nil && init != starlark.None {
			return starlark.Tuple{p, &stub{"provider_raw_constructor"}}, nil
		}
		return p, nil
	})
	d["module_extension"] = builtin("module_extension", func(_ *starlark.Thread, _ starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		ext := &extension{tags: map[string]*tagClass{}}
		if d, ok := kwarg(kwargs, "tag_classes").(*starlark.Dict); ok {
			for _, item := range d.Items() {
				if tc, ok := item[1].(*tagClass); ok {
					ext.tags[string(item[0].(starlark.String))] = tc
				}
			}
		}
		return ext, nil
	})
	d["tag_class"] = builtin("tag_class", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		tc := &tagClass{attrs: map[string]*attrSpec{}}
		if d, ok := arg(args, kwargs, 0, "attrs").(*starlark.Dict); ok {
			for _, item := range d.Items() {
				spec, _ := item[1].(*attrSpec)
				if spec == nil {
					spec = &attrSpec{kind: "unknown"}
				}
				tc.attrs[string(item[0].(starlark.String))] = spec
			}
		}
		return tc, nil
	})
	d["visibility"] = builtin("visibility", func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return starlark.None, nil
	})
	// Symbolic macros: the implementation runs with the attributes given.
	d["macro"] = builtin("macro", func(_ *starlark.Thread, _ starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		impl, _ := kwarg(kwargs, "implementation").(starlark.Callable)
		if impl == nil {
			return nil, fmt.Errorf("macro: implementation is required")
		}
		return builtin("macro", func(t *starlark.Thread, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			return starlark.Call(t, impl, args, kw)
		}), nil
	})
	for _, name := range []string{"aspect", "transition", "analysis_test_transition", "repository_rule",
		"exec_group", "subrule", "config_common", "platform_common", "config", "testing", "coverage_common",
		"DefaultInfo", "OutputGroupInfo", "RunEnvironmentInfo", "InstrumentedFilesInfo", "PackageSpecificationInfo",
		"apple_common", "cc_common", "CcInfo", "java_common", "JavaInfo", "ProtoInfo", "proto_common_do_not_use",
		"PyInfo", "PyRuntimeInfo", "py_internal", "use_repo_rule"} {
		d[name] = &stub{name}
	}
	return d
}

// buildPredeclared are the globals of a BUILD file.
func (c *checker) buildPredeclared(open bool) starlark.StringDict {
	d := c.common()
	for k, v := range c.nativeMembers(open) {
		d[k] = v
	}
	d["package"] = builtin("package", func(t *starlark.Thread, _ starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		p, err := currentPkg(t)
		if err != nil {
			return nil, err
		}
		if v := kwarg(kwargs, "default_visibility"); v == nil {
			return starlark.None, nil
		} else if v, ok := toJSON(v).([]any); ok {
			p.defaultVisibility = v
		}
		return starlark.None, nil
	})
	d["licenses"] = builtin("licenses", func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return starlark.None, nil
	})
	return d
}

func (c *checker) nativeMembers(open bool) starlark.StringDict {
	m := starlark.StringDict{}
	for name := range nativeRules {
		m[name] = nativeRule(name, open)
	}
	m["glob"] = builtin("glob", c.glob)
	m["exports_files"] = builtin("exports_files", c.exportsFiles)
	m["package_name"] = builtin("package_name", func(t *starlark.Thread, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
		p, err := currentPkg(t)
		if err != nil {
			return nil, err
		}
		return starlark.String(p.path), nil
	})
	m["repository_name"] = builtin("repository_name", func(t *starlark.Thread, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
		p, err := currentPkg(t)
		if err != nil {
			return nil, err
		}
		return starlark.String("@" + p.repo.key), nil
	})
	m["module_name"] = builtin("module_name", func(t *starlark.Thread, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
		p, err := currentPkg(t)
		if err != nil {
			return nil, err
		}
		if p.repo.kind == "main" {
			return starlark.String("kv_platform"), nil
		}
		return starlark.String(p.repo.key), nil
	})
	m["package_relative_label"] = builtin("package_relative_label", func(t *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		p, err := currentPkg(t)
		if err != nil {
			return nil, err
		}
		v := arg(args, kwargs, 0, "input")
		if l, ok := v.(*labelValue); ok {
			return l, nil
		}
		s, _ := v.(starlark.String)
		l, err := c.parseLabel(string(s), p.repo.key, p.path)
		return &labelValue{l}, err
	})
	m["existing_rule"] = builtin("existing_rule", func(t *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		p, err := currentPkg(t)
		if err != nil {
			return nil, err
		}
		name, _ := arg(args, kwargs, 0, "name").(starlark.String)
		if tg, ok := p.targets[string(name)]; ok {
			d := starlark.NewDict(2)
			_ = d.SetKey(starlark.String("name"), name)
			_ = d.SetKey(starlark.String("kind"), starlark.String(tg.Kind))
			return d, nil
		}
		return starlark.None, nil
	})
	m["bazel_version"] = starlark.String(c.bazelVersion)
	return m
}

// exportsFiles declares source files as targets of the package.
func (c *checker) exportsFiles(t *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := currentPkg(t)
	if err != nil {
		return nil, err
	}
	file, line, _ := c.callSite(t, p)
	for _, name := range stringsOf(arg(args, kwargs, 0, "srcs")) {
		if p.repo.kind == "main" {
			path := filepath.Join(c.root, filepath.FromSlash(p.path), filepath.FromSlash(name))
			if st, err := os.Stat(path); err != nil || st.IsDir() {
				c.problem(file, line, "exports_files: //%s has no file %q", p.path, name)
			}
		}
	}
	return starlark.None, nil
}

// glob follows Bazel: files only, never into a subpackage, and (Bazel 8's
// default --incompatible_disallow_empty_glob) a pattern that matches nothing
// is an error unless allow_empty = True.
func (c *checker) glob(t *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := currentPkg(t)
	if err != nil {
		return nil, err
	}
	include := stringsOf(arg(args, kwargs, 0, "include"))
	exclude := stringsOf(arg(args, kwargs, 1, "exclude"))
	allowEmpty := arg(args, kwargs, 3, "allow_empty") == starlark.True
	if p.repo.kind != "main" || p.repo.synth != nil {
		return starlark.NewList(nil), nil
	}
	dir := filepath.Join(p.repo.dir, filepath.FromSlash(p.path))
	var files []string
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if path != dir && buildFileIn(path) != "" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(files)
	excluded := compileGlobs(exclude)
	var out []starlark.Value
	seen := map[string]bool{}
	for _, pattern := range include {
		re := compileGlobs([]string{pattern})
		matched := false
		for _, f := range files {
			if re.MatchString(f) && !(excluded != nil && excluded.MatchString(f)) {
				matched = true
				if !seen[f] {
					seen[f] = true
					out = append(out, starlark.String(f))
				}
			}
		}
		if !matched && !allowEmpty {
			return nil, fmt.Errorf("glob pattern %q didn't match anything, but allow_empty is set to False (the default value of allow_empty can be set with --incompatible_disallow_empty_glob)", pattern)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].(starlark.String) < out[j].(starlark.String) })
	return starlark.NewList(out), nil
}

func compileGlobs(patterns []string) *regexp.Regexp {
	if len(patterns) == 0 {
		return nil
	}
	var alts []string
	for _, pattern := range patterns {
		var b strings.Builder
		segments := strings.Split(pattern, "/")
		for i, seg := range segments {
			last := i == len(segments)-1
			if seg == "**" {
				if last {
					b.WriteString(".*")
				} else {
					b.WriteString("(?:[^/]+/)*")
				}
				continue
			}
			for _, r := range seg {
				switch r {
				case '*':
					b.WriteString("[^/]*")
				case '?':
					b.WriteString("[^/]")
				default:
					b.WriteString(regexp.QuoteMeta(string(r)))
				}
			}
			if !last {
				b.WriteString("/")
			}
		}
		alts = append(alts, b.String())
	}
	return regexp.MustCompile("^(?:" + strings.Join(alts, "|") + ")$")
}

// extension is what module_extension() returns: its tag classes.
type extension struct{ tags map[string]*tagClass }

func (e *extension) String() string        { return "<module_extension>" }
func (e *extension) Type() string          { return "module_extension" }
func (e *extension) Freeze()               {}
func (e *extension) Truth() starlark.Bool  { return true }
func (e *extension) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable") }

type tagClass struct{ attrs map[string]*attrSpec }

func (tc *tagClass) String() string        { return "<tag_class>" }
func (tc *tagClass) Type() string          { return "tag_class" }
func (tc *tagClass) Freeze()               {}
func (tc *tagClass) Truth() starlark.Bool  { return true }
func (tc *tagClass) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable") }
