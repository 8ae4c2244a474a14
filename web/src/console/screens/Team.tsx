// Team (managers): the rollup of a team's members for a KPI and period, the
// team's own target, and how far the members' approved targets cover it.
import { useState } from "react";
import { useQuery } from "@apollo/client/react";
import { TeamFormDocument, TeamRollupDocument, type PeriodKind } from "../generated/graphql";
import { useViewer } from "../viewer";
import { nodes, percent } from "../format";
import { Loading, Problem, Select, Table, choices } from "../ui";
import { Allocate, openStatuses } from "./Allocate";

const periodKinds: { value: PeriodKind; label: string }[] = [
  { value: "MONTH", label: "This month" },
  { value: "QUARTER", label: "This quarter" },
  { value: "YEAR", label: "This year" },
];

export function Team() {
  const viewer = useViewer();
  const kpis = useQuery(TeamFormDocument);
  const teams = nodes(kpis.data?.teams);
  const list = nodes(kpis.data?.kpis).sort((a, b) => a.position - b.position);
  const [picked, setTeam] = useState("");
  const team = picked || teams.find((t) => t.id === viewer.team?.id)?.id || teams[0]?.id || "";
  const [kpi, setKpi] = useState("");
  const [kind, setKind] = useState<PeriodKind>("QUARTER");
  const chosen = kpi || list[0]?.id || "";
  const rollup = useQuery(TeamRollupDocument, { variables: { team, kpi: chosen, period: { kind } }, skip: !team || !chosen });
  const r = rollup.data?.teamRollup;
  const rec = r?.reconciliation;
  return (
    <section>
      <div className="screen-head">
        <h1>Team</h1>
        <div className="controls">
          <Select label="Team" value={team} onChange={setTeam} items={choices(teams)} />
          <Select label="KPI" value={chosen} onChange={setKpi} items={choices(list)} />
          <Select label="Period" value={kind} onChange={setKind} items={periodKinds} />
        </div>
      </div>
      <Problem error={kpis.error ?? rollup.error} />
      {(kpis.loading || rollup.loading) && !r && <Loading what="the team" />}
      {r && (
        <>
          <div className="card">
            <h2>
              {r.kpi.name} · {r.period.label}
            </h2>
            <dl className="facts wide">
              <div>
                <dt>Team actual</dt>
                <dd>{r.actual?.display ?? "—"}</dd>
              </div>
              <div>
                <dt>Team target</dt>
                <dd>{r.target?.display ?? "—"}</dd>
              </div>
              <div>
                <dt>Attainment</dt>
                <dd>{percent(r.attainment)}</dd>
              </div>
              {r.additive && (
                <div>
                  <dt>Members' targets</dt>
                  <dd>{r.membersTargetSum?.display ?? "—"}</dd>
                </div>
              )}
              {rec && (
                <>
                  <div>
                    <dt>Coverage</dt>
                    <dd>
                      {percent(rec.coverage)} {rec.covered === false && <span className="pill s-at_risk">Not covered</span>}
                    </dd>
                  </div>
                  <div>
                    <dt>Gap</dt>
                    <dd>{rec.gap?.display ?? "—"}</dd>
                  </div>
                  <div>
                    <dt>If all open ones are approved</dt>
                    <dd>{percent(rec.openCoverage)}</dd>
                  </div>
                </>
              )}
            </dl>
          </div>
          {r.additive && rec?.teamTarget && rec.teamTarget.status !== "CLOSED" && (
            <Allocate
              key={rec.teamTarget.id}
              targetId={rec.teamTarget.id}
              value={rec.teamTarget.value.display}
              open={rec.members.flatMap((m) => (m.target && openStatuses.includes(m.target.status) ? [{ user: m.user, target: m.target }] : []))}
            />
          )}
          <Table label="Members of the team" columns={["Member", { label: "Actual", num: true }, { label: "Target", num: true }, "Attainment"]}>
            {r.members.map((m) => (
              <tr key={m.id} data-testid="rollup-member">
                <td>{m.user.name}</td>
                <td className="num">
                  {m.actual?.display ?? "—"}
                  {m.lowConfidence && <span className="low"> low confidence</span>}
                </td>
                <td className="num">{m.target?.display ?? "—"}</td>
                <td>
                  {m.attainment != null ? (
                    <span className="meter-cell">
                      <meter min={0} max={1.5} low={0.9} high={1} optimum={1.2} value={Math.min(m.attainment, 1.5)} aria-label={`${m.user.name}: ${percent(m.attainment)}`} />{" "}
                      {percent(m.attainment)}
                    </span>
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
