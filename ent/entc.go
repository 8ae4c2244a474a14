//go:build ignore

// entc generates the ent client, the GraphQL SDL of the entities
// (graph/ent.graphql) and their Relay/GraphQL glue. It runs from ent/.
package main

import (
	"log"
	"regexp"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../graph/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithRelaySpec(true),
		entgql.WithSchemaHook(edgePredicatesInReach),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	templates := append(entgql.AllTemplates,
		gen.MustParse(gen.NewTemplate("pulid").ParseFiles("./template/pulid.tmpl")),
		gen.MustParse(gen.NewTemplate("txkey").ParseFiles("./template/txkey.tmpl")))
	err = entc.Generate("./schema", &gen.Config{
		Templates: templates,
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureIntercept,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
			gen.FeatureUpsert,
			gen.FeatureLock,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

var (
	edgeWith = regexp.MustCompile(`^has[A-Z]\w*With$`)
	edgeAny  = regexp.MustCompile(`^has[A-Z]\w*$`)
)

// edgePredicatesInReach makes every edge predicate of every where input
// see only what the viewer may read: each hasXWith field gets the @reach
// directive (graph/reach.go adds the viewer's reach to the nested inputs),
// and the hasX booleans, which would test an edge without it, are left out
// (hasXWith: [{}] and not: {hasXWith: [{}]} say the same within reach).
func edgePredicatesInReach(_ *gen.Graph, s *ast.Schema) error {
	for _, def := range s.Types {
		if def.Kind != ast.InputObject || !strings.HasSuffix(def.Name, "WhereInput") {
			continue
		}
		var fields ast.FieldList
		for _, f := range def.Fields {
			switch {
			case edgeWith.MatchString(f.Name):
				f.Directives = append(f.Directives, &ast.Directive{Name: "reach", Location: ast.LocationInputFieldDefinition})
			case edgeAny.MatchString(f.Name) && f.Type.Name() == "Boolean" && def.Fields.ForName(f.Name+"With") != nil:
				continue
			}
			fields = append(fields, f)
		}
		def.Fields = fields
	}
	return nil
}
