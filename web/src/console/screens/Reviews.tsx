// Reviews (managers): the open cycles of the teams the viewer manages and
// the recent completed ones; each item with its pace, projection and
// kpiflow's suggestion; KEEP or ADJUST it with a reason; complete the cycle
// once every item is decided.
import { useState } from "react";
import { useMutation, useQuery } from "@apollo/client/react";
import {
  CompleteReviewDocument,
  DecideReviewItemDocument,
  ReviewsDocument,
  type ReasonCode,
  type ReviewCyclePartsFragment,
  type ReviewItemPartsFragment,
} from "../generated/graphql";
import { Link } from "../router";
import { day, nodes, percent, words } from "../format";
import { Loading, Problem, Status } from "../ui";
import { DecisionForm, type Decided } from "../decision";

const reasons: ReasonCode[] = ["PERFORMANCE", "MARKET_CHANGE", "TEAM_CHANGE", "DATA_CORRECTION", "OTHER"];

export function Reviews() {
  const { data, loading, error } = useQuery(ReviewsDocument);
  const cycles = nodes(data?.reviewCycles);
  const open = cycles.filter((c) => c.status === "OPEN");
  const done = cycles.filter((c) => c.status !== "OPEN");
  return (
    <section>
      <div className="screen-head">
        <h1>Reviews</h1>
      </div>
      <Problem error={error} />
      {loading && !data && <Loading what="the reviews" />}
      {data && open.length === 0 && <p className="muted">No review is open.</p>}
      {open.map((c) => (
        <Cycle key={c.id} c={c} />
      ))}
      {done.length > 0 && (
        <>
          <h2 className="section-title">Completed</h2>
          {done.map((c) => (
            <Cycle key={c.id} c={c} />
          ))}
        </>
      )}
    </section>
  );
}

function Cycle({ c }: { c: ReviewCyclePartsFragment }) {
  const items = nodes(c.items);
  const undecided = items.filter((i) => !i.decision).length;
  const [complete, completing] = useMutation(CompleteReviewDocument);
  const overdue = c.status === "OPEN" && Date.parse(c.dueAt) < Date.now();
  return (
    <article className="card" aria-label={`Review of team ${c.team.name}, ${day(c.point)}`} data-testid="review-cycle">
      <div className="card-head">
        <h2>
          Team {c.team.name} · review of {day(c.point)}
        </h2>
        <span className={`pill ${c.status === "OPEN" ? (overdue ? "s-off_track" : "s-proposed") : "s-closed"}`}>
          {c.status === "OPEN" ? (overdue ? "Overdue" : `Due ${day(c.dueAt)}`) : `Completed ${c.completedAt ? day(c.completedAt) : ""}`}
        </span>
      </div>
      {items.map((i) => (
        <Item key={i.id} i={i} open={c.status === "OPEN"} />
      ))}
      {c.status === "OPEN" && (
        <div className="row">
          <button
            className="primary"
            disabled={undecided > 0 || completing.loading}
            onClick={() => complete({ variables: { input: { cycleId: c.id } } }).catch(() => {})}
          >
            Complete the review
          </button>
          {undecided > 0 && <span className="muted">{undecided} item{undecided > 1 ? "s" : ""} to decide first</span>}
        </div>
      )}
      <Problem error={completing.error} />
    </article>
  );
}

function Item({ i, open }: { i: ReviewItemPartsFragment; open: boolean }) {
  const t = i.target;
  const [decision, setDecision] = useState<"KEEP" | "ADJUST" | null>(null);
  const [decide, deciding] = useMutation(DecideReviewItemDocument, { refetchQueries: ["TargetDetail"] });
  const submit = async (d: Decided) => {
    const input =
      decision === "ADJUST"
        ? { itemId: i.id, decision, value: d.value, reasonCode: d.reason, comment: d.comment }
        : { itemId: i.id, decision: "KEEP" as const };
    try {
      await decide({ variables: { input } });
      setDecision(null);
    } catch {
      // shown in the form
    }
  };
  return (
    <div className="review-item" data-testid="review-item">
      <div className="card-head">
        <div>
          <Link to={`/targets/${encodeURIComponent(t.id)}`}>
            <strong>{t.kpi.name}</strong> · {t.period.label}
          </Link>{" "}
          <span className="muted">· {t.user?.name ?? (t.team ? `Team ${t.team.name}` : "")}</span>
        </div>
        <Status status={i.track} />
      </div>
      <dl className="facts wide">
        <div>
          <dt>Target</dt>
          <dd>{i.targetValue?.display ?? "—"}</dd>
        </div>
        <div>
          <dt>Actual to date</dt>
          <dd>{i.actual?.display ?? "—"}</dd>
        </div>
        <div>
          <dt>Expected to date</dt>
          <dd>{i.expected?.display ?? "—"}</dd>
        </div>
        <div>
          <dt>Pace</dt>
          <dd>{percent(i.pace)}</dd>
        </div>
        <div>
          <dt>Projection</dt>
          <dd>{i.projection?.display ?? "—"}</dd>
        </div>
        <div>
          <dt>Suggestion</dt>
          <dd>
            {words(i.suggestedAction)}
            {i.suggestedValue ? ` to ${i.suggestedValue.display}` : ""}
          </dd>
        </div>
      </dl>
      {i.suggestionReason && <p className="muted">{i.suggestionReason}</p>}
      {i.pendingAdjustment && (
        <p className="notice">
          The rep asks for {i.pendingAdjustment.value.display} ({words(i.pendingAdjustment.reasonCode)}): {i.pendingAdjustment.comment}
        </p>
      )}
      {i.decision ? (
        <p data-testid="review-decision">
          <strong>{i.decision === "KEEP" ? "Kept" : `Adjusted to ${i.decisionValue?.display ?? ""}`}</strong>
          {i.decidedBy && ` by ${i.decidedBy.name}`}
          {i.decisionReason && ` · ${words(i.decisionReason)}`}
          {i.decisionComment && <span className="comment"> “{i.decisionComment}”</span>}
        </p>
      ) : (
        open && (
          <>
            <div className="actions" role="group" aria-label="Decision">
              <button type="button" aria-pressed={decision === "KEEP"} className={decision === "KEEP" ? "chosen" : undefined} onClick={() => setDecision("KEEP")}>
                Keep
              </button>
              <button
                type="button"
                aria-pressed={decision === "ADJUST"}
                className={decision === "ADJUST" ? "chosen" : undefined}
                onClick={() => setDecision("ADJUST")}
              >
                Adjust
              </button>
            </div>
            {decision && (
              <DecisionForm
                key={decision}
                submitLabel={decision === "KEEP" ? "Keep the target" : "Adjust the target"}
                value={decision === "ADJUST" ? (i.suggestedValue?.value ?? i.targetValue?.value ?? "") : undefined}
                valueLabel="New value"
                reasons={decision === "ADJUST" ? reasons : undefined}
                comment={decision === "ADJUST" ? "required" : undefined}
                busy={deciding.loading}
                error={deciding.error}
                onSubmit={submit}
                onCancel={() => setDecision(null)}
              />
            )}
          </>
        )
      )}
    </div>
  );
}
