package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

type dep struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	RepoName string `json:"repo_name"`
	Dev      bool   `json:"dev_dependency"`
	Line     int    `json:"line"`
}

type tag struct {
	Extension string         `json:"extension"` // bzl label%name
	Proxy     string         `json:"proxy"`
	Tag       string         `json:"tag"`
	Attrs     map[string]any `json:"attrs"`
	Line      int            `json:"line"`
	raw       []starlark.Tuple
}

type useRepo struct {
	Proxy string `json:"proxy"`
	Name  string `json:"name"`
	Line  int    `json:"line"`
}

// moduleFile is what one MODULE.bazel declares.
type moduleFile struct {
	Name      string            `json:"name"`
	Deps      []dep             `json:"deps"`
	Tags      []*tag            `json:"tags"`
	UseRepos  []useRepo         `json:"use_repo"`
	Resolved  map[string]string `json:"resolved"`
	file      string
	proxies   map[string]*extProxy
	overrides map[string]string
}

type extProxy struct {
	id, bzl, name string
	line          int
	mf            *moduleFile
}

func (e *extProxy) String() string        { return "<extension " + e.bzl + "%" + e.name + ">" }
func (e *extProxy) Type() string          { return "module_extension_proxy" }
func (e *extProxy) Freeze()               {}
func (e *extProxy) Truth() starlark.Bool  { return true }
func (e *extProxy) Hash() (uint32, error) { return starlark.String(e.id).Hash() }
func (e *extProxy) AttrNames() []string   { return nil }
func (e *extProxy) Attr(name string) (starlark.Value, error) {
	return builtin(name, func(t *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		tg := &tag{Extension: e.bzl + "%" + e.name, Proxy: e.id, Tag: name, Attrs: map[string]any{}, Line: int(t.CallFrame(1).Pos.Line), raw: kwargs}
		for _, kv := range kwargs {
			tg.Attrs[string(kv[0].(starlark.String))] = toJSON(kv[1])
		}
		e.mf.Tags = append(e.mf.Tags, tg)
		return starlark.None, nil
	}), nil
}

func boolKw(kwargs []starlark.Tuple, name string) bool {
	v := kwarg(kwargs, name)
	return v != nil && bool(v.Truth())
}

func strKw(kwargs []starlark.Tuple, name string) string {
	s, _ := kwarg(kwargs, name).(starlark.String)
	return string(s)
}

// readModule evaluates a MODULE.bazel file with Bzlmod's functions.
func (c *checker) readModule(path string, root bool) (*moduleFile, error) {
	mf := &moduleFile{file: path, proxies: map[string]*extProxy{}, overrides: map[string]string{}}
	line := func(t *starlark.Thread) int { return int(t.CallFrame(1).Pos.Line) }
	none := func(name string) *starlark.Builtin {
		return builtin(name, func(*starlark.Thread, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			return starlark.None, nil
		})
	}
	predeclared := starlark.StringDict{
		"module": builtin("module", func(_ *starlark.Thread, _ starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			mf.Name = strKw(kwargs, "name")
			return starlark.None, nil
		}),
		"bazel_dep": builtin("bazel_dep", func(t *starlark.Thread, _ starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			d := dep{Name: strKw(kwargs, "name"), Version: strKw(kwargs, "version"), RepoName: strKw(kwargs, "repo_name"), Dev: boolKw(kwargs, "dev_dependency"), Line: line(t)}
			if d.RepoName == "" {
				d.RepoName = d.Name
			}
			if !d.Dev || root {
				mf.Deps = append(mf.Deps, d)
			}
			return starlark.None, nil
		}),
		"use_extension": builtin("use_extension", func(t *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			bzl, _ := arg(args, kwargs, 0, "extension_bzl_file").(starlark.String)
			name, _ := arg(args, kwargs, 1, "extension_name").(starlark.String)
			id := fmt.Sprintf("%s%%%s", bzl, name)
			if p, ok := mf.proxies[id]; ok {
				return p, nil
			}
			p := &extProxy{id: id, bzl: string(bzl), name: string(name), line: line(t), mf: mf}
			mf.proxies[id] = p
			return p, nil
		}),
		"use_repo": builtin("use_repo", func(t *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if len(args) == 0 {
				return nil, fmt.Errorf("use_repo: missing extension proxy")
			}
			p, ok := args[0].(*extProxy)
			if !ok {
				return nil, fmt.Errorf("use_repo: first argument must be a use_extension() result")
			}
			for _, a := range args[1:] {
				s, _ := a.(starlark.String)
				mf.UseRepos = append(mf.UseRepos, useRepo{p.id, string(s), line(t)})
			}
			for _, kv := range kwargs {
				mf.UseRepos = append(mf.UseRepos, useRepo{p.id, string(kv[0].(starlark.String)), line(t)})
			}
			return starlark.None, nil
		}),
		"single_version_override": builtin("single_version_override", func(_ *starlark.Thread, _ starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if v := strKw(kwargs, "version"); v != "" {
				mf.overrides[strKw(kwargs, "module_name")] = v
			}
			return starlark.None, nil
		}),
		"use_repo_rule": builtin("use_repo_rule", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return builtin("repo_rule", func(t *starlark.Thread, _ starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
				mf.UseRepos = append(mf.UseRepos, useRepo{"repo_rule", strKw(kw, "name"), line(t)})
				return starlark.None, nil
			}), nil
		}),
	}
	for _, name := range []string{"register_toolchains", "register_execution_platforms", "archive_override",
		"git_override", "local_path_override", "multiple_version_override", "inject_repo", "override_repo", "include"} {
		predeclared[name] = none(name)
	}
	t := &starlark.Thread{Name: path}
	_, err := starlark.ExecFileOptions(fileOptions, t, path, nil, predeclared)
	return mf, err
}

// moduleDir finds a module version's sources: the pinned archive, else the
// registry's overlay (a BUILD-only module such as redis), else nothing.
func (c *checker) moduleDir(name, version string) (string, string) {
	if v, ok := c.aliases[name+"@"+version]; ok {
		version = v
	}
	if dir := filepath.Join(c.rulesets, name+"-"+version); isDir(dir) {
		return dir, "module"
	}
	if dir := filepath.Join(c.bcr, "modules", name, version, "overlay"); isDir(dir) {
		return dir, "overlay"
	}
	return "", "generated"
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

func (c *checker) moduleFileOf(name, version string) string {
	dir, kind := c.moduleDir(name, version)
	if kind == "module" {
		return filepath.Join(dir, "MODULE.bazel")
	}
	return filepath.Join(c.bcr, "modules", name, version, "MODULE.bazel")
}

// compareVersions orders Bazel module versions (dotted numbers, then text).
func compareVersions(a, b string) int {
	pa, pb := strings.FieldsFunc(a, isSep), strings.FieldsFunc(b, isSep)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		if i >= len(pa) {
			return -1
		}
		if i >= len(pb) {
			return 1
		}
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		switch {
		case ea == nil && eb == nil && na != nb:
			if na < nb {
				return -1
			}
			return 1
		case ea != nil || eb != nil:
			if pa[i] != pb[i] {
				if pa[i] < pb[i] {
					return -1
				}
				return 1
			}
		}
	}
	return 0
}

func isSep(r rune) bool { return r == '.' || r == '-' || r == '+' }

// loadModules reads MODULE.bazel, resolves the dependency graph by minimal
// version selection over the modules' own MODULE.bazel files, and sets up
// each repository's mapping.
func (c *checker) loadModules() {
	rootFile := filepath.Join(c.root, "MODULE.bazel")
	mf, err := c.readModule(rootFile, true)
	if err != nil {
		c.evalProblem(rootFile, err)
		return
	}
	c.mod = mf
	selected := map[string]string{}
	files := map[string]*moduleFile{}
	var visit func(m *moduleFile)
	visit = func(m *moduleFile) {
		for _, d := range m.Deps {
			if v, ok := mf.overrides[d.Name]; ok {
				d.Version = v
			}
			if cur, ok := selected[d.Name]; !ok || compareVersions(d.Version, cur) > 0 {
				selected[d.Name] = d.Version
			}
		}
	}
	visit(mf)
	for changed := true; changed; {
		changed = false
		for _, name := range sortedKeys(selected) {
			key := name + "@" + selected[name]
			if _, ok := files[key]; ok {
				continue
			}
			changed = true
			m, err := c.readModule(c.moduleFileOf(name, selected[name]), false)
			if err != nil {
				m = &moduleFile{}
			}
			files[key] = m
			visit(m)
		}
	}
	mf.Resolved = selected
	main := c.repos[""]
	for _, d := range mf.Deps {
		main.mapping[d.RepoName] = d.Name
	}
	for name, version := range selected {
		dir, kind := c.moduleDir(name, version)
		r := &repo{key: name, dir: dir, kind: kind, version: version, mapping: map[string]string{name: name}}
		m := files[name+"@"+version]
		for _, d := range m.Deps {
			r.mapping[d.RepoName] = d.Name
		}
		for _, u := range m.UseRepos {
			key := "+" + name + "+" + u.Name
			r.mapping[u.Name] = key
			if _, ok := c.repos[key]; !ok {
				c.repos[key] = &repo{key: key, kind: "generated", mapping: map[string]string{}}
			}
		}
		c.repos[name] = r
	}
	// What repository rules generate and this check can render from the
	// rulesets' own templates.
	if r, ok := c.repos["bazel_features"]; ok {
		gen := c.repos["+bazel_features+bazel_features_version"]
		if gen == nil {
			gen = &repo{key: "+bazel_features+bazel_features_version", kind: "generated", mapping: map[string]string{}}
			c.repos[gen.key] = gen
			r.mapping["bazel_features_version"] = gen.key
		}
		// bazel_features' private/version_repo.bzl writes exactly this.
		gen.synthBzl = map[string]string{"version.bzl": "version = '" + c.bazelVersion + "'\n"}
	}
	for _, u := range mf.UseRepos {
		key := "+" + u.Name
		main.mapping[u.Name] = key
		c.repos[key] = &repo{key: key, kind: "generated", mapping: map[string]string{}}
	}
	c.checkExtensions(mf)
	c.synthesize(mf)
	c.synthPythonsHub(mf)
}

// synthPythonsHub renders rules_python's @pythons_hub//:versions.bzl from
// its own template (python/private/pythons_hub.bzl) for the toolchains that
// MODULE.bazel's python.toolchain tags ask for.
func (c *checker) synthPythonsHub(mf *moduleFile) {
	hub := c.repos["+rules_python+pythons_hub"]
	tmpl, _ := c.rulesetGlobals("rules_python", "python/private/pythons_hub.bzl")["_versions_bzl_template"].(starlark.String)
	minor, _ := c.rulesetGlobals("rules_python", "python/versions.bzl")["MINOR_MAPPING"].(*starlark.Dict)
	if hub == nil || tmpl == "" || minor == nil {
		return
	}
	var versions []starlark.Value
	defaultVersion := starlark.Value(starlark.String(""))
	for _, tg := range mf.Tags {
		if !strings.HasSuffix(tg.Extension, "python.bzl%python") || tg.Tag != "toolchain" {
			continue
		}
		v := kwarg(tg.raw, "python_version")
		if full, found, _ := minor.Get(v); found {
			v = full
		}
		versions = append(versions, v)
		if boolKw(tg.raw, "is_default") {
			defaultVersion = v
		}
	}
	format, _ := tmpl.Attr("format")
	out, err := starlark.Call(&starlark.Thread{}, format, nil, []starlark.Tuple{
		{starlark.String("default_python_version"), defaultVersion},
		{starlark.String("minor_mapping"), starlark.String(minor.String())},
		{starlark.String("python_versions"), starlark.String(starlark.NewList(versions).String())},
	})
	if err != nil {
		c.problem(mf.file, 0, "rendering rules_python's versions.bzl: %v", err)
		return
	}
	hub.synthBzl = map[string]string{"versions.bzl": string(out.(starlark.String))}
}

// checkExtensions evaluates each extension's .bzl and checks every tag
// against the extension's own tag_class attributes.
func (c *checker) checkExtensions(mf *moduleFile) {
	for _, id := range sortedKeys(mf.proxies) {
		p := mf.proxies[id]
		l, err := c.parseLabel(p.bzl, "", "")
		if err != nil {
			c.problem(mf.file, p.line, "use_extension(%q): %v", p.bzl, err)
			continue
		}
		r := c.repos[l.repo]
		if r == nil || r.kind != "module" {
			c.problem(mf.file, p.line, "use_extension(%q): no pinned sources for %s", p.bzl, displayRepo(l.repo))
			continue
		}
		globals, err := c.exec(filepath.Join(r.dir, filepath.FromSlash(l.pkg), l.name), nil, false)
		if err != nil {
			c.problem(mf.file, p.line, "use_extension(%q): %s", p.bzl, firstLine(err))
			continue
		}
		ext, ok := globals[p.name].(*extension)
		if !ok {
			c.problem(mf.file, p.line, "use_extension(%q, %q): the file defines no module extension %q", p.bzl, p.name, p.name)
			continue
		}
		for _, tg := range mf.Tags {
			if tg.Proxy != id {
				continue
			}
			tc, ok := ext.tags[tg.Tag]
			if !ok {
				c.problem(mf.file, tg.Line, "extension %s has no tag %q (it has %v)", p.name, tg.Tag, sortedKeys(ext.tags))
				continue
			}
			for _, kv := range tg.raw {
				if _, ok := tc.attrs[string(kv[0].(starlark.String))]; !ok {
					c.problem(mf.file, tg.Line, "%s.%s has no attribute %q", p.name, tg.Tag, kv[0].(starlark.String))
				}
			}
			for attr, spec := range tc.attrs {
				if spec.mandatory && kwarg(tg.raw, attr) == nil {
					c.problem(mf.file, tg.Line, "%s.%s: missing mandatory attribute %q", p.name, tg.Tag, attr)
				}
			}
		}
	}
}

var lockName = regexp.MustCompile(`(?m)^([A-Za-z0-9][A-Za-z0-9._-]*)==`)

// synthesize renders the repositories MODULE.bazel's extensions generate:
// pip hubs (one package per locked distribution, with rules_python's public
// target names from python/private/pypi/labels.bzl) and oci.pull images
// (rules_oci's own BUILD templates from oci/private/pull.bzl).
func (c *checker) synthesize(mf *moduleFile) {
	for _, tg := range mf.Tags {
		switch {
		case strings.HasSuffix(tg.Extension, "pip.bzl%pip") && tg.Tag == "parse":
			c.synthHub(mf, tg)
		case strings.HasSuffix(tg.Extension, "extensions.bzl%oci") && tg.Tag == "pull":
			c.synthPull(mf, tg)
		}
	}
}

func (c *checker) rulesetGlobals(module, path string) starlark.StringDict {
	r := c.repos[module]
	if r == nil || r.kind != "module" {
		return nil
	}
	g, err := c.exec(filepath.Join(r.dir, filepath.FromSlash(path)), nil, false)
	if err != nil {
		c.problem(c.mod.file, 0, "cannot evaluate @%s//%s: %s", module, path, firstLine(err))
	}
	return g
}

func (c *checker) synthHub(mf *moduleFile, tg *tag) {
	hub := strKw(tg.raw, "hub_name")
	r := c.repos["+"+hub]
	if r == nil {
		return
	}
	labels := c.rulesetGlobals("rules_python", "python/private/pypi/labels.bzl")
	var public []string
	for _, name := range sortedKeys(labels) {
		if s, ok := labels[name].(starlark.String); ok && !strings.HasPrefix(string(s), "_") && !strings.Contains(name, "PREFIX") {
			public = append(public, string(s))
		}
	}
	lockLabel := strKw(tg.raw, "requirements_lock")
	l, err := c.parseLabel(lockLabel, "", "")
	if err != nil {
		c.problem(mf.file, tg.Line, "pip.parse requirements_lock: %v", err)
		return
	}
	text, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(l.pkg), filepath.FromSlash(l.name)))
	if err != nil {
		c.problem(mf.file, tg.Line, "pip.parse requirements_lock %s: no such file", lockLabel)
		return
	}
	r.synth = map[string]string{}
	for _, m := range lockName.FindAllStringSubmatch(string(text), -1) {
		name := strings.ToLower(regexp.MustCompile(`[-_.]+`).ReplaceAllString(m[1], "_"))
		var b strings.Builder
		for _, t := range append([]string{name}, public...) {
			fmt.Fprintf(&b, "alias(name = %q, actual = %q, visibility = [\"//visibility:public\"])\n", t, "//:"+t)
		}
		r.synth[name] = b.String()
	}
}

func (c *checker) synthPull(mf *moduleFile, tg *tag) {
	pull := c.rulesetGlobals("rules_oci", "oci/private/pull.bzl")
	multi, _ := pull["_MULTI_PLATFORM_IMAGE_ALIAS_TMPL"].(starlark.String)
	single, _ := pull["_BUILD_FILE_TMPL"].(starlark.String)
	if multi == "" || single == "" {
		c.problem(mf.file, tg.Line, "rules_oci's pull.bzl has no BUILD templates to render oci.pull with")
		return
	}
	name := strKw(tg.raw, "name")
	render := func(tmpl starlark.String, targetName string) string {
		format, _ := tmpl.Attr("format")
		out, err := starlark.Call(&starlark.Thread{}, format, nil, []starlark.Tuple{
			{starlark.String("name"), starlark.String(targetName)},
			{starlark.String("target_name"), starlark.String(targetName)},
			{starlark.String("available_platforms"), starlark.String("")},
			{starlark.String("platform_map"), starlark.NewDict(0)},
			{starlark.String("purl"), starlark.String(`""`)},
			{starlark.String("bazel_tags"), starlark.String("[]")},
		})
		if err != nil {
			c.problem(mf.file, tg.Line, "rendering rules_oci's template: %v", err)
			return ""
		}
		return string(out.(starlark.String))
	}
	if r := c.repos["+"+name]; r != nil {
		r.synth = map[string]string{"": render(multi, name)}
	}
	for _, platform := range stringsOf(kwarg(tg.raw, "platforms")) {
		repoName := strings.Join(append([]string{name}, strings.Split(platform, "/")...), "_")
		if r := c.repos["+"+repoName]; r != nil {
			r.synth = map[string]string{"": render(single, repoName)}
		}
	}
}
