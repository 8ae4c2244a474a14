package errcode

import (
	"errors"
	"strings"
)

// ValidationReason gives the reason of an ent validation error without
// ent's wording, which names Go types.
func ValidationReason(ve error) string {
	inner := errors.Unwrap(ve)
	if inner == nil {
		return "is invalid"
	}
	if reason := errors.Unwrap(inner); reason != nil {
		return reason.Error()
	}
	if strings.Contains(inner.Error(), "missing required") {
		return "is required"
	}
	return "is invalid"
}

// GraphQLName turns an ent field name into its GraphQL spelling:
// customer_name → customerName, owner_id → ownerID.
func GraphQLName(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] == "id" {
			parts[i] = "ID"
		} else if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
