// Allocation of a team target among the team's reps: a preview of the split
// by history, equally or by capacity (a dry run, nothing written), then the
// DRAFT targets for the reps to submit.
import { useState } from "react";
import { useMutation } from "@apollo/client/react";
import { AllocateTeamTargetDocument, type AllocationMethod, type TargetStatus } from "../generated/graphql";
import { Link } from "../router";
import { percent, words } from "../format";
import { Problem, Table } from "../ui";

const methods: AllocationMethod[] = ["HISTORY", "EQUAL", "CAPACITY"];

// The statuses of a target that is still open: a rep with one for the KPI
// and period makes the API refuse the allocation (CONFLICT, naming them),
// unless the rep is overridden with that target's value, which keeps it.
export const openStatuses: TargetStatus[] = ["DRAFT", "PROPOSED", "CHANGES_REQUESTED", "APPROVED"];

type OpenTarget = { user: { id: string; name: string }; target: { id: string; status: TargetStatus; value: { value: string; display: string } } };

// open: the reps' open targets for the KPI and period. The manager may keep
// them (each rep overridden with their target's value, no draft for them)
// and divide the rest among the others; else the API's refusal is shown as
// it says.
export function Allocate({ targetId, value, open }: { targetId: string; value: string; open: OpenTarget[] }) {
  const [method, setMethod] = useState<AllocationMethod>("HISTORY");
  const [keep, setKeep] = useState(false);
  const [allocate, { data, loading, error }] = useMutation(AllocateTeamTargetDocument, { refetchQueries: ["TeamRollup"] });
  const overrides = keep ? open.map((o) => ({ userID: o.user.id, value: o.target.value.value })) : [];
  const run = (dryRun: boolean) => allocate({ variables: { input: { targetId, method, dryRun, overrides } } }).catch(() => {});
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
        {open.length > 0 && (
          <label className="check">
            <input type="checkbox" checked={keep} onChange={(e) => setKeep(e.target.checked)} />
            Keep the open targets of {open.map((o) => `${o.user.name} (${o.target.value.display}, ${words(o.target.status)})`).join(", ")}
          </label>
        )}
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
                <td className="num">{s.kept ? "kept" : s.overridden ? "fixed" : percent(s.weight)}</td>
                <td>
                  {s.target ? (
                    <Link to={`/targets/${encodeURIComponent(s.target.id)}`}>{s.kept ? `Kept: ${words(s.target.status)}` : words(s.target.status)}</Link>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </section>
  );
}
