// How the console words the API's values.
export function percent(ratio: number | null | undefined): string {
  return ratio == null ? "—" : `${Math.round(ratio * 100)} %`;
}

export function words(e: string | null | undefined): string {
  if (!e) return "";
  const s = e.toLowerCase().replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function when(t: string): string {
  return new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function shortDay(t: string): string {
  return new Date(t).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

export function day(t: string): string {
  return new Date(t).toLocaleDateString(undefined, { dateStyle: "medium" });
}

// message is what a failed request says to people: the API's message (its
// errors carry a code and a sentence meant to be shown).
export function message(err: unknown): string {
  if (!err) return "";
  const e = err as { message?: string; errors?: { message: string }[] };
  if (e.errors?.length) return e.errors.map((x) => x.message).join("; ");
  return e.message ?? String(err);
}

// nodes is the nodes of a connection's page (ent's connections have
// nullable edges and nodes).
export function nodes<T>(c: { edges?: ({ node?: T | null } | null)[] | null } | null | undefined): T[] {
  return (c?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
}
