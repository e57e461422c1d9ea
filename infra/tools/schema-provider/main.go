// Command terraform-provider-google is a schema-faithful stand-in for the
// hashicorp/google provider, for `terraform validate` and `terraform test`
// with mock_provider "google" on machines that cannot build the real one.
//
// It serves the real provider's schema (rebuilt from its published CDK
// Terrain bindings by infra/tools/provider_schema.py) and no behaviour: every
// config that matches the schema is valid, plans mark computed attributes
// unknown, applies echo the plan. Terraform itself checks configurations
// against the schema: unknown arguments, missing required ones, wrong types
// and block counts. See infra/README.md, "What is proven here".
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tfprotov5/tf5server"
)

// schemaFileName is looked up next to the executable unless
// KV_GOOGLE_PROVIDER_SCHEMA names another file.
const schemaFileName = "schema.json"

func schemaPath() (string, error) {
	if path := os.Getenv("KV_GOOGLE_PROVIDER_SCHEMA"); path != "" {
		return path, nil
	}
	executable, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(executable), schemaFileName), nil
}

func main() {
	path, err := schemaPath()
	if err == nil {
		var provider *standIn
		provider, err = loadStandIn(path)
		if err == nil {
			err = tf5server.Serve("registry.terraform.io/hashicorp/google",
				func() tfprotov5.ProviderServer { return provider })
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-google (stand-in):", err)
		os.Exit(1)
	}
}
