// My targets: each with its status, value against actual, and what may be
// done with it now.
import { useQuery } from "@apollo/client/react";
import { MyTargetsDocument } from "../generated/graphql";
import { Link } from "../router";
import { useViewer } from "../viewer";
import { nodes, percent, words } from "../format";
import { Loading, Problem, Status } from "../ui";

export function MyTargets() {
  const viewer = useViewer();
  const { data, loading, error } = useQuery(MyTargetsDocument, { variables: { where: { userID: viewer.id } } });
  const targets = nodes(data?.targets);
  return (
    <section>
      <div className="screen-head">
        <h1>My targets</h1>
        <Link to="/propose" className="button primary">
          Propose a target
        </Link>
      </div>
      <Problem error={error} />
      {loading && !data && <Loading what="your targets" />}
      {data && targets.length === 0 && <p className="muted">No targets yet.</p>}
      {targets.length > 0 && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Your targets">
          <table className="table">
            <caption className="sr-only">Your targets, newest period first</caption>
            <thead>
              <tr>
                <th scope="col">KPI</th>
                <th scope="col">Period</th>
                <th scope="col" className="num">Value</th>
                <th scope="col" className="num">Actual</th>
                <th scope="col" className="num">Attainment</th>
                <th scope="col">Status</th>
                <th scope="col">You may</th>
              </tr>
            </thead>
            <tbody>
              {targets.map((t) => (
                <tr key={t.id} data-testid="target-row">
                  <td>
                    <Link to={`/targets/${encodeURIComponent(t.id)}`}>{t.kpi.name}</Link>
                  </td>
                  <td>{t.period.label}</td>
                  <td className="num">{t.value.display}</td>
                  <td className="num">{t.actual?.display ?? "—"}</td>
                  <td className="num">{percent(t.attainment)}</td>
                  <td>
                    <Status status={t.status} />
                  </td>
                  <td className="muted">{t.allowedActions.map(words).join(", ") || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
