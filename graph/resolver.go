// Package graph is kpiflow's GraphQL API: the schema (graph/*.graphql, of
// which ent.graphql is generated from the ent schemas), thin resolvers that
// translate GraphQL to calls of the domain packages, and the HTTP handler
// that serves it all.
package graph

import (
	"log/slog"
	"time"

	"kpiflow/auth"
	"kpiflow/ent"
	"kpiflow/kpi"
	"kpiflow/live"
	"kpiflow/workflow"
)

// Resolver is the root resolver. Resolvers reach the database through
// ent.FromContext(ctx), which holds the request's transaction in mutations.
type Resolver struct {
	client   *ent.Client
	auth     *auth.Service
	kpis     *kpi.Service
	workflow *workflow.Service
	live     *live.Hub
	logger   *slog.Logger
	// inboxRecheck is how often inboxChanged looks without a notice.
	inboxRecheck time.Duration
	// probes bounds what refused external IDs tell (oracle.go).
	probes *probes
	// dialect is the database's, for the SQL of bulk imports.
	dialect string
}
