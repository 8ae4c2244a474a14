// Admin: the team tree. Each team with its sub-teams, managers, members and
// review cadence; create a team (under a parent or at the top), move it
// under another, set its cadence, assign and unassign its managers, add a
// member or move one to another team, and see the team's market factors and
// set one for a period (the realism checks scale expected values by it).
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@apollo/client/react";
import {
  AdminTeamsDocument,
  CreateTeamDocument,
  SetMarketFactorDocument,
  UpdateTeamDocument,
  UpdateUserDocument,
  type AdminTeamFragment,
  type PeriodKind,
  type ReviewCadence,
} from "../generated/graphql";
import { nodes, words } from "../format";
import { Field, FormButtons, Loading, Options, Problem, Select, Table, choices, fieldAttrs, fieldErrors } from "../ui";

const cadences: ReviewCadence[] = ["WEEKLY", "BIWEEKLY", "MONTHLY", "QUARTERLY"];
const topLevel = "None (a top-level team)";
type Person = { id: string; name: string; role: string; teamID?: string | null };
const refetch = { refetchQueries: ["AdminTeams"], awaitRefetchQueries: true };

export function AdminTeams() {
  // Read again on every visit: another screen (Users) may have moved people.
  const { data, loading, error } = useQuery(AdminTeamsDocument, { fetchPolicy: "cache-and-network" });
  const teams = nodes(data?.teams);
  const people = nodes(data?.users);
  const [picked, setPicked] = useState("");
  const [creating, setCreating] = useState(false);
  const selected = teams.find((t) => t.id === picked) ?? teams.find((t) => !t.parentID) ?? teams[0];
  const children = (id: string | null) => teams.filter((t) => (t.parentID ?? null) === id);
  const known = new Set(teams.map((t) => t.id));
  const roots = teams.filter((t) => !t.parentID || !known.has(t.parentID));

  const tree = (t: AdminTeamFragment): React.ReactNode => (
    <li key={t.id}>
      <button
        type="button"
        className={`tree-node${selected?.id === t.id ? " chosen" : ""}`}
        aria-current={selected?.id === t.id ? "true" : undefined}
        onClick={() => setPicked(t.id)}
        data-testid="team-node"
      >
        <strong>{t.name}</strong>
        <span className="muted">
          {" "}
          · {t.members.totalCount} member{t.members.totalCount === 1 ? "" : "s"} · {words(t.reviewCadence)}
        </span>
      </button>
      {children(t.id).length > 0 && <ul className="tree">{children(t.id).map((c) => tree(c))}</ul>}
    </li>
  );

  return (
    <section>
      <div className="screen-head">
        <h1>Teams</h1>
        <span className="muted">{data ? `${data.teams.totalCount} teams` : ""}</span>
      </div>
      <div className="row toolbar">
        <button type="button" className={creating ? "chosen" : "primary"} aria-expanded={creating} onClick={() => setCreating(!creating)}>
          Create a team
        </button>
      </div>
      {creating && <CreateTeam teams={teams} onCreated={(id) => setPicked(id)} onDone={() => setCreating(false)} />}
      <Problem error={error} />
      {loading && !data && <Loading what="the teams" />}
      {data && (
        <div className="split">
          <nav className="card" aria-label="Team tree">
            <h2>Team tree</h2>
            <ul className="tree root">{roots.map((t) => tree(t))}</ul>
          </nav>
          {selected && <TeamDetail key={selected.id} t={selected} teams={teams} people={people} />}
        </div>
      )}
    </section>
  );
}

function CreateTeam({ teams, onCreated, onDone }: { teams: AdminTeamFragment[]; onCreated: (id: string) => void; onDone: () => void }) {
  const [name, setName] = useState("");
  const [parent, setParent] = useState("");
  const [cadence, setCadence] = useState<ReviewCadence>("MONTHLY");
  const [create, { loading, error }] = useMutation(CreateTeamDocument, refetch);
  const errs = fieldErrors(error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const r = await create({ variables: { input: { name: name.trim(), parentID: parent || undefined, reviewCadence: cadence } } });
      const id = r.data?.createTeam.team.id;
      if (id) onCreated(id);
      setName("");
      onDone();
    } catch {
      // shown below
    }
  };
  return (
    <form className="card form" aria-label="Create a team" onSubmit={submit}>
      <h2>Create a team</h2>
      <div className="row">
        <Field label="Team name" id="team-name" error={errs.name}>
          <input value={name} onChange={(e) => setName(e.target.value)} required {...fieldAttrs("team-name", errs.name)} />
        </Field>
        <Select label="Parent team" value={parent} onChange={setParent} items={choices(teams)} none={topLevel} />
        <Select label="Review cadence" value={cadence} onChange={setCadence} items={cadences} />
      </div>
      <FormButtons submit="Create the team" busy={loading} onCancel={onDone} cancel="Close" />
      <Problem error={errs[""] ? { message: errs[""] } : null} />
    </form>
  );
}

// below reports whether team id is t or one of t's sub-teams (a team cannot
// move under itself).
function below(teams: AdminTeamFragment[], t: AdminTeamFragment, id: string): boolean {
  for (let cur = teams.find((x) => x.id === id); cur; cur = teams.find((x) => x.id === cur!.parentID)) {
    if (cur.id === t.id) return true;
    if (!cur.parentID) break;
  }
  return false;
}

function TeamDetail({ t, teams, people }: { t: AdminTeamFragment; teams: AdminTeamFragment[]; people: Person[] }) {
  const [update, updating] = useMutation(UpdateTeamDocument, refetch);
  const [move, moving] = useMutation(UpdateUserDocument, refetch);
  const [done, setDone] = useState("");
  const managers = nodes(t.managers);
  const members = nodes(t.members);
  const [manager, setManager] = useState("");
  const [member, setMember] = useState("");
  const run = async (p: Promise<unknown>, what: string) => {
    setDone("");
    try {
      await p;
      setDone(what);
    } catch {
      // shown below
    }
  };
  const change = (input: Record<string, unknown>, what: string) => run(update({ variables: { input: { id: t.id, ...input } } }), what);
  const candidates = people.filter((p) => (p.role === "MANAGER" || p.role === "ADMIN") && !managers.some((m) => m.id === p.id));
  const outsiders = people.filter((p) => p.teamID !== t.id);
  const name = (id: string) => people.find((p) => p.id === id)?.name ?? "";
  const busy = updating.loading || moving.loading;
  return (
    <article className="card team-detail" aria-label={`Team ${t.name}`} data-testid="team-detail">
      <h2>Team {t.name}</h2>
      <div className="row">
        <Select
          label="Parent team"
          value={t.parentID ?? ""}
          disabled={busy}
          onChange={(id) => void change(id ? { parentID: id } : { clearParent: true }, "Parent changed")}
          items={choices(teams.filter((x) => !below(teams, t, x.id)))}
          none={topLevel}
        />
        <Select label="Review cadence" value={t.reviewCadence} disabled={busy} onChange={(c) => void change({ reviewCadence: c }, "Cadence set")} items={cadences} />
      </div>

      <h3>Managers</h3>
      {managers.length === 0 && <p className="muted">No manager: the team's targets are decided by the parent team's managers or an admin.</p>}
      <ul className="people">
        {managers.map((m) => (
          <li key={m.id} data-testid="team-manager">
            {m.name}{" "}
            <button type="button" className="link" disabled={busy} onClick={() => void change({ removeManagerIDs: [m.id] }, `${m.name} unassigned`)}>
              Unassign<span className="sr-only"> {m.name}</span>
            </button>
          </li>
        ))}
      </ul>
      <div className="row">
        <Select label="Manager to assign" value={manager} onChange={setManager} items={candidates.map((p) => ({ value: p.id, label: `${p.name} (${words(p.role)})` }))} none="Choose a manager…" />
        <button
          type="button"
          disabled={!manager || busy}
          onClick={() => void change({ addManagerIDs: [manager] }, `${name(manager)} assigned`).then(() => setManager(""))}
        >
          Assign
        </button>
      </div>

      <h3>Members</h3>
      {members.length === 0 && <p className="muted">No member yet.</p>}
      <ul className="people">
        {members.map((m) => (
          <Member key={m.id} m={m} t={t} teams={teams} busy={busy} onMove={(teamID, to) => run(move({ variables: { input: { id: m.id, teamID } } }), `${m.name} moved to ${to}`)} />
        ))}
      </ul>
      <div className="row">
        <Select
          label="Person to add"
          value={member}
          onChange={setMember}
          items={outsiders.map((p) => ({ value: p.id, label: p.teamID ? `${p.name} (in ${teams.find((x) => x.id === p.teamID)?.name ?? "another team"})` : p.name }))}
          none="Choose a person…"
        />
        <button type="button" disabled={!member || busy} onClick={() => void change({ addMemberIDs: [member] }, `${name(member)} added`).then(() => setMember(""))}>
          Add to the team
        </button>
      </div>
      <Problem error={updating.error ?? moving.error} />
      {done && !updating.error && !moving.error && (
        <p className="muted" role="status" data-testid="team-done">
          {done}
        </p>
      )}
      <MarketFactor t={t} />
    </article>
  );
}

function Member({
  m,
  t,
  teams,
  busy,
  onMove,
}: {
  m: Person;
  t: AdminTeamFragment;
  teams: AdminTeamFragment[];
  busy: boolean;
  onMove: (teamID: string, to: string) => Promise<unknown>;
}) {
  const [to, setTo] = useState("");
  const dest = teams.find((x) => x.id === to);
  return (
    <li data-testid="team-member" className="member">
      <span>
        {m.name} <span className="muted">{words(m.role)}</span>
      </span>
      <span className="inline">
        <select aria-label={`Team to move ${m.name} to`} value={to} onChange={(e) => setTo(e.target.value)}>
          <Options items={choices(teams.filter((x) => x.id !== t.id))} none="Move to…" />
        </select>
        <button type="button" disabled={!dest || busy} onClick={() => dest && void onMove(dest.id, dest.name)}>
          Move<span className="sr-only"> {m.name}</span>
        </button>
      </span>
    </li>
  );
}

const periods: { label: string; kind: PeriodKind; offset: number }[] = [
  { label: "This quarter", kind: "QUARTER", offset: 0 },
  { label: "Next quarter", kind: "QUARTER", offset: 1 },
  { label: "This month", kind: "MONTH", offset: 0 },
  { label: "Next month", kind: "MONTH", offset: 1 },
  { label: "This year", kind: "YEAR", offset: 0 },
  { label: "Next year", kind: "YEAR", offset: 1 },
];

// The team's market factors, newest period first, and the form that sets
// one: the mutation gives the team back with its list, which the cache
// writes over the one shown.
function MarketFactor({ t }: { t: AdminTeamFragment }) {
  const [period, setPeriod] = useState(1);
  const [factor, setFactor] = useState("1.00");
  const [comment, setComment] = useState("");
  const [set, { data, loading, error }] = useMutation(SetMarketFactorDocument);
  const errs = fieldErrors(error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const p = periods[period];
    await set({ variables: { input: { teamID: t.id, period: { kind: p.kind, offset: p.offset }, factor: Number(factor), comment: comment.trim() || undefined } } }).catch(() => {});
  };
  const r = data?.setMarketFactor.marketFactor;
  const factors = t.marketFactors;
  return (
    <form className="form market" aria-label={`Market factor of team ${t.name}`} onSubmit={submit}>
      <h3>Market factors</h3>
      <p className="muted">What the market is expected to give in a period: 1.10 means 10% more. Realism checks scale the expected value of the KPIs it applies to.</p>
      {factors.length === 0 ? (
        <p className="muted" data-testid="market-factors-none">
          No market factor set: the team's realism checks use its parent team's, else 1.
        </p>
      ) : (
        <Table label={`Market factors of team ${t.name}`} columns={["Period", { label: "Factor", num: true }, "Comment", "Set by"]}>
          {factors.map((f) => (
            <tr key={f.id} data-testid="market-factor">
              <td>{f.period.label}</td>
              <td className="num">× {f.factor.toFixed(2)}</td>
              <td>{f.comment || <span className="muted">—</span>}</td>
              <td>{f.setBy?.name ?? <span className="muted">—</span>}</td>
            </tr>
          ))}
        </Table>
      )}
      <div className="row">
        <Select label="Period" value={String(period)} onChange={(i) => setPeriod(Number(i))} items={periods.map((p, i) => ({ value: String(i), label: p.label }))} />
        <Field label="Factor" id={`factor-${t.id}`} error={errs.factor}>
          <input inputMode="decimal" value={factor} onChange={(e) => setFactor(e.target.value)} required {...fieldAttrs(`factor-${t.id}`, errs.factor)} />
        </Field>
        <label>
          Comment
          <input value={comment} onChange={(e) => setComment(e.target.value)} />
        </label>
        <button type="submit" disabled={loading}>
          Set the market factor
        </button>
      </div>
      <Problem error={errs[""] || errs.period ? { message: errs[""] ?? errs.period } : null} />
      {r && !error && (
        <p className="muted" role="status" data-testid="market-factor-set">
          Market factor of {t.name} for {r.period.label}: × {r.factor.toFixed(2)}
        </p>
      )}
    </form>
  );
}
