// The inbox: what waits for the viewer, live (the shell's inboxChanged
// subscription feeds both this list and the badge).
import type { InboxData } from "../App";
import type { InboxReason } from "../generated/graphql";
import { Link } from "../router";
import { day } from "../format";
import { Loading, Problem } from "../ui";

const reasonWords: Record<InboxReason, string> = {
  DECIDE_PROPOSAL: "Proposal to decide",
  DECIDE_ADJUSTMENT: "Adjustment to decide",
  REVISE_PROPOSAL: "Changes requested",
  REVIEW_OPEN: "Review open",
  REVIEW_OVERDUE: "Review overdue",
  ADJUSTMENT_MADE: "Target adjusted",
  SUBMIT_ALLOCATED_DRAFT: "Allocated draft to submit",
  TEAM_TARGET_UNCOVERED: "Team target not covered",
};

export function Inbox({ data, loading, error }: { data: InboxData; loading: boolean; error: unknown }) {
  const items = data?.edges.map((e) => e.node) ?? [];
  return (
    <section>
      <div className="screen-head">
        <h1>Inbox</h1>
        <span className="muted" aria-live="polite">
          {data ? `${data.totalCount} waiting` : ""}
        </span>
      </div>
      <Problem error={error} />
      {loading && !data && <Loading what="your inbox" />}
      {data && items.length === 0 && <p className="muted">Nothing waits for you.</p>}
      <ul className="inbox">
        {items.map((i) => {
          const t = i.target;
          const body = t ? (
            <>
              <strong>{t.kpi.name}</strong> · {t.period.label} · {t.value.display}
              <span className="muted"> · {t.user?.name ?? (t.team ? `Team ${t.team.name}` : "")}</span>
            </>
          ) : i.reviewCycle ? (
            <>
              <strong>Team {i.reviewCycle.team.name}</strong> · review of {day(i.reviewCycle.point)}, due {day(i.reviewCycle.dueAt)}
            </>
          ) : null;
          return (
            <li key={i.id} className="card inbox-item" data-testid="inbox-item">
              <span className={`pill r-${i.reason.toLowerCase()}`}>{reasonWords[i.reason]}</span>
              <div className="inbox-body">
                {t ? <Link to={`/targets/${encodeURIComponent(t.id)}`}>{body}</Link> : <Link to="/reviews">{body}</Link>}
                {i.comment && <div className="comment">“{i.comment}”</div>}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
