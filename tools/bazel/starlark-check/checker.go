package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Problem is one finding, at the main repository's file and line.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// repo is one repository: the main one, a module from the pinned sources
// (or only its registry overlay), or one an extension generates.
type repo struct {
	key     string
	dir     string
	kind    string // main, module, overlay, generated
	version string
	mapping map[string]string // apparent name -> repo key
	// For generated repositories this check can model: package -> BUILD text.
	synth map[string]string
	// Generated .bzl files (path -> source) a repository rule would write.
	synthBzl map[string]string
}

type target struct {
	Label string         `json:"label"`
	Kind  string         `json:"kind"`
	File  string         `json:"file"`
	Line  int            `json:"line"`
	Via   []string       `json:"macros,omitempty"`
	Attrs map[string]any `json:"attrs"`
	pkg   *pkg
}

type pkg struct {
	repo    *repo
	path    string
	file    string // BUILD file (absolute), "" when synthesized
	targets map[string]*target
	outputs map[string]*target
	err     error
	// package(default_visibility = ...), for targets that set none.
	defaultVisibility []any
}

type reference struct {
	from  *target
	attr  string
	label label
	text  string
}

type loaded struct {
	globals starlark.StringDict
	err     error
	busy    bool
}

type checker struct {
	root, rulesets, bcr, bazelVersion string
	aliases                           map[string]string
	repos                             map[string]*repo
	pkgs                              map[string]*pkg
	files                             map[string]*loaded
	parsed                            map[string]*syntax.File
	problems                          []Problem
	refs                              []reference
	mod                               *moduleFile
	unverified                        map[string]bool
}

func newChecker(root, rulesets, bcr, bazelVersion string) *checker {
	return &checker{
		root: root, rulesets: rulesets, bcr: bcr, bazelVersion: bazelVersion,
		aliases:    map[string]string{},
		repos:      map[string]*repo{},
		pkgs:       map[string]*pkg{},
		files:      map[string]*loaded{},
		parsed:     map[string]*syntax.File{},
		unverified: map[string]bool{},
	}
}

func checkerOf(t *starlark.Thread) *checker { return t.Local("checker").(*checker) }

func (c *checker) rel(path string) string {
	if r, err := filepath.Rel(c.root, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

func (c *checker) problem(file string, line int, format string, args ...any) {
	c.problems = append(c.problems, Problem{c.rel(file), line, fmt.Sprintf(format, args...)})
}

// evalProblem reports an evaluation error at its innermost main-repository frame.
func (c *checker) evalProblem(fallback string, err error) {
	file, line := fallback, 0
	msg := err.Error()
	if ee, ok := err.(*starlark.EvalError); ok {
		msg = ee.Msg
		for i := len(ee.CallStack) - 1; i >= 0; i-- {
			pos := ee.CallStack[i].Pos
			if strings.HasPrefix(pos.Filename(), c.root+string(filepath.Separator)) {
				file, line = pos.Filename(), int(pos.Line)
				break
			}
		}
		if line == 0 {
			msg = ee.Backtrace()
		}
	} else if se, ok := err.(syntax.Error); ok {
		file, line, msg = se.Pos.Filename(), int(se.Pos.Line), se.Msg
	} else if rl, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range rl.Unwrap() {
			c.evalProblem(fallback, e)
		}
		return
	}
	c.problem(file, line, "%s", msg)
}

func (c *checker) run() {
	main := &repo{key: "", dir: c.root, kind: "main", mapping: map[string]string{}}
	c.repos[""] = main
	// Bazel's own repository: its .bzl files are Bazel's, so stubs.
	c.repos["bazel_tools"] = &repo{key: "bazel_tools", kind: "generated", mapping: map[string]string{}}
	c.loadModules()
	for _, build := range c.buildFiles() {
		dir := filepath.Dir(build)
		path, _ := filepath.Rel(c.root, dir)
		if path == "." {
			path = ""
		}
		c.evalPackage(main, filepath.ToSlash(path))
	}
	c.checkReferences()
}

// buildFiles lists the main repository's BUILD files (Bazel's packages).
func (c *checker) buildFiles() []string {
	var out []string
	_ = filepath.WalkDir(c.root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && path != c.root && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "bazel-") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (d.Name() == "BUILD.bazel" || d.Name() == "BUILD") {
			out = append(out, path)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func buildFileIn(dir string) string {
	for _, n := range []string{"BUILD.bazel", "BUILD"} {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && !st.IsDir() {
			return filepath.Join(dir, n)
		}
	}
	return ""
}

// parseLabel resolves a label string as written in repository `from`, package `pkg`.
func (c *checker) parseLabel(s, from, pkgPath string) (label, error) {
	if strings.HasPrefix(s, "@@") {
		rest := s[2:]
		name, tail, _ := strings.Cut(rest, "//")
		return c.parseLabel("//"+tail, name, "")
	}
	if strings.HasPrefix(s, "@") {
		name, tail, found := strings.Cut(s[1:], "//")
		if !found {
			tail = ":" + name
		}
		r := c.repos[from]
		key, ok := r.mapping[name]
		if !ok && name == "bazel_tools" {
			key, ok = "bazel_tools", true
		}
		if !ok && r.kind != "main" {
			// A ruleset's repository whose name only its extensions know.
			key, ok = "+"+from+"+"+name, true
			if c.repos[key] == nil {
				c.repos[key] = &repo{key: key, kind: "generated", mapping: map[string]string{}}
			}
		}
		if !ok {
			return label{}, fmt.Errorf("no repository is visible as @%s from %s", name, displayRepo(from))
		}
		l, err := c.parseLabel("//"+tail, key, "")
		if err == nil && !found {
			l.name = name
		}
		return l, err
	}
	if strings.HasPrefix(s, "//") {
		p, name, found := strings.Cut(s[2:], ":")
		if !found {
			name = p[strings.LastIndex(p, "/")+1:]
		}
		if name == "" {
			return label{}, fmt.Errorf("invalid label %q: empty target name", s)
		}
		return label{from, p, name}, nil
	}
	name := strings.TrimPrefix(s, ":")
	if name == "" || strings.HasPrefix(name, "/") {
		return label{}, fmt.Errorf("invalid label %q", s)
	}
	return label{from, pkgPath, name}, nil
}

// displayPkg is a package as a user writes it: //pkg or @repo//pkg.
func displayPkg(key, path string) string {
	if key == "" {
		return "//" + path
	}
	return displayRepo(key) + "//" + path
}

func displayRepo(key string) string {
	if key == "" {
		return "the main repository"
	}
	return "@" + strings.TrimPrefix(key, "+")
}

// fileOf maps an evaluated file back to its repository and package.
func (c *checker) fileOf(path string) (*repo, string) {
	var best *repo
	for _, r := range c.repos {
		if r.dir != "" && (path == r.dir || strings.HasPrefix(path, r.dir+string(filepath.Separator))) {
			if best == nil || len(r.dir) > len(best.dir) {
				best = r
			}
		}
	}
	if best == nil {
		for _, r := range c.repos {
			if strings.HasPrefix(path, "<"+r.key+">/") {
				p := strings.TrimPrefix(path, "<"+r.key+">/")
				return r, filepath.ToSlash(filepath.Dir(p))
			}
		}
		return c.repos[""], ""
	}
	rel, _ := filepath.Rel(best.dir, filepath.Dir(path))
	if rel == "." {
		rel = ""
	}
	return best, filepath.ToSlash(rel)
}

// callerFile is the file of the innermost Starlark frame (not a builtin).
func callerFile(t *starlark.Thread) string {
	stack := t.CallStack()
	for i := len(stack) - 1; i >= 0; i-- {
		if f := stack[i].Pos.Filename(); f != "<builtin>" && f != "" {
			return f
		}
	}
	return ""
}

func (c *checker) newThread(name string, p *pkg) *starlark.Thread {
	t := &starlark.Thread{Name: name, Load: c.load}
	t.SetLocal("checker", c)
	if p != nil {
		t.SetLocal("pkg", p)
	}
	return t
}

var fileOptions = &syntax.FileOptions{Set: true, While: true, TopLevelControl: true}

func (c *checker) parse(path string, src any) (*syntax.File, error) {
	if f, ok := c.parsed[path]; ok {
		return f, nil
	}
	if src == nil && !strings.HasPrefix(path, c.root+string(filepath.Separator)) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		src = javaStringEscapes(data)
	}
	f, err := fileOptions.Parse(path, src, 0)
	if err == nil {
		c.parsed[path] = f
	}
	return f, err
}

// load is Thread.Load: a .bzl by label, relative to the file that loads it.
func (c *checker) load(t *starlark.Thread, module string) (starlark.StringDict, error) {
	from := t.CallFrame(0).Pos.Filename()
	r, pkgPath := c.fileOf(from)
	l, err := c.parseLabel(module, r.key, pkgPath)
	if err != nil {
		return nil, err
	}
	target := c.repos[l.repo]
	if target == nil {
		return nil, fmt.Errorf("load(%q): repository %s is not known", module, displayRepo(l.repo))
	}
	rel := filepath.Join(filepath.FromSlash(l.pkg), l.name)
	if src, ok := target.synthBzl[filepath.ToSlash(rel)]; ok {
		return c.exec("<"+target.key+">/"+filepath.ToSlash(rel), src, false)
	}
	if target.version != "" && target.kind != "module" && r.kind == "main" {
		// The main repository's own loads must run the real code: a module
		// version without pinned sources would silently become stubs.
		return nil, fmt.Errorf("load(%q): no pinned sources for %s %s (add its archive as reference/bazel/SOURCES.md says)", module, l.repo, target.version)
	}
	if target.dir == "" || target.kind == "overlay" || target.kind == "generated" {
		// A repository only Bazel can produce (an extension's, or a module
		// without pinned sources): every symbol the caller loads is a stub.
		return c.stubModule(from, module, l)
	}
	path := filepath.Join(target.dir, rel)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("load(%q): %s has no file %s", module, displayRepo(l.repo), filepath.ToSlash(rel))
	}
	return c.exec(path, nil, target.kind == "main")
}

func (c *checker) stubModule(from, module string, l label) (starlark.StringDict, error) {
	c.unverified[displayRepo(l.repo)] = true
	f, err := c.parse(from, nil)
	if err != nil {
		return nil, err
	}
	out := starlark.StringDict{}
	for _, stmt := range f.Stmts {
		if ld, ok := stmt.(*syntax.LoadStmt); ok && ld.ModuleName() == module {
			for _, n := range ld.From {
				out[n.Name] = &stub{l.display() + "%" + n.Name}
			}
		}
	}
	return out, nil
}

// exec evaluates a .bzl file once. Files of the main repository must use
// only Bazel's builtins; a ruleset's may use builtins only Bazel's Java side
// has (CcInfo, cc_common, ...), which are stubs.
func (c *checker) exec(path string, src any, strict bool) (starlark.StringDict, error) {
	if l, ok := c.files[path]; ok {
		if l.busy {
			return nil, fmt.Errorf("cycle in load graph at %s", path)
		}
		return l.globals, l.err
	}
	entry := &loaded{busy: true}
	c.files[path] = entry
	f, err := c.parse(path, src)
	if err != nil {
		entry.err, entry.busy = err, false
		return nil, err
	}
	predeclared := c.bzlPredeclared()
	if !strict {
		syntax.Walk(f, func(n syntax.Node) bool {
			if id, ok := n.(*syntax.Ident); ok {
				if _, known := predeclared[id.Name]; !known && starlark.Universe[id.Name] == nil {
					predeclared[id.Name] = &stub{id.Name}
				}
			}
			return true
		})
	}
	prog, err := starlark.FileProgram(f, predeclared.Has)
	if err == nil {
		entry.globals, err = prog.Init(c.newThread(path, nil), predeclared)
		if entry.globals != nil {
			for k, v := range entry.globals {
				if r, ok := v.(*ruleClass); ok && r.name == "" {
					r.name = k
				}
			}
		}
	}
	entry.err, entry.busy = err, false
	return entry.globals, err
}

func (c *checker) pkgKey(repoKey, path string) string { return repoKey + "//" + path }

// evalPackage evaluates one BUILD file into its targets (once).
func (c *checker) evalPackage(r *repo, path string) *pkg {
	key := c.pkgKey(r.key, path)
	if p, ok := c.pkgs[key]; ok {
		return p
	}
	p := &pkg{repo: r, path: path, targets: map[string]*target{}, outputs: map[string]*target{}}
	c.pkgs[key] = p
	var src any
	if text, ok := r.synth[path]; ok {
		p.file = "<" + r.key + ">/" + path + "/BUILD.bazel"
		src = text
	} else if r.dir != "" {
		p.file = buildFileIn(filepath.Join(r.dir, filepath.FromSlash(path)))
	}
	if p.file == "" {
		p.err = fmt.Errorf("no package %s", displayPkg(r.key, path))
		return p
	}
	f, err := c.parse(p.file, src)
	if err != nil {
		p.err = err
		if r.kind == "main" {
			c.evalProblem(p.file, err)
		}
		return p
	}
	predeclared := c.buildPredeclared(r.kind != "main")
	if r.kind != "main" {
		syntax.Walk(f, func(n syntax.Node) bool {
			if id, ok := n.(*syntax.Ident); ok {
				if _, known := predeclared[id.Name]; !known && starlark.Universe[id.Name] == nil {
					predeclared[id.Name] = nativeRule(id.Name, true)
				}
			}
			return true
		})
	}
	prog, err := starlark.FileProgram(f, predeclared.Has)
	if err == nil {
		_, err = prog.Init(c.newThread(p.file, p), predeclared)
	}
	if err != nil {
		p.err = err
		if r.kind == "main" {
			c.evalProblem(p.file, err)
		}
	}
	return p
}

var conflictMessage = "%s %q in //%s conflicts with %s %q declared at %s"

// declare records a target that a rule call creates, with its checks.
func (c *checker) declare(t *starlark.Thread, r *ruleClass, kwargs []starlark.Tuple) error {
	p, _ := t.Local("pkg").(*pkg)
	if p == nil {
		return fmt.Errorf("%s: rules can only be instantiated while a BUILD file loads", r.name)
	}
	file, line, via := c.callSite(t, p)
	tg := &target{Kind: r.name, File: c.rel(file), Line: line, Via: via, Attrs: map[string]any{}, pkg: p}
	attrs := map[string]starlark.Value{}
	for _, kv := range kwargs {
		attrs[string(kv[0].(starlark.String))] = kv[1]
	}
	nameValue, ok := attrs["name"].(starlark.String)
	if !ok || nameValue == "" {
		return fmt.Errorf("%s: missing or non-string attribute 'name'", r.name)
	}
	name := string(nameValue)
	tg.Label = label{p.repo.key, p.path, name}.display()
	main := p.repo.kind == "main"
	report := func(format string, args ...any) {
		if main {
			c.problem(file, line, "%s: %s", tg.Label, fmt.Sprintf(format, args...))
		}
	}

	if prev, ok := p.targets[name]; ok {
		report(conflictMessage, "target", name, p.path, "target", name, prev.where())
	} else if prev, ok := p.outputs[name]; ok {
		report(conflictMessage, "target", name, p.path, "output file of", prev.Label, prev.where())
	}
	p.targets[name] = tg

	for _, attr := range sortedKeys(attrs) {
		value := attrs[attr]
		if value == starlark.None {
			continue
		}
		spec, known := r.spec(attr)
		if !known {
			if !r.open {
				report("rule %s has no attribute %q", r.name, attr)
			}
			continue
		}
		tg.Attrs[attr] = toJSON(value)
		if !spec.isLabel() {
			if len(spec.values) > 0 {
				if s, ok := value.(starlark.String); ok && !contains(spec.values, string(s)) {
					report("attribute %s of %s must be one of %v, not %q", attr, r.name, spec.values, s)
				}
			}
			continue
		}
		for _, cond := range selectKeys(value) {
			if cond != "//conditions:default" {
				c.reference(tg, attr+" (select key)", cond, p, report)
			}
		}
		for _, v := range variants(value) {
			labels, err := labelsOf(spec.kind, v)
			if err != nil {
				report("attribute %s of %s: %v", attr, r.name, err)
				continue
			}
			seen := map[string]bool{}
			for _, text := range labels {
				if spec.kind == "output" || spec.kind == "output_list" {
					c.output(tg, p, text, report)
					continue
				}
				l := c.reference(tg, attr, text, p, report)
				if l != nil && spec.kind == "label_list" {
					if seen[l.String()] {
						report("label %s is duplicated in attribute %s", l.display(), attr)
					}
					seen[l.String()] = true
				}
			}
		}
	}
	for attr, spec := range r.attrs {
		if _, set := attrs[attr]; spec.mandatory && !set && main {
			report("missing value for mandatory attribute %q of %s", attr, r.name)
		}
	}
	return nil
}

func (tg *target) where() string { return fmt.Sprintf("%s:%d", tg.File, tg.Line) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// output declares a file a rule writes into the package.
func (c *checker) output(tg *target, p *pkg, name string, report func(string, ...any)) {
	if prev, ok := p.targets[name]; ok && prev != tg {
		report(conflictMessage, "output file", name, p.path, "target", prev.Label, prev.where())
	} else if prev, ok := p.outputs[name]; ok {
		report(conflictMessage, "output file", name, p.path, "output file of", prev.Label, prev.where())
	} else if p.repo.kind == "main" {
		if st, err := os.Stat(filepath.Join(c.root, filepath.FromSlash(p.path), filepath.FromSlash(name))); err == nil && !st.IsDir() {
			report("output file %q conflicts with the source file of that name", name)
		}
	}
	p.outputs[name] = tg
}

// reference records a label an attribute names, checked once every package has loaded.
func (c *checker) reference(tg *target, attr, text string, p *pkg, report func(string, ...any)) *label {
	if strings.HasPrefix(text, "@@") && strings.Contains(text, "//") {
		l := c.canonical(text)
		c.refs = append(c.refs, reference{tg, attr, l, l.display()})
		return &l
	}
	l, err := c.parseLabel(text, p.repo.key, p.path)
	if err != nil {
		report("attribute %s: %v", attr, err)
		return nil
	}
	c.refs = append(c.refs, reference{tg, attr, l, text})
	return &l
}

// canonical parses a Label's own string form (@@key//pkg:name).
func (c *checker) canonical(s string) label {
	repoKey, rest, _ := strings.Cut(s[2:], "//")
	p, name, _ := strings.Cut(rest, ":")
	return label{repoKey, p, name}
}

func labelsOf(kind string, v starlark.Value) ([]string, error) {
	one := func(x starlark.Value) (string, error) {
		switch x := x.(type) {
		case starlark.String:
			return string(x), nil
		case *labelValue:
			return x.l.String(), nil
		}
		return "", fmt.Errorf("expected a label, got %s %s", x.Type(), x)
	}
	switch kind {
	case "label", "output":
		s, err := one(v)
		return []string{s}, err
	case "label_list", "output_list":
		l, ok := v.(*starlark.List)
		if !ok {
			return nil, fmt.Errorf("expected a list of labels, got %s", v.Type())
		}
		var out []string
		for i := 0; i < l.Len(); i++ {
			s, err := one(l.Index(i))
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	case "label_keyed_string_dict", "string_keyed_label_dict":
		d, ok := v.(*starlark.Dict)
		if !ok {
			return nil, fmt.Errorf("expected a dict, got %s", v.Type())
		}
		var out []string
		for _, item := range d.Items() {
			x := item[0]
			if kind == "string_keyed_label_dict" {
				x = item[1]
			}
			s, err := one(x)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, nil
}

// callSite is where in the BUILD file a target comes from, and the macros
// (innermost last) that the call went through.
func (c *checker) callSite(t *starlark.Thread, p *pkg) (string, int, []string) {
	stack := t.CallStack()
	file, line := p.file, 0
	var via []string
	for i, fr := range stack {
		if fr.Pos.Filename() == p.file {
			line = int(fr.Pos.Line)
			via = nil
			for _, inner := range stack[i+1:] {
				if inner.Name != "" && inner.Pos.Filename() != "<builtin>" && !strings.HasPrefix(inner.Name, "<") {
					via = append(via, inner.Name)
				}
			}
		}
	}
	return file, line, via
}

func toJSON(v starlark.Value) any {
	switch v := v.(type) {
	case starlark.String:
		return string(v)
	case starlark.Bool:
		return bool(v)
	case starlark.Int:
		i, _ := v.Int64()
		return i
	case *labelValue:
		return v.l.display()
	case *starlark.List:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = toJSON(v.Index(i))
		}
		return out
	case starlark.Tuple:
		out := make([]any, len(v))
		for i := range v {
			out[i] = toJSON(v[i])
		}
		return out
	case *starlark.Dict:
		out := map[string]any{}
		for _, item := range v.Items() {
			k := item[0].String()
			if s, ok := item[0].(starlark.String); ok {
				k = string(s)
			} else if l, ok := item[0].(*labelValue); ok {
				k = l.l.display()
			}
			out[k] = toJSON(item[1])
		}
		return out
	case *selectValue:
		parts := []any{}
		for _, p := range v.parts {
			if b, ok := p.(selectBranch); ok {
				parts = append(parts, map[string]any{"select": toJSON(b.Dict)})
			} else {
				parts = append(parts, toJSON(p))
			}
		}
		return map[string]any{"select_sum": parts}
	}
	return v.String()
}

// checkReferences resolves every recorded label against the packages that declare it.
func (c *checker) checkReferences() {
	for _, ref := range c.refs {
		if ref.from.pkg.repo.kind != "main" {
			continue
		}
		msg := c.resolve(ref.label)
		if msg == "" {
			msg = c.invisible(ref.label, ref.from.pkg)
		}
		if msg != "" {
			c.problem(filepath.Join(c.root, ref.from.File), ref.from.Line, "%s: attribute %s: %s: %s", ref.from.Label, ref.attr, ref.text, msg)
		}
	}
}

// resolve says why a label names nothing ("" when it names a target or file).
func (c *checker) resolve(l label) string {
	if l.repo == "bazel_tools" || (l.repo == "" && (l.pkg == "visibility" || l.pkg == "conditions")) {
		return ""
	}
	r := c.repos[l.repo]
	if r == nil {
		return "repository " + displayRepo(l.repo) + " is not known"
	}
	if r.kind == "generated" && r.synth == nil {
		c.unverified[displayRepo(l.repo)] = true
		return ""
	}
	p := c.evalPackage(r, l.pkg)
	if p.err != nil && p.file == "" {
		if owner := c.owningPackage(r, l); owner != "" {
			return fmt.Sprintf("no package %s (the file belongs to %s)", displayPkg(r.key, l.pkg), owner)
		}
		return fmt.Sprintf("no package %s", displayPkg(r.key, l.pkg))
	}
	if p.err != nil && r.kind != "main" {
		return fmt.Sprintf("%s does not evaluate: %v", displayPkg(r.key, l.pkg), firstLine(p.err))
	}
	if _, ok := p.targets[l.name]; ok {
		return ""
	}
	if _, ok := p.outputs[l.name]; ok {
		return ""
	}
	if r.dir != "" && r.synth == nil {
		file := filepath.Join(r.dir, filepath.FromSlash(l.pkg), filepath.FromSlash(l.name))
		if st, err := os.Stat(file); err == nil && !st.IsDir() {
			if inner := c.subpackageOf(r, l); inner != "" {
				return fmt.Sprintf("the file is in package %s, not %s", displayPkg(r.key, inner), displayPkg(r.key, l.pkg))
			}
			return ""
		}
	}
	return fmt.Sprintf("no target or file %q in %s", l.name, displayPkg(r.key, l.pkg))
}

// invisible says why a main-repository target may not be used from package
// `from` ("" when it may): its visibility, else the package's default
// (private). Source files and package groups are not checked.
func (c *checker) invisible(l label, from *pkg) string {
	p := c.pkgs[c.pkgKey(l.repo, l.pkg)]
	if l.repo != "" || p == nil || p.path == from.path {
		return ""
	}
	tg, ok := p.targets[l.name]
	if !ok {
		if tg, ok = p.outputs[l.name]; !ok {
			return ""
		}
	}
	visibility, set := tg.Attrs["visibility"].([]any)
	if !set {
		visibility = p.defaultVisibility
	}
	for _, v := range visibility {
		s, _ := v.(string)
		vl, err := c.parseLabel(s, "", p.path)
		switch {
		case err != nil || s == "//visibility:public" || vl.repo != "":
			return ""
		case vl.name == "__pkg__" && vl.pkg == from.path:
			return ""
		case vl.name == "__subpackages__" && (vl.pkg == "" || from.path == vl.pkg || strings.HasPrefix(from.path, vl.pkg+"/")):
			return ""
		case vl.name != "__pkg__" && vl.name != "__subpackages__" && s != "//visibility:private":
			return "" // a package_group
		}
	}
	return fmt.Sprintf("%s is not visible to //%s (visibility %v)", tg.Label, from.path, visibility)
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// subpackageOf is the package below l.pkg that owns the file l names, if any.
func (c *checker) subpackageOf(r *repo, l label) string {
	parts := strings.Split(l.name, "/")
	for i := len(parts) - 1; i >= 1; i-- {
		dir := filepath.Join(r.dir, filepath.FromSlash(l.pkg), filepath.Join(parts[:i]...))
		if buildFileIn(dir) != "" {
			return strings.TrimPrefix(l.pkg+"/"+strings.Join(parts[:i], "/"), "/")
		}
	}
	return ""
}

func (c *checker) owningPackage(r *repo, l label) string {
	if r.dir == "" {
		return ""
	}
	dir := filepath.Join(r.dir, filepath.FromSlash(l.pkg))
	for {
		if buildFileIn(dir) != "" {
			rel, _ := filepath.Rel(r.dir, dir)
			return "//" + strings.TrimPrefix(filepath.ToSlash(rel), ".")
		}
		if dir == r.dir {
			return ""
		}
		dir = filepath.Dir(dir)
	}
}

func (c *checker) report() map[string]any {
	var targets []*target
	outputs := map[string]string{}
	for _, key := range sortedKeys(c.pkgs) {
		p := c.pkgs[key]
		if p.repo.kind != "main" {
			continue
		}
		for _, name := range sortedKeys(p.targets) {
			targets = append(targets, p.targets[name])
		}
		for name, tg := range p.outputs {
			outputs[label{"", p.path, name}.display()] = tg.Label
		}
	}
	sort.SliceStable(c.problems, func(i, j int) bool {
		if c.problems[i].File != c.problems[j].File {
			return c.problems[i].File < c.problems[j].File
		}
		return c.problems[i].Line < c.problems[j].Line
	})
	return map[string]any{
		"problems":   append([]Problem{}, c.problems...),
		"targets":    targets,
		"outputs":    outputs,
		"module":     c.mod,
		"unverified": sortedKeys(c.unverified),
	}
}

// Bazel's (Java) Starlark strings are UTF-16 code units, so an octal escape
// above \177 is a character; go.starlark.net's are UTF-8 bytes and reject
// it. Rulesets use these only in character tables (aspect_bazel_lib's
// strings.bzl), so they become the same code point as a \u escape.
var highOctal = regexp.MustCompile(`\\([23][0-7][0-7])`)

func javaStringEscapes(src []byte) []byte {
	return highOctal.ReplaceAllFunc(src, func(m []byte) []byte {
		n, _ := strconv.ParseInt(string(m[1:]), 8, 32)
		return []byte(fmt.Sprintf("\\u%04x", n))
	})
}

// resolveExtra checks a label from outside the BUILD files ("file:line:label[=value]").
func (c *checker) resolveExtra(spec string) {
	parts := strings.SplitN(spec, ":", 3)
	if len(parts) != 3 {
		c.problem("", 0, "bad -resolve %q (want file:line:label)", spec)
		return
	}
	line, _ := strconv.Atoi(parts[1])
	file := filepath.Join(c.root, parts[0])
	text, value, hasValue := strings.Cut(parts[2], "=")
	l, err := c.parseLabel(text, "", "")
	if err != nil {
		c.problem(file, line, "%s: %v", text, err)
		return
	}
	if msg := c.resolve(l); msg != "" {
		c.problem(file, line, "%s: %s", text, msg)
		return
	}
	// A flag's value must be one its build setting allows (values = [...]).
	if p := c.pkgs[c.pkgKey(l.repo, l.pkg)]; hasValue && p != nil && p.targets[l.name] != nil {
		if allowed, ok := p.targets[l.name].Attrs["values"].([]any); ok && !slices.Contains(allowed, any(value)) {
			c.problem(file, line, "%s=%s: the flag allows only %v", text, value, allowed)
		}
	}
}
