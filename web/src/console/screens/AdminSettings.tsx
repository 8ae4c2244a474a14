// Admin: the organization's name, currency, time zone and fiscal year start,
// and its thresholds and schedules (realism bands, the
// paces of the statuses, the review suggestion rule, the close's grace, the
// ramp of new reps, the reconciliation tolerance). Only what was changed is
// sent; the API checks that the whole holds together and names the field at
// fault, shown beside it.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@apollo/client/react";
import {
  AdminSettingsDocument,
  UpdateOrganizationDocument,
  UpdateSettingsDocument,
  type OrgBasicsFragment,
  type OrgSettingsFragment,
  type UpdateOrganizationInput,
  type UpdateOrganizationSettingsInput,
} from "../generated/graphql";
import { Field, Loading, Options, Problem, fieldAttrs, fieldErrors } from "../ui";

type Spec = { name: string; label: string; help: string; int?: boolean; get: (s: OrgSettingsFragment) => number | number[] };

const groups: { title: string; fields: Spec[] }[] = [
  {
    title: "Realism bands",
    fields: [
      { name: "realism.belowBaseline", label: "Below baseline under", help: "A ratio of the expected value.", get: (s) => s.realism.belowBaseline },
      { name: "realism.realistic", label: "Realistic up to", help: "A ratio of the expected value.", get: (s) => s.realism.realistic },
      { name: "realism.stretch", label: "Stretch up to", help: "Above it: unrealistic.", get: (s) => s.realism.stretch },
      { name: "realism.bestEverFactor", label: "Best period factor", help: "Beyond the best period times this: unrealistic.", get: (s) => s.realism.bestEverFactor },
      { name: "realism.comparablePeriods", label: "Comparable periods", help: "How many completed periods the baseline weighs.", int: true, get: (s) => s.realism.comparablePeriods },
    ],
  },
  {
    title: "Statuses",
    fields: [
      { name: "status.onTrack", label: "On track from", help: "A ratio of the pace (1 = on pace).", get: (s) => s.status.onTrack },
      { name: "status.atRisk", label: "At risk from", help: "Below it: off track.", get: (s) => s.status.atRisk },
    ],
  },
  {
    title: "Reviews and closing",
    fields: [
      { name: "review.change", label: "Suggest a change beyond", help: "A ratio of the target: 0.2 is ±20%.", get: (s) => s.review.change },
      { name: "review.minElapsed", label: "Suggest only after", help: "The share of the period elapsed.", get: (s) => s.review.minElapsed },
      { name: "closeGraceHours", label: "Close grace (hours)", help: "How long after a period ends its targets stay open for late records.", int: true, get: (s) => s.closeGraceHours },
      { name: "reconciliationTolerance", label: "Reconciliation tolerance", help: "How far above a team target its members' targets may sum.", get: (s) => s.reconciliationTolerance },
    ],
  },
  {
    title: "Ramp of new reps",
    fields: [{ name: "rampSchedule", label: "Ramp schedule", help: "Shares of a ramped rep's value by month of tenure, comma-separated, ending at 1.", get: (s) => s.rampSchedule }],
  },
];

const text = (v: number | number[]) => (Array.isArray(v) ? v.join(", ") : String(v));
const valuesOf = (s: OrgSettingsFragment): Record<string, string> => Object.fromEntries(groups.flatMap((g) => g.fields.map((f) => [f.name, text(f.get(s))])));

export function AdminSettings() {
  const { data, loading, error } = useQuery(AdminSettingsDocument);
  const org = data?.viewer.organization;
  return (
    <section>
      <div className="screen-head">
        <h1>Settings</h1>
      </div>
      <Problem error={error} />
      {loading && !data && <Loading what="the settings" />}
      {org && (
        <>
          <OrganizationForm org={org} />
          <SettingsForm s={org.settings} />
        </>
      )}
    </section>
  );
}

const months = Array.from({ length: 12 }, (_, i) => ({ value: String(i + 1), label: new Date(2000, i, 1).toLocaleString("en", { month: "long" }) }));

// The organization's basics: only what changed is sent (updateOrganization);
// a refusal is shown beside the field it names. The currency and the fiscal
// year may be refused once records are stored in them, and the form says so.
function OrganizationForm({ org }: { org: OrgBasicsFragment }) {
  const initial = { name: org.name, currency: org.currency, timezone: org.timezone, fiscalYearStartMonth: String(org.fiscalYearStartMonth) };
  const [values, setValues] = useState(initial);
  const [update, { loading, error, called }] = useMutation(UpdateOrganizationDocument);
  const errs = fieldErrors(error);
  const set = (k: keyof typeof initial) => (e: { target: { value: string } }) => setValues({ ...values, [k]: e.target.value });
  const input: UpdateOrganizationInput = {};
  if (values.name.trim() !== org.name) input.name = values.name.trim();
  if (values.currency.trim().toUpperCase() !== org.currency) input.currency = values.currency.trim().toUpperCase();
  if (values.timezone.trim() !== org.timezone) input.timezone = values.timezone.trim();
  if (Number(values.fiscalYearStartMonth) !== org.fiscalYearStartMonth) input.fiscalYearStartMonth = Number(values.fiscalYearStartMonth);
  const changes = Object.keys(input).length;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await update({ variables: { input } }).catch(() => null);
  };
  const known = new Set(["name", "currency", "timezone", "fiscalYearStartMonth"]);
  const other = Object.entries(errs)
    .filter(([k]) => !known.has(k))
    .map(([, v]) => v)
    .join("; ");
  return (
    <form className="card form" aria-label="The organization" onSubmit={submit}>
      <h2>{org.name}</h2>
      <div className="settings-grid">
        <Field label="Name" id="org-name" error={errs.name} hint="1 to 200 characters.">
          <input value={values.name} onChange={set("name")} required maxLength={200} {...fieldAttrs("org-name", errs.name, true)} />
        </Field>
        <Field
          label="Currency"
          id="org-currency"
          error={errs.currency}
          hint="An ISO 4217 code such as USD. Amounts are stored in its minor units, so it cannot change once the organization has deals, targets or a custom KPI filtering on an amount."
        >
          <input value={values.currency} onChange={set("currency")} required maxLength={3} autoCapitalize="characters" {...fieldAttrs("org-currency", errs.currency, true)} />
        </Field>
        <Field label="Time zone" id="org-timezone" error={errs.timezone} hint="An IANA zone such as Europe/Paris. Periods are computed in it: a change moves every period's bounds.">
          <input value={values.timezone} onChange={set("timezone")} required {...fieldAttrs("org-timezone", errs.timezone, true)} />
        </Field>
        <Field
          label="Fiscal year starts in"
          id="org-fiscal"
          error={errs.fiscalYearStartMonth}
          hint="Targets, reviews and market factors are stored by fiscal period, so it cannot change once the organization has any."
        >
          <select value={values.fiscalYearStartMonth} onChange={set("fiscalYearStartMonth")} {...fieldAttrs("org-fiscal", errs.fiscalYearStartMonth, true)}>
            <Options items={months} />
          </select>
        </Field>
      </div>
      <div className="row">
        <button type="submit" className="primary" disabled={loading || changes === 0}>
          Save {changes ? `${changes} change${changes > 1 ? "s" : ""}` : "the organization"}
        </button>
      </div>
      <Problem error={other ? { message: other } : null} />
      {called && !loading && !error && (
        <p className="notice" role="status" data-testid="organization-saved">
          Saved.
        </p>
      )}
    </form>
  );
}

function SettingsForm({ s }: { s: OrgSettingsFragment }) {
  const initial = valuesOf(s);
  const [values, setValues] = useState<Record<string, string>>(initial);
  const [update, { loading, error, called }] = useMutation(UpdateSettingsDocument);
  const [local, setLocal] = useState<Record<string, string>>({});
  const errs = { ...fieldErrors(error), ...local };
  const changed = Object.keys(values).filter((k) => values[k].trim() !== initial[k]);

  const build = (): UpdateOrganizationSettingsInput | null => {
    const input: Record<string, unknown> = {};
    const bad: Record<string, string> = {};
    for (const g of groups)
      for (const f of g.fields) {
        if (!changed.includes(f.name)) continue;
        const raw = values[f.name].trim();
        let v: number | number[];
        if (f.name === "rampSchedule") v = raw.split(/[,\s]+/).filter(Boolean).map(Number);
        else v = Number(raw);
        if ((Array.isArray(v) ? v : [v]).some((n) => !Number.isFinite(n)) || raw === "" || (f.int && !Number.isInteger(v))) {
          bad[f.name] = f.int ? "a whole number" : "a number such as 1.2";
          continue;
        }
        const [group, key] = f.name.split(".");
        if (key) input[group] = { ...((input[group] as object) ?? {}), [key]: v };
        else input[group] = v;
      }
    setLocal(bad);
    return Object.keys(bad).length ? null : (input as UpdateOrganizationSettingsInput);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input = build();
    if (!input) return;
    const r = await update({ variables: { input } }).catch(() => null);
    const saved = r?.data?.updateOrganizationSettings.organization.settings;
    if (saved) setValues(valuesOf(saved));
  };
  const reset = async () => {
    setLocal({});
    const r = await update({ variables: { input: { resetToDefaults: true } } }).catch(() => null);
    const saved = r?.data?.updateOrganizationSettings.organization.settings;
    if (saved) setValues(valuesOf(saved));
  };
  const known = new Set(groups.flatMap((g) => g.fields.map((f) => f.name)));
  const other = Object.entries(errs)
    .filter(([k]) => !known.has(k))
    .map(([, v]) => v)
    .join("; ");
  return (
    <form className="form" aria-label="Thresholds and schedules" onSubmit={submit}>
      {groups.map((g) => (
        <fieldset key={g.title} className="card">
          <legend>{g.title}</legend>
          <div className="settings-grid">
            {g.fields.map((f) => {
              const id = `setting-${f.name.replace(".", "-")}`;
              return (
                <Field key={f.name} label={f.label} id={id} error={errs[f.name]} hint={f.help}>
                  <input
                    name={f.name}
                    inputMode={f.name === "rampSchedule" ? "text" : f.int ? "numeric" : "decimal"}
                    value={values[f.name]}
                    onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                    {...fieldAttrs(id, errs[f.name], true)}
                  />
                </Field>
              );
            })}
          </div>
        </fieldset>
      ))}
      <div className="row">
        <button type="submit" className="primary" disabled={loading || changed.length === 0}>
          Save {changed.length ? `${changed.length} change${changed.length > 1 ? "s" : ""}` : "the settings"}
        </button>
        <button type="button" className="danger" disabled={loading} onClick={() => void reset()}>
          Reset to the defaults
        </button>
      </div>
      <Problem error={other ? { message: other } : null} />
      {called && !loading && !error && (
        <p className="notice" role="status" data-testid="settings-saved">
          Saved.
        </p>
      )}
    </form>
  );
}
