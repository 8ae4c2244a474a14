package demo

import (
	"context"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"kpiflow/ent/schema/pulid"
)

// BenchmarkScaleGenerate measures how fast a scaled demo's deals and
// meetings are generated and turned into INSERT statements, with nothing
// written: the pace the loader cannot beat, whatever the database does
// with the statements. `go test ./demo -run - -bench ScaleGenerate
// -benchtime 1x` (docs/BENCHMARKS.md compares it with the load rate).
func BenchmarkScaleGenerate(b *testing.B) {
	loc, err := time.LoadLocation(Timezone)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().Add(-time.Hour)
	for _, d := range []string{dialect.SQLite, dialect.Postgres} {
		b.Run(d, func(b *testing.B) {
			rows := 0
			for range b.N {
				s := newScale(1, now, loc, 0, 100_000, 300_000, d)
				repIDs := make([]pulid.ID, len(s.reps))
				teams := make([]pulid.ID, len(s.reps))
				for i := range repIDs {
					repIDs[i], teams[i] = pulid.New("user"), pulid.New("team")
				}
				out := make(chan stmt, 4)
				done := make(chan struct{})
				go func() {
					defer close(done)
					for st := range out {
						rows += st.rows
					}
				}()
				b.StartTimer()
				err := s.generate(context.Background(), out, pulid.New("org"), repIDs, teams)
				close(out)
				<-done
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
