// Admin: the organization's users, a page at a time. Invite one (with an
// initial password, or none: they cannot sign in until one is set), change
// a user's role or team, set a new password, deactivate or reactivate them.
// An admin cannot change their own role or activity (the API refuses it):
// those controls are not offered on their own row.
import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@apollo/client/react";
import { AdminUsersDocument, CreateUserDocument, UpdateUserDocument, type AdminUserFragment, type UserRole } from "../generated/graphql";
import { nodes, words } from "../format";
import { useViewer } from "../viewer";
import { Field, FormButtons, Loading, Options, Problem, Select, Table, choices, fieldAttrs, fieldErrors } from "../ui";

const roles: UserRole[] = ["REP", "MANAGER", "ADMIN"];
const pageSize = 25;

type TeamOption = { id: string; name: string };

export function AdminUsers() {
  const [search, setSearch] = useState("");
  // The search, debounced: one request when the typing pauses, not one a key.
  const [q, setQ] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  const where = q ? { or: [{ nameContainsFold: q }, { emailContainsFold: q }] } : undefined;
  // Read again on every visit: another screen (Teams) may have moved people.
  const { data, previousData, loading, error, fetchMore } = useQuery(AdminUsersDocument, {
    variables: { first: pageSize, where },
    fetchPolicy: "cache-and-network",
  });
  const shown = data ?? previousData;
  const users = nodes(shown?.users);
  const teams = nodes(shown?.teams);
  const [more, setMore] = useState(false);
  const [inviting, setInviting] = useState(false);
  const page = shown?.users.pageInfo;
  const showMore = async () => {
    setMore(true);
    try {
      await fetchMore({ variables: { after: page?.endCursor } });
    } finally {
      setMore(false);
    }
  };
  return (
    <section>
      <div className="screen-head">
        <h1>Users</h1>
        <span className="muted" data-testid="user-count">
          {data ? `${data.users.totalCount} user${data.users.totalCount === 1 ? "" : "s"}${q ? " found" : ""}` : ""}
        </span>
      </div>
      <div className="row toolbar">
        <label>
          Search by name or email
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <button type="button" className={inviting ? "chosen" : "primary"} aria-expanded={inviting} onClick={() => setInviting(!inviting)}>
          Invite a user
        </button>
      </div>
      {inviting && <Invite teams={teams} onDone={() => setInviting(false)} />}
      <Problem error={error} />
      {loading && !shown && <Loading what="the users" />}
      {shown && (
        <Table label="The organization's users" caption="The organization's users, by name" columns={["User", "Role", "Team", "Active", "Password"]}>
          {users.map((u) => (
            <Row key={u.id} u={u} teams={teams} />
          ))}
        </Table>
      )}
      {page?.hasNextPage && (
        <div className="row more">
          <button type="button" onClick={() => void showMore()} disabled={more}>
            Show more users
          </button>
          <span className="muted">
            {users.length} of {shown?.users.totalCount} shown
          </span>
        </div>
      )}
    </section>
  );
}

function Invite({ teams, onDone }: { teams: TeamOption[]; onDone: () => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<UserRole>("REP");
  const [team, setTeam] = useState("");
  const [password, setPassword] = useState("");
  const [create, { loading, error, data }] = useMutation(CreateUserDocument, { refetchQueries: ["AdminUsers"] });
  const errs = fieldErrors(error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await create({
        variables: {
          input: { name: name.trim(), email: email.trim(), role, teamID: team || undefined, password: password || undefined },
        },
      });
      setName("");
      setEmail("");
      setPassword("");
    } catch {
      // shown below
    }
  };
  const created = data?.createUser.user;
  return (
    <form className="card form" aria-label="Invite a user" onSubmit={submit}>
      <h2>Invite a user</h2>
      <div className="row">
        <Field label="Name" id="invite-name" error={errs.name}>
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} required {...fieldAttrs("invite-name", errs.name)} />
        </Field>
        <Field label="Email" id="invite-email" error={errs.email}>
          <input name="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required {...fieldAttrs("invite-email", errs.email)} />
        </Field>
      </div>
      <div className="row">
        <Select label="Role" value={role} onChange={setRole} items={roles} />
        <Select label="Team" value={team} onChange={setTeam} items={choices(teams)} none="No team" />
        <Field label="Initial password (optional)" id="invite-password" error={errs.password}>
          <input name="password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} {...fieldAttrs("invite-password", errs.password)} />
        </Field>
      </div>
      <p className="muted">Without a password the user cannot sign in until you set one. Passwords have 10 to 1024 characters.</p>
      <FormButtons submit="Create the user" busy={loading} onCancel={onDone} cancel="Close" />
      <Problem error={errs[""] ? { message: errs[""] } : null} />
      {created && !error && (
        <p className="notice" role="status">
          {created.name} ({created.email}) was added as {words(created.role).toLowerCase()}.
        </p>
      )}
    </form>
  );
}

function Row({ u, teams }: { u: AdminUserFragment; teams: TeamOption[] }) {
  const viewer = useViewer();
  const self = u.id === viewer.id;
  const [update, { loading, error }] = useMutation(UpdateUserDocument);
  const [password, setPassword] = useState<string | null>(null);
  const [saved, setSaved] = useState("");
  // A role or an activity shows at once (an optimistic answer), undone if
  // the server refuses it; a team or a password waits for the answer.
  const save = async (input: { role?: UserRole; active?: boolean; teamID?: string; clearTeam?: boolean; password?: string }, what: string) => {
    setSaved("");
    const optimistic = input.teamID === undefined && !input.clearTeam && input.password === undefined;
    try {
      await update({
        variables: { input: { id: u.id, ...input } },
        optimisticResponse: optimistic
          ? { __typename: "Mutation", updateUser: { __typename: "UpdateUserPayload", user: { ...u, ...(input as { role?: UserRole; active?: boolean }) } } }
          : undefined,
      });
      setSaved(what);
      return true;
    } catch {
      return false; // shown in the row
    }
  };
  const managed = nodes(u.managedTeams);
  return (
    <tr data-testid="admin-user" className={u.active ? undefined : "inactive"}>
      <td>
        <strong>{u.name}</strong>
        {self && <span className="muted"> (you)</span>}
        <div className="muted">{u.email}</div>
        {managed.length > 0 && <div className="muted">Manages {managed.map((t) => t.name).join(", ")}</div>}
        <Problem error={error} />
        {saved && !error && (
          <span className="muted" role="status">
            {saved}
          </span>
        )}
      </td>
      <td>
        {self ? (
          words(u.role)
        ) : (
          <select aria-label={`Role of ${u.name}`} value={u.role} disabled={loading} onChange={(e) => void save({ role: e.target.value as UserRole }, "Role changed")}>
            <Options items={roles} />
          </select>
        )}
      </td>
      <td>
        <select
          aria-label={`Team of ${u.name}`}
          value={u.team?.id ?? ""}
          disabled={loading}
          onChange={(e) => void save(e.target.value ? { teamID: e.target.value } : { clearTeam: true }, "Team changed")}
        >
          <Options items={choices(teams)} none="No team" />
        </select>
      </td>
      <td>
        {self ? (
          "Yes"
        ) : (
          <input
            type="checkbox"
            aria-label={`${u.name} active`}
            checked={u.active}
            disabled={loading}
            onChange={(e) => void save({ active: e.target.checked }, e.target.checked ? "Reactivated" : "Deactivated: signed out")}
          />
        )}
      </td>
      <td>
        {password === null ? (
          <button type="button" className="link" onClick={() => setPassword("")}>
            Set a password<span className="sr-only"> for {u.name}</span>
          </button>
        ) : (
          <form
            className="inline"
            onSubmit={async (e) => {
              e.preventDefault();
              if (await save({ password }, "Password set: signed out")) setPassword(null);
            }}
          >
            <input
              type="password"
              autoComplete="new-password"
              aria-label={`New password for ${u.name}`}
              value={password}
              minLength={10}
              required
              onChange={(e) => setPassword(e.target.value)}
            />
            <button type="submit" disabled={loading}>
              Set
            </button>
            <button type="button" className="link" onClick={() => setPassword(null)}>
              Cancel
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}
