package httpapi

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/vektah/gqlparser/v2/ast"
)

// The API's metrics, at /metrics. Operations are labelled by their root
// fields, which the schema bounds, never by the client-chosen operation
// name: a label a client controls would let it grow the metrics without
// bound.
var (
	requestsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "kpiflow_graphql_operations_total",
		Help: "GraphQL operations by root fields and outcome (ok, or the first error's code).",
	}, []string{"fields", "outcome"})
	requestSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "kpiflow_graphql_operation_duration_seconds",
		Help:    "How long GraphQL operations take, by root fields.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"fields"})
)

// measureOperation records an operation's outcome and duration.
func measureOperation(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	oc := graphql.GetOperationContext(ctx)
	if oc == nil || oc.Operation == nil {
		return resp
	}
	fields := rootFields(oc.Operation)
	outcome := "ok"
	if resp != nil && len(resp.Errors) > 0 {
		outcome = "error"
		if c, ok := resp.Errors[0].Extensions["code"]; ok {
			outcome = fmt.Sprint(c)
		}
	}
	requestsTotal.WithLabelValues(fields, outcome).Inc()
	requestSeconds.WithLabelValues(fields).Observe(time.Since(start).Seconds())
	return resp
}

func rootFields(op *ast.OperationDefinition) string {
	var names []string
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			names = append(names, f.Name)
		}
	}
	sort.Strings(names)
	return string(op.Operation) + ":" + strings.Join(names, ",")
}
