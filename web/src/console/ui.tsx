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

// Table is a scrolling table with its caption (read by screen readers) and
// its column heads; the rows are the children.
export function Table({ label, caption, columns, children }: { label: string; caption?: string; columns: (string | { label: string; num?: boolean })[]; children: React.ReactNode }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={label}>
      <table className="table">
        <caption className="sr-only">{caption ?? label}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const col = typeof c === "string" ? { label: c } : c;
              return (
                <th key={col.label} scope="col" className={col.num ? "num" : undefined}>
                  {col.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

// fieldErrors maps the API's coded errors to the input fields they name
// (extensions.field, such as "definition.aggregate.field"); the errors that
// name none are under "".
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!err) return out;
  const e = err as { message?: string; errors?: { message: string; extensions?: { field?: unknown } }[] };
  for (const x of e.errors ?? [{ message: e.message ?? String(err) }]) {
    const f = typeof x.extensions?.field === "string" ? x.extensions.field : "";
    out[f] = out[f] ? `${out[f]}; ${x.message}` : x.message;
  }
  return out;
}

// Field is a labelled control with its hint and the error the API gave for
// it, both outside the label (they describe the control, they do not name
// it); the control takes fieldAttrs(id, error, hint) to point at them.
export function Field({ label, id, error, hint, children }: { label: string; id: string; error?: string; hint?: string; children: React.ReactNode }) {
  return (
    <div className="field">
      <label>
        {label}
        {children}
      </label>
      {hint && (
        <span className="hint" id={`${id}-help`}>
          {hint}
        </span>
      )}
      <FieldProblem id={`${id}-problem`} text={error} />
    </div>
  );
}

export function fieldAttrs(id: string, error?: string, hint?: boolean) {
  const by = [hint ? `${id}-help` : "", error ? `${id}-problem` : ""].filter(Boolean).join(" ");
  return { "aria-invalid": error ? true : undefined, "aria-describedby": by || undefined };
}

// FieldProblem is the error the API gave for one input field, tied to it by
// its id (aria-describedby).
export function FieldProblem({ id, text }: { id: string; text?: string }) {
  if (!text) return null;
  return (
    <span className="field-problem" id={id} role="alert">
      {text}
    </span>
  );
}

export type Choice<T extends string> = T | { value: T; label: string };

// Options are a select's options: enum values worded (words), or values
// with their labels; none, when given, is the empty value's label.
export function Options<T extends string>({ items, none }: { items: readonly Choice<T>[]; none?: string }) {
  return (
    <>
      {none !== undefined && <option value="">{none}</option>}
      {items.map((c) => {
        const o = typeof c === "string" ? { value: c, label: words(c) } : c;
        return (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        );
      })}
    </>
  );
}

// choices are the options of objects with an id and a name (teams, people).
export const choices = (xs: readonly { id: string; name: string }[]) => xs.map((x) => ({ value: x.id, label: x.name }));

// Select is a labelled select of choices.
export function Select<T extends string>({
  label,
  value,
  onChange,
  items,
  none,
  disabled,
}: {
  label: string;
  value: T | "";
  onChange: (v: T) => void;
  items: readonly Choice<T>[];
  none?: string;
  disabled?: boolean;
}) {
  return (
    <label>
      {label}
      <select value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as T)}>
        <Options items={items} none={none} />
      </select>
    </label>
  );
}

// FormButtons: a form's submit button and the link that closes it.
export function FormButtons({ submit, busy, danger, disabled, onCancel, cancel = "Cancel" }: { submit: string; busy?: boolean; danger?: boolean; disabled?: boolean; onCancel: () => void; cancel?: string }) {
  return (
    <div className="row">
      <button type="submit" className={danger ? "danger primary" : "primary"} disabled={busy || disabled}>
        {submit}
      </button>
      <button type="button" className="link" onClick={onCancel}>
        {cancel}
      </button>
    </div>
  );
}
