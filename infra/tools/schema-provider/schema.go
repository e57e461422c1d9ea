package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The `terraform providers schema -json` document, as far as it is read here.
type schemaDocument struct {
	FormatVersion   string                    `json:"format_version"`
	ProviderSchemas map[string]providerSchema `json:"provider_schemas"`
}

type providerSchema struct {
	Provider          jsonSchema            `json:"provider"`
	ResourceSchemas   map[string]jsonSchema `json:"resource_schemas"`
	DataSourceSchemas map[string]jsonSchema `json:"data_source_schemas"`
}

type jsonSchema struct {
	Version int64     `json:"version"`
	Block   jsonBlock `json:"block"`
}

type jsonBlock struct {
	Attributes map[string]jsonAttribute `json:"attributes"`
	BlockTypes map[string]jsonBlockType `json:"block_types"`
}

type jsonAttribute struct {
	Type      json.RawMessage `json:"type"`
	Required  bool            `json:"required"`
	Optional  bool            `json:"optional"`
	Computed  bool            `json:"computed"`
	Sensitive bool            `json:"sensitive"`
}

type jsonBlockType struct {
	NestingMode string    `json:"nesting_mode"`
	Block       jsonBlock `json:"block"`
	MinItems    int64     `json:"min_items"`
	MaxItems    int64     `json:"max_items"`
}

// typedSchema is one resource, data source or provider schema with the
// object type of its values.
type typedSchema struct {
	schema *tfprotov5.Schema
	object tftypes.Object
}

func readSchemaDocument(path string) (providerSchema, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return providerSchema{}, fmt.Errorf("reading the provider schema: %w (generate it with tools/setup.d/20-infra.sh)", err)
	}
	var document schemaDocument
	if err := json.Unmarshal(raw, &document); err != nil {
		return providerSchema{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(document.ProviderSchemas) != 1 {
		return providerSchema{}, fmt.Errorf("%s: want exactly one provider schema, got %d", path, len(document.ProviderSchemas))
	}
	for _, schema := range document.ProviderSchemas {
		return schema, nil
	}
	panic("unreachable")
}

func convertSchema(name string, in jsonSchema) (typedSchema, error) {
	block, object, err := convertBlock(in.Block)
	if err != nil {
		return typedSchema{}, fmt.Errorf("%s: %w", name, err)
	}
	return typedSchema{schema: &tfprotov5.Schema{Version: in.Version, Block: block}, object: object}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

func convertBlock(in jsonBlock) (*tfprotov5.SchemaBlock, tftypes.Object, error) {
	block := &tfprotov5.SchemaBlock{}
	types := map[string]tftypes.Type{}
	for _, name := range sortedKeys(in.Attributes) {
		attribute := in.Attributes[name]
		typ, err := parseType(attribute.Type)
		if err != nil {
			return nil, tftypes.Object{}, fmt.Errorf("attribute %s: %w", name, err)
		}
		block.Attributes = append(block.Attributes, &tfprotov5.SchemaAttribute{
			Name:      name,
			Type:      typ,
			Required:  attribute.Required,
			Optional:  attribute.Optional,
			Computed:  attribute.Computed,
			Sensitive: attribute.Sensitive,
		})
		types[name] = typ
	}
	for _, name := range sortedKeys(in.BlockTypes) {
		nested := in.BlockTypes[name]
		inner, object, err := convertBlock(nested.Block)
		if err != nil {
			return nil, tftypes.Object{}, fmt.Errorf("block %s: %w", name, err)
		}
		var mode tfprotov5.SchemaNestedBlockNestingMode
		switch nested.NestingMode {
		case "single":
			mode, types[name] = tfprotov5.SchemaNestedBlockNestingModeSingle, object
		case "list":
			mode, types[name] = tfprotov5.SchemaNestedBlockNestingModeList, tftypes.List{ElementType: object}
		case "set":
			mode, types[name] = tfprotov5.SchemaNestedBlockNestingModeSet, tftypes.Set{ElementType: object}
		default:
			return nil, tftypes.Object{}, fmt.Errorf("block %s: unsupported nesting mode %q", name, nested.NestingMode)
		}
		block.BlockTypes = append(block.BlockTypes, &tfprotov5.SchemaNestedBlock{
			TypeName: name,
			Block:    inner,
			Nesting:  mode,
			MinItems: nested.MinItems,
			MaxItems: nested.MaxItems,
		})
	}
	return block, tftypes.Object{AttributeTypes: types}, nil
}

// parseType reads a cty type in its JSON form: "string", ["list", "string"],
// ["object", {"a": "number"}], ...
func parseType(raw json.RawMessage) (tftypes.Type, error) {
	var primitive string
	if err := json.Unmarshal(raw, &primitive); err == nil {
		switch primitive {
		case "string":
			return tftypes.String, nil
		case "number":
			return tftypes.Number, nil
		case "bool":
			return tftypes.Bool, nil
		case "dynamic":
			return tftypes.DynamicPseudoType, nil
		}
		return nil, fmt.Errorf("unknown type %q", primitive)
	}
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return nil, fmt.Errorf("malformed type %s", raw)
	}
	var kind string
	if err := json.Unmarshal(pair[0], &kind); err != nil {
		return nil, fmt.Errorf("malformed type %s", raw)
	}
	if kind == "object" {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(pair[1], &fields); err != nil {
			return nil, fmt.Errorf("malformed object type %s", raw)
		}
		types := map[string]tftypes.Type{}
		for name, field := range fields {
			typ, err := parseType(field)
			if err != nil {
				return nil, err
			}
			types[name] = typ
		}
		return tftypes.Object{AttributeTypes: types}, nil
	}
	element, err := parseType(pair[1])
	if err != nil {
		return nil, err
	}
	switch kind {
	case "list":
		return tftypes.List{ElementType: element}, nil
	case "set":
		return tftypes.Set{ElementType: element}, nil
	case "map":
		return tftypes.Map{ElementType: element}, nil
	}
	return nil, fmt.Errorf("unknown type kind %q", kind)
}
