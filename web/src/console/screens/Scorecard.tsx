// The scorecard: a scope (me, a team I see, the organization) and a period;
// every enabled KPI with actual, target, attainment, pace and status, and a
// trend chart per KPI with its target line.
import { useQuery } from "@apollo/client/react";
import { ScorecardDocument, type PeriodKind, type ScopeInput, type ScorecardResultFragment } from "../generated/graphql";
import { useRouter } from "../router";
import { isAdmin, useViewer } from "../viewer";
import { LineChart, shortPeriod, type Series } from "../chart";
import { nodes, percent } from "../format";
import { Loading, Problem, Status } from "../ui";

const kinds: PeriodKind[] = ["MONTH", "QUARTER", "YEAR"];

export function Scorecard() {
  const viewer = useViewer();
  const { loc, navigate } = useRouter();
  const teams = new Map<string, string>();
  if (viewer.team) teams.set(viewer.team.id, viewer.team.name);

  // The organization's scorecard is an admin's (the API refuses it to others).
  const scopeKey = loc.search.get("scope") ?? (isAdmin(viewer) ? "org" : "me");
  const kind = (kinds as string[]).includes(loc.search.get("kind") ?? "") ? (loc.search.get("kind") as PeriodKind) : "QUARTER";
  const offset = Math.max(-40, Math.min(4, Number(loc.search.get("offset") ?? 0) || 0));
  const scope: ScopeInput =
    scopeKey === "org" && isAdmin(viewer)
      ? { organization: true }
      : scopeKey.startsWith("team:") && scopeKey.length > 5
        ? { teamID: scopeKey.slice(5) } // a team the viewer may not see is the API's NOT_FOUND, shown
        : { userID: viewer.id };
  const set = (k: string, v: string) => {
    const s = new URLSearchParams(loc.search);
    s.set(k, v);
    navigate(`/?${s}`);
  };

  const { data, previousData, loading, error } = useQuery(ScorecardDocument, { variables: { scope, period: { kind, offset } } });
  for (const t of nodes((data ?? previousData)?.teams)) teams.set(t.id, t.name);
  const results = [...(data?.scorecard.results ?? [])].sort((a, b) => a.kpi.position - b.kpi.position);

  return (
    <section>
      <div className="screen-head">
        <h1>Scorecard</h1>
        <div className="controls">
          <label>
            Scope
            <select value={"userID" in scope ? "me" : "teamID" in scope ? `team:${scope.teamID}` : "org"} onChange={(e) => set("scope", e.target.value)}>
              <option value="me">Me</option>
              {[...teams].map(([id, name]) => (
                <option key={id} value={`team:${id}`}>
                  Team {name}
                </option>
              ))}
              {isAdmin(viewer) && <option value="org">Organization</option>}
            </select>
          </label>
          <label>
            Period
            <select value={kind} onChange={(e) => set("kind", e.target.value)}>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {k.charAt(0) + k.slice(1).toLowerCase()}
                </option>
              ))}
            </select>
          </label>
          <div className="stepper" role="group" aria-label="Which period">
            <button onClick={() => set("offset", String(offset - 1))} aria-label="Previous period">
              ‹
            </button>
            <span className="period-label" data-testid="period">
              {data?.scorecard.period.label ?? "…"}
            </span>
            <button onClick={() => set("offset", String(offset + 1))} aria-label="Next period" disabled={offset >= 4}>
              ›
            </button>
          </div>
        </div>
      </div>
      <Problem error={error} />
      {loading && !data && <Loading what="the scorecard" />}
      <div className="grid">
        {results.map((r) => (
          <KPICard key={r.id} r={r} />
        ))}
      </div>
    </section>
  );
}

function KPICard({ r }: { r: ScorecardResultFragment }) {
  return (
    <article className="card kpi" aria-labelledby={`kpi-${r.kpi.key}`} data-testid="kpi-card">
      <div className="card-head">
        <h2 id={`kpi-${r.kpi.key}`}>{r.kpi.name}</h2>
        <Status status={r.status} />
      </div>
      <div className="big">
        {r.actual?.display ?? "—"}
        {r.lowConfidence && (
          <span className="low" title={`Only ${r.sampleSize} behind this value: low confidence`}>
            low confidence
          </span>
        )}
      </div>
      <dl className="facts">
        <div>
          <dt>Target</dt>
          <dd>{r.target?.display ?? "—"}</dd>
        </div>
        <div>
          <dt>Attainment</dt>
          <dd>{percent(r.attainment)}</dd>
        </div>
        <div>
          <dt>Pace</dt>
          <dd>{percent(r.pace)}</dd>
        </div>
      </dl>
      <Trend name={r.kpi.name} trend={r.trend} />
    </article>
  );
}

// Trend: the KPI's actuals over the periods up to the one shown, with the
// target in force in each (a gap where there was none).
function Trend({ name, trend }: { name: string; trend: ScorecardResultFragment["trend"] }) {
  const points = trend.points;
  if (!points.length) return <div className="chart-placeholder" aria-hidden="true" />;
  const labels = points.map((p) => shortPeriod(p.period.label));
  const series: Series[] = [{ label: "Actual", values: points.map((p) => p.actual?.number ?? null), color: "#3b5bdb" }];
  if (points.some((p) => p.target)) series.push({ label: "Target", values: points.map((p) => p.target?.number ?? null), color: "#e8590c", dash: true, spanGaps: false });
  const says = (p: (typeof points)[number]) => `${p.period.label} ${p.actual?.display ?? "none"}${p.target ? ` (target ${p.target.display})` : ""}`;
  return <LineChart title={`${name}: ${points.map(says).join(", ")}`} labels={labels} series={series} height={120} />;
}
