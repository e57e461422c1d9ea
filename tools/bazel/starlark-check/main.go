// Command bazel-starlark-check evaluates a repository's MODULE.bazel and
// BUILD files with the pinned rulesets' own Starlark (go.starlark.net), the
// way Bazel's loading phase would, and prints what Bazel would reject:
// duplicate targets and outputs after macro expansion, labels repeated in a
// label list, unknown attributes, labels that no package declares, load() of
// undefined symbols, and every evaluation error, each with file:line.
//
// Only the native-rule boundary is stubbed: rule() records a rule class with
// its attr schema, native rules have their documented attributes, and what
// only Bazel's Java side or a repository rule provides is an inert stub.
// Macros run as written.
//
// Usage: bazel-starlark-check -root REPO -rulesets DIR -bcr DIR [-alias mod@v=v2]... [-resolve file:line:label[=value]]...
// Output: JSON {"problems": [...], "targets": [...], "outputs": {...}, "module": {...}}.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	root := flag.String("root", ".", "repository to check")
	rulesets := flag.String("rulesets", "", "directory with the unpacked rulesets, one <name>-<version>/ each")
	bcr := flag.String("bcr", "", "directory with the Bazel Central Registry's modules/")
	bazelVersion := flag.String("bazel-version", "", "Bazel release (native.bazel_version)")
	var aliases, resolve multiFlag
	flag.Var(&resolve, "resolve", "file:line:label[=value]: a label written outside BUILD files (a .bazelrc flag) that must name a target (and allow the value)")
	flag.Var(&aliases, "alias", "module@version=version: evaluate a module version from another version's sources")
	flag.Parse()

	absRoot, err := filepath.Abs(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	c := newChecker(absRoot, *rulesets, *bcr, *bazelVersion)
	for _, a := range aliases {
		from, to, ok := strings.Cut(a, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "bad -alias %q (want module@version=version)\n", a)
			os.Exit(2)
		}
		c.aliases[from] = to
	}
	c.run()
	for _, r := range resolve {
		c.resolveExtra(r)
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", " ")
	if err := out.Encode(c.report()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
