package main

import (
	"context"
	"fmt"
	"io"

	"kpiflow/auth"
	"kpiflow/ent"
	"kpiflow/ent/user"
	"kpiflow/store"
	"kpiflow/viewer"
)

// sessionCost measures what authenticating a request costs: the check of
// the access token's session with the stored user (one indexed lookup),
// against the same request sent anonymously.
func sessionCost(ctx context.Context, out io.Writer, st *store.Store, svc *auth.Service, url string, org *ent.Organization, n int) error {
	sys := viewer.System(ctx)
	rep, err := st.Client.User.Query().Where(user.OrganizationID(org.ID), user.RoleEQ(user.RoleRep)).First(sys)
	if err != nil {
		return err
	}
	sess, err := svc.StartSession(ctx, rep)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Authentication (%d requests each, one at a time): the session check (the user with their session and their reach in the team tree, one statement) runs when a field first needs the viewer, and the viewer field shows the row it read.\n\n", n)
	fmt.Fprintln(out, "| request | p50 | p95 | p99 | mean | statements/request |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|")
	for _, c := range []struct{ name, token, query string }{
		{"`{ __typename }`, anonymous", "", `{ __typename }`},
		{"`{ __typename }`, a rep signed in", sess.AccessToken, `{ __typename }`},
		{"`{ viewer { id } }`, a rep signed in", sess.AccessToken, `{ viewer { id } }`},
	} {
		lat, stmts, err := measure(url, c.token, c.query, nil, n, st)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %.1f |\n", c.name, pct(lat, 50), pct(lat, 95), pct(lat, 99), mean(lat), stmts)
	}
	return nil
}
