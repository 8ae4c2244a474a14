package graph

import (
	"kpiflow/bulk"
	"kpiflow/errcode"
)

// importSize refuses an import of more rows than one call takes.
func importSize(n int) error {
	if n > bulk.MaxRows {
		return errcode.BadInput("rows", "at most %d rows per call (got %d): send the rest in further calls", bulk.MaxRows, n)
	}
	return nil
}

func importPayload(r *bulk.Result) *ImportPayload {
	out := &ImportPayload{Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged,
		Committed: r.Committed, Rejected: []*ImportRowError{}}
	for _, e := range r.Rejected {
		re := &ImportRowError{Line: e.Line, Code: e.Code, Message: e.Message}
		if e.ExternalID != "" {
			re.ExternalID = &e.ExternalID
		}
		if e.Field != "" {
			re.Field = &e.Field
		}
		out.Rejected = append(out.Rejected, re)
	}
	return out
}
