package main

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// standIn implements the provider protocol (version 5, as the real google
// provider) over a schema and nothing else.
type standIn struct {
	provider    typedSchema
	resources   map[string]typedSchema
	dataSources map[string]typedSchema
}

func loadStandIn(path string) (*standIn, error) {
	document, err := readSchemaDocument(path)
	if err != nil {
		return nil, err
	}
	provider, err := convertSchema("provider", document.Provider)
	if err != nil {
		return nil, err
	}
	s := &standIn{provider: provider, resources: map[string]typedSchema{}, dataSources: map[string]typedSchema{}}
	for name, schema := range document.ResourceSchemas {
		if s.resources[name], err = convertSchema(name, schema); err != nil {
			return nil, err
		}
	}
	for name, schema := range document.DataSourceSchemas {
		if s.dataSources[name], err = convertSchema(name, schema); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func errorDiagnostic(summary string, args ...any) []*tfprotov5.Diagnostic {
	return []*tfprotov5.Diagnostic{{Severity: tfprotov5.DiagnosticSeverityError, Summary: fmt.Sprintf(summary, args...)}}
}

func schemasOf(m map[string]typedSchema) map[string]*tfprotov5.Schema {
	out := make(map[string]*tfprotov5.Schema, len(m))
	for name, typed := range m {
		out[name] = typed.schema
	}
	return out
}

func (s *standIn) GetMetadata(context.Context, *tfprotov5.GetMetadataRequest) (*tfprotov5.GetMetadataResponse, error) {
	response := &tfprotov5.GetMetadataResponse{}
	for _, name := range sortedKeys(s.resources) {
		response.Resources = append(response.Resources, tfprotov5.ResourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(s.dataSources) {
		response.DataSources = append(response.DataSources, tfprotov5.DataSourceMetadata{TypeName: name})
	}
	return response, nil
}

func (s *standIn) GetProviderSchema(context.Context, *tfprotov5.GetProviderSchemaRequest) (*tfprotov5.GetProviderSchemaResponse, error) {
	return &tfprotov5.GetProviderSchemaResponse{
		Provider:          s.provider.schema,
		ResourceSchemas:   schemasOf(s.resources),
		DataSourceSchemas: schemasOf(s.dataSources),
		Functions:         map[string]*tfprotov5.Function{},
	}, nil
}

func (s *standIn) GetResourceIdentitySchemas(context.Context, *tfprotov5.GetResourceIdentitySchemasRequest) (*tfprotov5.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov5.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov5.ResourceIdentitySchema{}}, nil
}

func (s *standIn) PrepareProviderConfig(_ context.Context, req *tfprotov5.PrepareProviderConfigRequest) (*tfprotov5.PrepareProviderConfigResponse, error) {
	return &tfprotov5.PrepareProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *standIn) ConfigureProvider(context.Context, *tfprotov5.ConfigureProviderRequest) (*tfprotov5.ConfigureProviderResponse, error) {
	return &tfprotov5.ConfigureProviderResponse{}, nil
}

func (s *standIn) StopProvider(context.Context, *tfprotov5.StopProviderRequest) (*tfprotov5.StopProviderResponse, error) {
	return &tfprotov5.StopProviderResponse{}, nil
}

// Terraform has already checked names, types and block counts against the
// schema; what is left is the SDK's read-only check. The real provider's own
// validators (value ranges, enums, formats) are not in the schema.
func (s *standIn) ValidateResourceTypeConfig(_ context.Context, req *tfprotov5.ValidateResourceTypeConfigRequest) (*tfprotov5.ValidateResourceTypeConfigResponse, error) {
	typed, ok := s.resources[req.TypeName]
	if !ok {
		return &tfprotov5.ValidateResourceTypeConfigResponse{Diagnostics: errorDiagnostic("unknown resource type %s", req.TypeName)}, nil
	}
	diagnostics, err := readOnlyDiagnostics(typed, req.Config)
	return &tfprotov5.ValidateResourceTypeConfigResponse{Diagnostics: diagnostics}, err
}

func (s *standIn) ValidateDataSourceConfig(_ context.Context, req *tfprotov5.ValidateDataSourceConfigRequest) (*tfprotov5.ValidateDataSourceConfigResponse, error) {
	typed, ok := s.dataSources[req.TypeName]
	if !ok {
		return &tfprotov5.ValidateDataSourceConfigResponse{Diagnostics: errorDiagnostic("unknown data source %s", req.TypeName)}, nil
	}
	diagnostics, err := readOnlyDiagnostics(typed, req.Config)
	return &tfprotov5.ValidateDataSourceConfigResponse{Diagnostics: diagnostics}, err
}

func (s *standIn) UpgradeResourceState(_ context.Context, req *tfprotov5.UpgradeResourceStateRequest) (*tfprotov5.UpgradeResourceStateResponse, error) {
	typed, ok := s.resources[req.TypeName]
	if !ok {
		return &tfprotov5.UpgradeResourceStateResponse{Diagnostics: errorDiagnostic("unknown resource type %s", req.TypeName)}, nil
	}
	value, err := req.RawState.UnmarshalWithOpts(typed.object, tfprotov5.UnmarshalOpts{ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err != nil {
		return &tfprotov5.UpgradeResourceStateResponse{Diagnostics: errorDiagnostic("%s: reading state: %s", req.TypeName, err)}, nil
	}
	state, err := tfprotov5.NewDynamicValue(typed.object, value)
	if err != nil {
		return nil, err
	}
	return &tfprotov5.UpgradeResourceStateResponse{UpgradedState: &state}, nil
}

func (s *standIn) ReadResource(_ context.Context, req *tfprotov5.ReadResourceRequest) (*tfprotov5.ReadResourceResponse, error) {
	return &tfprotov5.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
}

func (s *standIn) PlanResourceChange(_ context.Context, req *tfprotov5.PlanResourceChangeRequest) (*tfprotov5.PlanResourceChangeResponse, error) {
	typed, ok := s.resources[req.TypeName]
	if !ok {
		return &tfprotov5.PlanResourceChangeResponse{Diagnostics: errorDiagnostic("unknown resource type %s", req.TypeName)}, nil
	}
	proposed, err := req.ProposedNewState.Unmarshal(typed.object)
	if err != nil {
		return nil, err
	}
	prior, err := req.PriorState.Unmarshal(typed.object)
	if err != nil {
		return nil, err
	}
	planned := proposed
	// On create, what the API would compute is unknown until apply; on
	// update Terraform's proposal already carries the prior values.
	if prior.IsNull() && !proposed.IsNull() {
		if planned, err = markComputedUnknown(typed.schema.Block, proposed); err != nil {
			return nil, err
		}
	}
	plannedState, err := tfprotov5.NewDynamicValue(typed.object, planned)
	if err != nil {
		return nil, err
	}
	return &tfprotov5.PlanResourceChangeResponse{PlannedState: &plannedState, PlannedPrivate: req.PriorPrivate}, nil
}

func (s *standIn) ApplyResourceChange(_ context.Context, req *tfprotov5.ApplyResourceChangeRequest) (*tfprotov5.ApplyResourceChangeResponse, error) {
	typed, ok := s.resources[req.TypeName]
	if !ok {
		return &tfprotov5.ApplyResourceChangeResponse{Diagnostics: errorDiagnostic("unknown resource type %s", req.TypeName)}, nil
	}
	planned, err := req.PlannedState.Unmarshal(typed.object)
	if err != nil {
		return nil, err
	}
	applied, err := fillUnknowns(planned, req.TypeName)
	if err != nil {
		return nil, err
	}
	newState, err := tfprotov5.NewDynamicValue(typed.object, applied)
	if err != nil {
		return nil, err
	}
	return &tfprotov5.ApplyResourceChangeResponse{NewState: &newState, Private: req.PlannedPrivate}, nil
}

func (s *standIn) ImportResourceState(_ context.Context, req *tfprotov5.ImportResourceStateRequest) (*tfprotov5.ImportResourceStateResponse, error) {
	return &tfprotov5.ImportResourceStateResponse{Diagnostics: errorDiagnostic("%s: import is not supported by the schema stand-in provider", req.TypeName)}, nil
}

func (s *standIn) MoveResourceState(_ context.Context, req *tfprotov5.MoveResourceStateRequest) (*tfprotov5.MoveResourceStateResponse, error) {
	return &tfprotov5.MoveResourceStateResponse{Diagnostics: errorDiagnostic("%s: moving state is not supported by the schema stand-in provider", req.TargetTypeName)}, nil
}

func (s *standIn) ReadDataSource(_ context.Context, req *tfprotov5.ReadDataSourceRequest) (*tfprotov5.ReadDataSourceResponse, error) {
	typed, ok := s.dataSources[req.TypeName]
	if !ok {
		return &tfprotov5.ReadDataSourceResponse{Diagnostics: errorDiagnostic("unknown data source %s", req.TypeName)}, nil
	}
	config, err := req.Config.Unmarshal(typed.object)
	if err != nil {
		return nil, err
	}
	unknown, err := markComputedUnknown(typed.schema.Block, config)
	if err != nil {
		return nil, err
	}
	read, err := fillUnknowns(unknown, req.TypeName)
	if err != nil {
		return nil, err
	}
	state, err := tfprotov5.NewDynamicValue(typed.object, read)
	if err != nil {
		return nil, err
	}
	return &tfprotov5.ReadDataSourceResponse{State: &state}, nil
}

func (s *standIn) CallFunction(_ context.Context, req *tfprotov5.CallFunctionRequest) (*tfprotov5.CallFunctionResponse, error) {
	return &tfprotov5.CallFunctionResponse{Error: &tfprotov5.FunctionError{Text: "the schema stand-in provider has no functions: " + req.Name}}, nil
}

func (s *standIn) GetFunctions(context.Context, *tfprotov5.GetFunctionsRequest) (*tfprotov5.GetFunctionsResponse, error) {
	return &tfprotov5.GetFunctionsResponse{Functions: map[string]*tfprotov5.Function{}}, nil
}

func (s *standIn) ValidateEphemeralResourceConfig(_ context.Context, req *tfprotov5.ValidateEphemeralResourceConfigRequest) (*tfprotov5.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov5.ValidateEphemeralResourceConfigResponse{Diagnostics: errorDiagnostic("ephemeral resource %s is not in the stand-in's schema", req.TypeName)}, nil
}

func (s *standIn) OpenEphemeralResource(_ context.Context, req *tfprotov5.OpenEphemeralResourceRequest) (*tfprotov5.OpenEphemeralResourceResponse, error) {
	return &tfprotov5.OpenEphemeralResourceResponse{Diagnostics: errorDiagnostic("ephemeral resource %s is not in the stand-in's schema", req.TypeName)}, nil
}

func (s *standIn) RenewEphemeralResource(context.Context, *tfprotov5.RenewEphemeralResourceRequest) (*tfprotov5.RenewEphemeralResourceResponse, error) {
	return &tfprotov5.RenewEphemeralResourceResponse{}, nil
}

func (s *standIn) CloseEphemeralResource(context.Context, *tfprotov5.CloseEphemeralResourceRequest) (*tfprotov5.CloseEphemeralResourceResponse, error) {
	return &tfprotov5.CloseEphemeralResourceResponse{}, nil
}

func (s *standIn) GenerateResourceConfig(_ context.Context, req *tfprotov5.GenerateResourceConfigRequest) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{Diagnostics: errorDiagnostic("%s: generating configuration is not supported by the schema stand-in provider", req.TypeName)}, nil
}

// The bindings carry no resource identity schemas, so there is nothing to upgrade.
func (s *standIn) UpgradeResourceIdentity(_ context.Context, req *tfprotov5.UpgradeResourceIdentityRequest) (*tfprotov5.UpgradeResourceIdentityResponse, error) {
	return &tfprotov5.UpgradeResourceIdentityResponse{Diagnostics: errorDiagnostic("%s: resource identity is not supported by the schema stand-in provider", req.TypeName)}, nil
}
