// Small pieces every screen uses.
import type { AssessmentFragment, KpiStatus, RealismBand, TargetStatus } from "./generated/graphql";
import { LineChart, shortPeriod } from "./chart";
import { message, percent, words } from "./format";

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="problem" role="alert">
      {message(error)}
    </p>
  );
}

export function Status({ status }: { status: TargetStatus | KpiStatus | null | undefined }) {
  if (!status) return <span className="pill">No target</span>;
  return <span className={`pill s-${status.toLowerCase()}`}>{words(status)}</span>;
}

const bandWords: Record<RealismBand, string> = {
  BELOW_BASELINE: "Below baseline",
  REALISTIC: "Realistic",
  STRETCH: "Stretch",
  UNREALISTIC: "Unrealistic",
  INSUFFICIENT_HISTORY: "Insufficient history",
};

export function Band({ band }: { band: RealismBand }) {
  return <span className={`pill b-${band.toLowerCase()}`} data-testid="band">{bandWords[band]}</span>;
}

// Assessment shows a realism check: the band, the figures and a chart of the
// evidence periods with the expected and proposed values.
export function Assessment({ a, title = "Realism check" }: { a: AssessmentFragment; title?: string }) {
  const labels = a.evidence.map((e) => e.period);
  const n = labels.length;
  return (
    <section className="card" aria-label={title}>
      <div className="card-head">
        <h2>{title}</h2>
        <Band band={a.band} />
      </div>
      <dl className="facts">
        <div>
          <dt>Proposed</dt>
          <dd>{a.proposed.display}</dd>
        </div>
        <div>
          <dt>Expected</dt>
          <dd>{a.expected?.display ?? "—"}</dd>
        </div>
        <div>
          <dt>Baseline</dt>
          <dd>{a.baseline?.display ?? "—"}</dd>
        </div>
        <div>
          <dt>Best period</dt>
          <dd>{a.bestEver?.display ?? "—"}</dd>
        </div>
        <div>
          <dt>Against expected</dt>
          <dd>{percent(a.ratio)}</dd>
        </div>
        <div>
          <dt>Market factor</dt>
          <dd>× {a.marketFactor.toFixed(2)}</dd>
        </div>
      </dl>
      {a.ramp && (
        <p className="muted">
          Ramping: {a.ramp.tenureMonths} months of tenure, {percent(a.ramp.share)} of a fully ramped rep ({a.ramp.peers} peers).
        </p>
      )}
      {n > 0 ? (
        <LineChart
          title={`Evidence: ${labels.join(", ")}`}
          labels={labels.map(shortPeriod)}
          series={[
            { label: "Actual", values: a.evidence.map((e) => e.value?.number ?? null), color: "#3b5bdb" },
            { label: "Expected", values: labels.map(() => a.expected?.number ?? null), color: "#868e96", dash: true, points: false },
            { label: "Proposed", values: labels.map(() => a.proposed.number), color: "#e8590c", points: false },
          ]}
        />
      ) : (
        <p className="muted">No completed period to compare with.</p>
      )}
    </section>
  );
}
