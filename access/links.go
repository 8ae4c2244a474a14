package access

import (
	"context"
	"fmt"
	"strings"

	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/idempotencykey"
	"kpiflow/ent/kpi"
	"kpiflow/ent/marketfactor"
	"kpiflow/ent/meeting"
	"kpiflow/ent/organization"
	"kpiflow/ent/refreshtoken"
	"kpiflow/ent/reviewcycle"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/ent/targetevent"
	"kpiflow/ent/targetrevision"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/errcode"
)

// Linking. A mutation that sets, adds or removes an edge changes what the
// objects at its other end are linked to: adding meetings to a deal
// rewrites the meetings' rows, without their own policy running. So every
// ID a viewer's mutation links or unlinks must name an object the viewer
// may read, of the edge's type and the viewer's organization, or the
// mutation fails with NOT_FOUND, exactly as for an ID that does not exist
// (ent/schema/links.go runs MayLink for every edge of every mutation).
//
// Reading is also writing here: deals and meetings are updated within the
// very reach they are read in (writeOwned); users and teams are written
// by ADMINs only, who read all of their organization. Who may own a deal
// or a meeting and which team it counts toward are the policies' own rules
// (mayOwn, mayCountToward: FORBIDDEN for a visible but refused choice).

// visible counts, per ent type, how many of the IDs a query of that type
// returns to the viewer: the type's own privacy policy decides.
var visible = map[string]func(context.Context, *ent.Client, []pulid.ID) (int, error){
	"Organization": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.Organization.Query().Where(organization.IDIn(ids...)).Count(ctx)
	},
	"Team": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.Team.Query().Where(team.IDIn(ids...)).Count(ctx)
	},
	"User": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.User.Query().Where(user.IDIn(ids...)).Count(ctx)
	},
	"Deal": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.Deal.Query().Where(deal.IDIn(ids...)).Count(ctx)
	},
	"Meeting": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.Meeting.Query().Where(meeting.IDIn(ids...)).Count(ctx)
	},
	"KPI": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.KPI.Query().Where(kpi.IDIn(ids...)).Count(ctx)
	},
	"Target": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.Target.Query().Where(target.IDIn(ids...)).Count(ctx)
	},
	"TargetEvent": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.TargetEvent.Query().Where(targetevent.IDIn(ids...)).Count(ctx)
	},
	"TargetRevision": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.TargetRevision.Query().Where(targetrevision.IDIn(ids...)).Count(ctx)
	},
	"MarketFactor": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.MarketFactor.Query().Where(marketfactor.IDIn(ids...)).Count(ctx)
	},
	"ReviewCycle": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.ReviewCycle.Query().Where(reviewcycle.IDIn(ids...)).Count(ctx)
	},
	"ReviewItem": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.ReviewItem.Query().Where(reviewitem.IDIn(ids...)).Count(ctx)
	},
	"RefreshToken": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.RefreshToken.Query().Where(refreshtoken.IDIn(ids...)).Count(ctx)
	},
	"IdempotencyKey": func(ctx context.Context, c *ent.Client, ids []pulid.ID) (int, error) {
		return c.IdempotencyKey.Query().Where(idempotencykey.IDIn(ids...)).Count(ctx)
	},
}

// MayLink reports whether the viewer may link (or unlink) the objects of
// type typ (an ent type name) named by ids through an edge: nil when each
// is of that type and visible to the viewer, NOT_FOUND (naming field)
// otherwise.
func MayLink(ctx context.Context, client *ent.Client, typ, field string, ids []pulid.ID) error {
	count, ok := visible[typ]
	if !ok {
		return fmt.Errorf("access: no link rule for %s", typ)
	}
	seen := map[pulid.ID]bool{}
	var distinct []pulid.ID
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		table, err := ent.IDToType(ctx, id)
		if err != nil || table != tableOf[typ] {
			return notFound(typ, field)
		}
		distinct = append(distinct, id)
	}
	if len(distinct) == 0 {
		return nil
	}
	n, err := count(ctx, client, distinct)
	if err != nil {
		return err
	}
	if n != len(distinct) {
		return notFound(typ, field)
	}
	return nil
}

var tableOf = map[string]string{
	"Organization": organization.Table, "Team": team.Table, "User": user.Table, "Deal": deal.Table,
	"Meeting": meeting.Table, "KPI": kpi.Table, "Target": target.Table, "TargetEvent": targetevent.Table,
	"TargetRevision": targetrevision.Table, "MarketFactor": marketfactor.Table,
	"ReviewCycle": reviewcycle.Table, "ReviewItem": reviewitem.Table,
	"RefreshToken": refreshtoken.Table, "IdempotencyKey": idempotencykey.Table,
}

func notFound(typ, field string) error {
	return &errcode.Error{Code: errcode.NotFound, Field: field,
		Message: "no such " + strings.ToLower(typ)}
}
