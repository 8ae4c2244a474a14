// Admin: the organization's KPIs. Enable or disable one (scorecards show the
// enabled ones), set the sample below which its values are low-confidence,
// and whether the market factor scales its expected value; define a custom
// KPI (KPIForm).
import { useState } from "react";
import { useMutation, useQuery } from "@apollo/client/react";
import { AdminKpIsDocument, UpdateKpiDocument, type AdminKpiFragment } from "../generated/graphql";
import { nodes, words } from "../format";
import { Loading, Problem, Table } from "../ui";
import { KPIForm } from "./KPIForm";

export function AdminKPIs() {
  const { data, loading, error } = useQuery(AdminKpIsDocument);
  const [defining, setDefining] = useState(false);
  const [defined, setDefined] = useState("");
  const kpis = nodes(data?.kpis).sort((a, b) => a.position - b.position);
  return (
    <section>
      <div className="screen-head">
        <h1>KPIs</h1>
        <span className="muted">{data ? `${kpis.filter((k) => k.enabled).length} of ${kpis.length} enabled` : ""}</span>
      </div>
      <div className="row toolbar">
        <button type="button" className={defining ? "chosen" : "primary"} aria-expanded={defining} onClick={() => setDefining(!defining)}>
          Define a custom KPI
        </button>
        {defined && (
          <span className="muted" role="status" data-testid="kpi-defined">
            {defined} is defined and enabled: scorecards show it.
          </span>
        )}
      </div>
      {defining && (
        <KPIForm
          onCreated={(name) => {
            setDefined(name);
            setDefining(false);
          }}
          onCancel={() => setDefining(false)}
        />
      )}
      <Problem error={error} />
      {loading && !data && <Loading what="the KPIs" />}
      <Table label="The organization's KPIs" caption="The organization's KPIs, in scorecard order" columns={["KPI", "Unit", "Better", "Minimum sample", "Market factor", "Enabled"]}>
        {kpis.map((k) => (
          <Row key={k.id} k={k} />
        ))}
      </Table>
    </section>
  );
}

function Row({ k }: { k: AdminKpiFragment }) {
  const [update, { error }] = useMutation(UpdateKpiDocument);
  const [minSample, setMinSample] = useState(String(k.minSample));
  // Shown at once (an optimistic answer), undone if the server refuses it.
  const save = (input: { enabled?: boolean; minSample?: number; marketFactorApplies?: boolean }) =>
    update({
      variables: { input: { id: k.id, ...input } },
      optimisticResponse: { __typename: "Mutation", updateKPI: { __typename: "UpdateKPIPayload", kpi: { ...k, ...input, __typename: "KPI" } } },
    }).catch(() => {});
  return (
    <tr data-testid="admin-kpi">
      <td>
        <strong>{k.name}</strong>
        <div className="muted">
          {k.key}
          {k.builtin ? " · built in" : " · custom"}
        </div>
        {error && <Problem error={error} />}
      </td>
      <td>{words(k.unit)}</td>
      <td>{k.direction === "HIGHER_IS_BETTER" ? "Higher" : "Lower"}</td>
      <td>
        <input
          className="narrow"
          aria-label={`Minimum sample of ${k.name}`}
          inputMode="numeric"
          value={minSample}
          onChange={(e) => setMinSample(e.target.value)}
          onBlur={() => {
            const n = Number(minSample);
            if (Number.isInteger(n) && n >= 0 && n !== k.minSample) void save({ minSample: n });
            else setMinSample(String(k.minSample));
          }}
        />
      </td>
      <td>
        <input
          type="checkbox"
          aria-label={`The market factor scales ${k.name}`}
          checked={k.marketFactorApplies}
         
          onChange={(e) => void save({ marketFactorApplies: e.target.checked })}
        />
      </td>
      <td>
        <input type="checkbox" aria-label={`${k.name} enabled`} checked={k.enabled} onChange={(e) => void save({ enabled: e.target.checked })} />
      </td>
    </tr>
  );
}
