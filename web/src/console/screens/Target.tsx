// One target: its status, value and actual, the realism check kept with it,
// the history chart (actual vs expected vs value in force at each review and
// at the close), the audit trail, and the actions the viewer may take now:
// the proposer's (withdraw, revise, request an adjustment) and the
// approver's (approve, approve with changes, reject, request changes, decide
// an adjustment). It follows the target live: another person's decision
// shows without a reload.
import { useState } from "react";
import { useMutation, useQuery, useSubscription } from "@apollo/client/react";
import {
  ApproveAdjustmentDocument,
  ApproveDocument,
  ApproveWithChangesDocument,
  RejectAdjustmentDocument,
  RejectDocument,
  RequestAdjustmentDocument,
  RequestChangesDocument,
  ReviseDocument,
  TargetDetailDocument,
  TargetEventsDocument,
  WithdrawDocument,
  type ReasonCode,
  type TargetAction,
  type TargetDetailQuery,
  type TargetStatus,
} from "../generated/graphql";
import { LineChart, shortPeriod } from "../chart";
import { day, nodes, percent, shortDay, when, words } from "../format";
import { Assessment, Loading, Problem, Status, Table } from "../ui";
import { DecisionForm, type Decided } from "../decision";

type Target = Extract<NonNullable<TargetDetailQuery["node"]>, { __typename: "Target" }>;

const reasons: ReasonCode[] = ["MARKET_CHANGE", "TEAM_CHANGE", "DATA_CORRECTION", "PERFORMANCE", "OTHER"];

export function TargetScreen({ id }: { id: string }) {
  const { data, loading, error, refetch } = useQuery(TargetDetailDocument, { variables: { id } });
  useSubscription(TargetEventsDocument, { variables: { id }, onData: () => void refetch() });
  const t = data?.node?.__typename === "Target" ? (data.node as Target) : null;
  if (loading && !data) return <Loading what="the target" />;
  if (error) return <Problem error={error} />;
  if (!t) return <Problem error={{ message: "There is no such target, or you may not see it." }} />;
  const whose = t.user?.name ?? (t.team ? `Team ${t.team.name}` : "");
  return (
    <section>
      <div className="screen-head">
        <h1>
          {t.kpi.name} · {t.period.label}
        </h1>
        <span data-testid="target-status">
          <Status status={t.status} />
        </span>
      </div>
      <div className="card">
        <dl className="facts wide">
          <div>
            <dt>For</dt>
            <dd>{whose}</dd>
          </div>
          <div>
            <dt>Value</dt>
            <dd data-testid="target-value">{t.value.display}</dd>
          </div>
          <div>
            <dt>Actual</dt>
            <dd>{t.actual?.display ?? "—"}</dd>
          </div>
          <div>
            <dt>Attainment</dt>
            <dd>{percent(t.attainment)}</dd>
          </div>
          <div>
            <dt>Proposed by</dt>
            <dd>{t.proposer.name}</dd>
          </div>
          <div>
            <dt>Approved by</dt>
            <dd>{t.approver?.name ?? "—"}</dd>
          </div>
        </dl>
        {t.rationale && <p className="rationale">“{t.rationale}”</p>}
        {t.pendingAdjustment && (
          <p className="notice">
            Adjustment requested to {t.pendingAdjustment.value.display} ({words(t.pendingAdjustment.reasonCode)}): {t.pendingAdjustment.comment}
          </p>
        )}
      </div>
      <Actions t={t} />
      {t.allowedActions.some((a) => a === "APPROVE" || a === "APPROVE_ADJUSTMENT") && <PastTargets t={t} />}
      <div className="two-col">
        {t.assessment && <Assessment a={t.assessment} title="Realism check at submission" />}
        <History t={t} />
      </div>
      <Trail t={t} />
    </section>
  );
}

// The forms of the actions allowed now; the rules' required comments are
// required here too.
const forms: Partial<Record<TargetAction, { label: string; value?: boolean; comment?: "required" | "optional"; reason?: boolean; danger?: boolean }>> = {
  APPROVE: { label: "Approve", comment: "optional" },
  APPROVE_WITH_CHANGES: { label: "Approve with changes", value: true, comment: "required" },
  REQUEST_CHANGES: { label: "Request changes", comment: "required" },
  REJECT: { label: "Reject", comment: "required", danger: true },
  REVISE: { label: "Revise and resubmit", value: true, comment: "optional" },
  REQUEST_ADJUSTMENT: { label: "Request an adjustment", value: true, reason: true, comment: "required" },
  APPROVE_ADJUSTMENT: { label: "Approve the adjustment", comment: "optional" },
  REJECT_ADJUSTMENT: { label: "Reject the adjustment", comment: "optional", danger: true },
  WITHDRAW: { label: "Withdraw", comment: "optional", danger: true },
};

function Actions({ t }: { t: Target }) {
  const allowed = t.allowedActions.filter((a) => forms[a]);
  const [action, setAction] = useState<TargetAction | null>(null);
  const opts = { refetchQueries: ["TargetDetail", "MyTargets"] };
  const mutations = {
    APPROVE: useMutation(ApproveDocument, opts),
    APPROVE_WITH_CHANGES: useMutation(ApproveWithChangesDocument, opts),
    REQUEST_CHANGES: useMutation(RequestChangesDocument, opts),
    REJECT: useMutation(RejectDocument, opts),
    REVISE: useMutation(ReviseDocument, opts),
    REQUEST_ADJUSTMENT: useMutation(RequestAdjustmentDocument, opts),
    APPROVE_ADJUSTMENT: useMutation(ApproveAdjustmentDocument, opts),
    REJECT_ADJUSTMENT: useMutation(RejectAdjustmentDocument, opts),
    WITHDRAW: useMutation(WithdrawDocument, opts),
  };
  if (!allowed.length) return null;
  const f = action ? forms[action] : undefined;
  const current = action && action in mutations ? mutations[action as keyof typeof mutations] : null;

  const submit = async (d: Decided) => {
    if (!action || !current) return;
    const base = { targetId: t.id, expectedVersion: t.version };
    const c = d.comment || undefined;
    const run = current[0] as (o: { variables: { input: unknown } }) => Promise<unknown>;
    let input: unknown = { ...base, comment: c };
    if (action === "APPROVE_WITH_CHANGES" || action === "REVISE") input = { ...base, value: d.value, comment: c };
    if (action === "REQUEST_ADJUSTMENT") input = { ...base, value: d.value, reasonCode: d.reason, comment: d.comment };
    try {
      await run({ variables: { input } });
      setAction(null);
    } catch {
      // shown in the form
    }
  };

  return (
    <section className="card" aria-label="Actions">
      <h2>{allowed.some((a) => a.startsWith("APPROVE")) ? "Decide" : "Actions"}</h2>
      <div className="actions" role="group" aria-label="What to do">
        {allowed.map((a) => (
          <button key={a} type="button" className={action === a ? "chosen" : forms[a]?.danger ? "danger" : undefined} aria-pressed={action === a} onClick={() => setAction(a)}>
            {forms[a]!.label}
          </button>
        ))}
      </div>
      {action && f && (
        <DecisionForm
          key={action}
          submitLabel={f.label}
          value={f.value ? t.value.value : undefined}
          valueLabel={action === "REQUEST_ADJUSTMENT" ? "New value" : "Value"}
          reasons={f.reason ? reasons : undefined}
          comment={f.comment}
          danger={f.danger}
          busy={current?.[1].loading}
          error={current?.[1].error}
          onSubmit={submit}
          onCancel={() => setAction(null)}
        />
      )}
    </section>
  );
}

// PastTargets: what the same rep (or team) was given for the KPI in the
// periods of its kind before this one, and what came of it, for the
// manager deciding (read with the target: one request for the screen).
function PastTargets({ t }: { t: Target }) {
  const past = t.earlierTargets;
  const whose = t.user ? t.user.name : `team ${t.team?.name ?? ""}`;
  const chrono = [...past].reverse();
  return (
    <section className="card" aria-label="Past targets" data-testid="past-targets">
      <h2>
        Past targets of {whose} for {t.kpi.name}
      </h2>
      {past.length === 0 && <p className="muted">No earlier {t.periodKind.toLowerCase()} with an approved target.</p>}
      {past.length > 0 && (
        <>
          {past.length > 1 && (
            <LineChart
              title={`Past targets: ${chrono.map((p) => `${p.period.label} target ${p.value.display}, actual ${p.actual?.display ?? "none"}`).join("; ")}`}
              labels={chrono.map((p) => shortPeriod(p.period.label))}
              series={[
                { label: "Target", values: chrono.map((p) => p.value.number), color: "#e8590c" },
                { label: "Actual", values: chrono.map((p) => p.actual?.number ?? null), color: "#3b5bdb" },
              ]}
            />
          )}
          <Table label="Past targets" caption={`Earlier targets of ${whose} for ${t.kpi.name}, newest first`} columns={["Period", { label: "Target", num: true }, { label: "Actual", num: true }, "Attainment", "Status"]}>
            {past.map((p) => (
              <tr key={p.id} data-testid="past-target">
                <td>{p.period.label}</td>
                <td className="num">{p.value.display}</td>
                <td className="num">{p.actual?.display ?? "—"}</td>
                <td>{percent(p.attainment)}</td>
                <td>
                  <Status status={p.status} />
                </td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </section>
  );
}

function History({ t }: { t: Target }) {
  const h = t.history;
  return (
    <section className="card" aria-label="History">
      <h2>History</h2>
      {h.length ? (
        <LineChart
          title={`History: ${h.map((p) => `${day(p.at)} actual ${p.actual?.display ?? "none"}, expected ${p.expected?.display ?? "none"}`).join("; ")}`}
          labels={h.map((p) => shortDay(p.at))}
          series={[
            { label: "Actual", values: h.map((p) => p.actual?.number ?? null), color: "#3b5bdb" },
            { label: "Expected", values: h.map((p) => p.expected?.number ?? null), color: "#868e96", dash: true },
            { label: "In force", values: h.map((p) => p.value?.number ?? null), color: "#e8590c" },
          ]}
        />
      ) : (
        <p className="muted">No review of this target yet: its points appear at each review and at the period's close.</p>
      )}
    </section>
  );
}

function Trail({ t }: { t: Target }) {
  const events = nodes(t.events);
  return (
    <section className="card" aria-label="Audit trail">
      <h2>Audit trail</h2>
      <ol className="trail" data-testid="trail">
        {events.map((e) => (
          <li key={e.id}>
            <div>
              <strong>{words(e.action)}</strong> by {e.actor?.name ?? "kpiflow"} · <span className="muted">{when(e.createdAt)}</span>
            </div>
            <div className="muted">
              {words(e.fromStatus)} → {words(e.toStatus)}
              {e.newValue && (e.oldValue?.display !== e.newValue.display ? ` · ${e.oldValue ? `${e.oldValue.display} → ` : ""}${e.newValue.display}` : "")}
              {e.reasonCode && ` · ${words(e.reasonCode)}`}
            </div>
            {e.comment && <div className="comment">“{e.comment}”</div>}
          </li>
        ))}
      </ol>
    </section>
  );
}
