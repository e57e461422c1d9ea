package main

import (
	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// markComputedUnknown returns value with every computed attribute that the
// configuration left null made unknown, in nested blocks too: what a
// provider plans on create.
func markComputedUnknown(block *tfprotov5.SchemaBlock, value tftypes.Value) (tftypes.Value, error) {
	if value.IsNull() || !value.IsKnown() {
		return value, nil
	}
	var fields map[string]tftypes.Value
	if err := value.As(&fields); err != nil {
		return value, err
	}
	for _, attribute := range block.Attributes {
		if current, ok := fields[attribute.Name]; ok && attribute.Computed && current.IsNull() {
			fields[attribute.Name] = tftypes.NewValue(current.Type(), tftypes.UnknownValue)
		}
	}
	for _, nested := range block.BlockTypes {
		current, ok := fields[nested.TypeName]
		if !ok || current.IsNull() || !current.IsKnown() {
			continue
		}
		if nested.Nesting == tfprotov5.SchemaNestedBlockNestingModeSingle {
			marked, err := markComputedUnknown(nested.Block, current)
			if err != nil {
				return value, err
			}
			fields[nested.TypeName] = marked
			continue
		}
		var elements []tftypes.Value
		if err := current.As(&elements); err != nil {
			return value, err
		}
		for i, element := range elements {
			marked, err := markComputedUnknown(nested.Block, element)
			if err != nil {
				return value, err
			}
			elements[i] = marked
		}
		fields[nested.TypeName] = tftypes.NewValue(current.Type(), elements)
	}
	return tftypes.NewValue(value.Type(), fields), nil
}

// fillUnknowns returns value with unknowns made null, except a top-level
// `id`, which gets a placeholder: what this stand-in "creates".
func fillUnknowns(value tftypes.Value, typeName string) (tftypes.Value, error) {
	id := tftypes.NewAttributePath().WithAttributeName("id")
	return tftypes.Transform(value, func(path *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		if path.Equal(id) && v.Type().Is(tftypes.String) {
			return tftypes.NewValue(tftypes.String, typeName+"/stand-in"), nil
		}
		return tftypes.NewValue(v.Type(), nil), nil
	})
}

// readOnlySet lists the computed-only attributes that a configuration sets,
// in nested blocks too; the real provider's SDK rejects those the same way.
func readOnlySet(block *tfprotov5.SchemaBlock, value tftypes.Value, prefix string) ([]string, error) {
	if value.IsNull() || !value.IsKnown() {
		return nil, nil
	}
	var fields map[string]tftypes.Value
	if err := value.As(&fields); err != nil {
		return nil, err
	}
	var found []string
	for _, attribute := range block.Attributes {
		if current, ok := fields[attribute.Name]; ok && attribute.Computed && !attribute.Optional && !current.IsNull() {
			found = append(found, prefix+attribute.Name)
		}
	}
	for _, nested := range block.BlockTypes {
		current, ok := fields[nested.TypeName]
		if !ok || current.IsNull() || !current.IsKnown() {
			continue
		}
		elements := []tftypes.Value{current}
		if nested.Nesting != tfprotov5.SchemaNestedBlockNestingModeSingle {
			if err := current.As(&elements); err != nil {
				return nil, err
			}
		}
		for _, element := range elements {
			inner, err := readOnlySet(nested.Block, element, prefix+nested.TypeName+".")
			if err != nil {
				return nil, err
			}
			found = append(found, inner...)
		}
	}
	return found, nil
}

func readOnlyDiagnostics(typed typedSchema, config *tfprotov5.DynamicValue) ([]*tfprotov5.Diagnostic, error) {
	value, err := config.Unmarshal(typed.object)
	if err != nil {
		return nil, err
	}
	names, err := readOnlySet(typed.schema.Block, value, "")
	if err != nil {
		return nil, err
	}
	var diagnostics []*tfprotov5.Diagnostic
	for _, name := range names {
		diagnostics = append(diagnostics, &tfprotov5.Diagnostic{
			Severity: tfprotov5.DiagnosticSeverityError,
			Summary:  "Invalid Configuration for Read-Only Attribute",
			Detail:   "Cannot set value for this attribute as the provider has marked it as read-only: " + name,
		})
	}
	return diagnostics, nil
}
