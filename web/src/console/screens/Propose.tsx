// Propose a target: KPI and period, the suggestion, the realism band and
// evidence updating as the value is typed (assessTarget, nothing written),
// a rationale, submit.
import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@apollo/client/react";
import { AssessDocument, ProposeDocument, ProposeFormDocument, SuggestionDocument, type PeriodKind } from "../generated/graphql";
import { useRouter } from "../router";
import { useViewer } from "../viewer";
import { Assessment, Loading, Problem, Select, choices } from "../ui";
import { nodes } from "../format";

const validValue = /^\d+(\.\d+)?$/;

export function Propose() {
  const viewer = useViewer();
  const { navigate } = useRouter();
  const form = useQuery(ProposeFormDocument);
  const kpis = nodes(form.data?.kpis).sort((a, b) => a.position - b.position);
  const [kpi, setKpi] = useState("");
  const [kind, setKind] = useState<PeriodKind>("QUARTER");
  const [offset, setOffset] = useState(0);
  const [value, setValue] = useState("");
  const [rationale, setRationale] = useState("");
  const chosen = kpi || kpis[0]?.id || "";
  const scope = { userID: viewer.id };
  const period = { kind, offset };

  const suggestion = useQuery(SuggestionDocument, { variables: { kpi: chosen, scope, period }, skip: !chosen });
  // The value typed, debounced: the check follows the typing, not each key.
  const [typed, setTyped] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setTyped(value.trim()), 250);
    return () => clearTimeout(t);
  }, [value]);
  const valid = validValue.test(typed);
  const assess = useQuery(AssessDocument, { variables: { kpi: chosen, scope, period, value: typed }, skip: !chosen || !valid });
  const [propose, proposing] = useMutation(ProposeDocument);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const { data } = await propose({
        variables: { input: { kpiID: chosen, userID: viewer.id, period, value: value.trim(), rationale: rationale.trim() || undefined } },
        refetchQueries: ["MyTargets"],
      });
      if (data) navigate(`/targets/${encodeURIComponent(data.proposeTarget.target.id)}`);
    } catch {
      // shown from proposing.error
    }
  };

  const s = suggestion.data?.suggestTarget;
  const shown = valid ? (assess.data ?? assess.previousData)?.assessTarget : undefined;
  const unit = kpis.find((k) => k.id === chosen)?.unit;

  return (
    <section>
      <div className="screen-head">
        <h1>Propose a target</h1>
      </div>
      {form.loading && <Loading what="the KPIs" />}
      <Problem error={form.error} />
      <div className="two-col">
        <form className="card form" onSubmit={submit}>
          <Select label="KPI" value={chosen} onChange={setKpi} items={choices(kpis)} />
          <div className="row">
            <label>
              Period
              <select value={kind} onChange={(e) => setKind(e.target.value as PeriodKind)}>
                <option value="MONTH">Month</option>
                <option value="QUARTER">Quarter</option>
                <option value="YEAR">Year</option>
              </select>
            </label>
            <label>
              Which
              <select value={offset} onChange={(e) => setOffset(Number(e.target.value))}>
                <option value={0}>This one</option>
                <option value={1}>Next</option>
                <option value={2}>The one after</option>
              </select>
            </label>
          </div>
          <p className="suggestion" data-testid="suggestion">
            {suggestion.loading ? (
              "Looking at your history…"
            ) : s ? (
              s.suggested ? (
                <>
                  For {s.period.label}, history suggests <strong>{s.suggested.display}</strong>{" "}
                  <button type="button" className="link" onClick={() => setValue(s.suggested!.value)}>
                    Use it
                  </button>
                </>
              ) : (
                <>No suggestion for {s.period.label}: too little history.</>
              )
            ) : null}
          </p>
          <label>
            Value{unit ? ` (${unit.toLowerCase()})` : ""}
            <input
              name="value"
              inputMode="decimal"
              value={value}
              onChange={(e) => setValue(e.target.value)}
              aria-invalid={value.trim() !== "" && !validValue.test(value.trim())}
              required
            />
          </label>
          {value.trim() !== "" && !validValue.test(value.trim()) && <p className="problem">A value is a number such as 120000 or 12.5.</p>}
          <label>
            Rationale
            <textarea name="rationale" rows={3} value={rationale} onChange={(e) => setRationale(e.target.value)} />
          </label>
          <button type="submit" className="primary" disabled={!chosen || !validValue.test(value.trim()) || proposing.loading}>
            Submit for approval
          </button>
          <Problem error={proposing.error} />
        </form>
        <div>
          <Problem error={assess.error ?? suggestion.error} />
          {shown ? (
            <Assessment a={shown} title="Realism check of your value" />
          ) : s ? (
            <Assessment a={s.assessment} title="Realism check of the suggestion" />
          ) : null}
        </div>
      </div>
    </section>
  );
}
