package graph

import (
	"context"
	"sync"

	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/enum"
	"kpiflow/kpi"
)

// KPIResult is a KPI's value for a scope in a period (graph/kpi.graphql),
// with the scorecard it was computed in, which its trend needs.
type KPIResult struct {
	ID            pulid.ID        `json:"id"`
	Kpi           *ent.KPI        `json:"kpi"`
	Actual        *KPIValue       `json:"actual,omitempty"`
	Target        *KPIValue       `json:"target,omitempty"`
	Attainment    *float64        `json:"attainment,omitempty"`
	Pace          *float64        `json:"pace,omitempty"`
	Status        *enum.KPIStatus `json:"status,omitempty"`
	SampleSize    int             `json:"sampleSize"`
	LowConfidence bool            `json:"lowConfidence"`
	Frozen        bool            `json:"frozen"`
	LiveActual    *KPIValue       `json:"liveActual,omitempty"`

	card *cardTrends
}

// IsNode implements Node.
func (KPIResult) IsNode() {}

// cardTrends computes the trends of a scorecard's results once for all of
// them, per length asked (a query may alias trend with several lengths).
type cardTrends struct {
	scope kpi.ScopeRequest
	card  *kpi.Card
	mu    sync.Mutex
	by    map[int]*cardTrend
}

type cardTrend struct {
	once   sync.Once
	points map[pulid.ID][]kpi.TrendPoint
	err    error
}

func (c *cardTrends) trend(ctx context.Context, s *kpi.Service, n int) (map[pulid.ID][]kpi.TrendPoint, error) {
	c.mu.Lock()
	t := c.by[n]
	if t == nil {
		t = &cardTrend{}
		c.by[n] = t
	}
	c.mu.Unlock()
	t.once.Do(func() { t.points, t.err = s.Trends(ctx, ent.FromContext(ctx), c.card, n) })
	return t.points, t.err
}
