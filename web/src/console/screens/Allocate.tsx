// Allocation of a team target among the team's reps: a preview of the split
// by history, equally or by capacity (a dry run, nothing written), then the
// DRAFT targets for the reps to submit.
import { useState } from "react";
import { useMutation } from "@apollo/client/react";
import { AllocateTeamTargetDocument, type AllocationMethod } from "../generated/graphql";
import { Link } from "../router";
import { percent, words } from "../format";
import { Problem, Table } from "../ui";

const methods: AllocationMethod[] = ["HISTORY", "EQUAL", "CAPACITY"];

// A rep with an open target for the KPI and period already makes the API
// refuse the allocation (CONFLICT, naming them): shown as it says.
export function Allocate({ targetId, value }: { targetId: string; value: string }) {
  const [method, setMethod] = useState<AllocationMethod>("HISTORY");
  const [allocate, { data, loading, error }] = useMutation(AllocateTeamTargetDocument, { refetchQueries: ["TeamRollup"] });
  const run = (dryRun: boolean) => allocate({ variables: { input: { targetId, method, dryRun } } }).catch(() => {});
  const result = data?.allocateTeamTarget;
  return (
    <section className="card" aria-label="Allocation">
      <h2>Allocate the team target ({value})</h2>
      <div className="row">
        <label className="fixed">
          Method
          <select value={method} onChange={(e) => setMethod(e.target.value as AllocationMethod)}>
            {methods.map((m) => (
              <option key={m} value={m}>
                {m === "HISTORY" ? "By history" : m === "EQUAL" ? "Equally" : "By capacity"}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => run(true)} disabled={loading}>
          Preview the split
        </button>
        <button type="button" className="primary" onClick={() => run(false)} disabled={loading || !result?.dryRun}>
          Create the drafts
        </button>
      </div>
      <Problem error={error} />
      {result && (
        <>
          <p className="muted" data-testid="allocation-note">
            {result.dryRun ? "Preview, nothing written" : "Drafts created for the reps to submit"}
            {result.appliedMethod !== result.method && ` · no history for these reps: split ${words(result.appliedMethod)}`}
          </p>
          <Table label="The split" caption="The team target's split among the reps" columns={["Rep", { label: "Value", num: true }, { label: "Weight", num: true }, "Draft"]}>
            {result.shares.map((s) => (
              <tr key={s.user.id} data-testid="allocation-share">
                <td>{s.user.name}</td>
                <td className="num">{s.value.display}</td>
                <td className="num">{s.overridden ? "fixed" : percent(s.weight)}</td>
                <td>{s.target ? <Link to={`/targets/${encodeURIComponent(s.target.id)}`}>{words(s.target.status)}</Link> : "—"}</td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </section>
  );
}
