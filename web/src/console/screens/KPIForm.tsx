// The definition of a custom KPI: an aggregate (COUNT, SUM or AVG over
// deals or meetings, placed in periods by one of their dates, with filters)
// or a ratio of two. The API validates the whole (which unit a function
// gives, which fields and dates a source has…) and names the part at fault,
// such as definition.numerator.field: the error is shown beside that part.
import { useState, type FormEvent } from "react";
import { useMutation } from "@apollo/client/react";
import {
  CreateKpiDocument,
  type CreateKpiInput,
  type DealStage,
  type KpiAggregateInput,
  type KpiDate,
  type KpiDirection,
  type KpiField,
  type KpiFunction,
  type KpiSource,
  type KpiUnit,
  type MeetingKind,
  type MeetingStatus,
} from "../generated/graphql";
import { words } from "../format";
import { Field, FieldProblem, FormButtons, Options, Problem, Select, fieldAttrs, fieldErrors } from "../ui";

const units: KpiUnit[] = ["COUNT", "MONEY", "DAYS", "PERCENT"];
const directions: { value: KpiDirection; label: string }[] = [
  { value: "HIGHER_IS_BETTER", label: "Higher" },
  { value: "LOWER_IS_BETTER", label: "Lower" },
];
const stages: DealStage[] = ["PROSPECTING", "QUALIFIED", "PROPOSAL", "NEGOTIATION", "WON", "LOST"];
const kinds: MeetingKind[] = ["DISCOVERY", "DEMO", "PROPOSAL", "NEGOTIATION", "FOLLOW_UP"];
const statuses: MeetingStatus[] = ["SCHEDULED", "HELD", "CANCELLED", "NO_SHOW"];
const dates: Record<KpiSource, KpiDate[]> = { DEALS: ["CLOSED_AT", "OPENED_AT"], MEETINGS: ["HELD_AT", "SCHEDULED_AT"] };
const fields: Record<KpiSource, KpiField[]> = { DEALS: ["AMOUNT", "CYCLE_DAYS"], MEETINGS: ["DURATION_MINUTES"] };

type Agg = {
  source: KpiSource;
  function: KpiFunction;
  field: KpiField | "";
  date: KpiDate | "";
  dealStages: DealStage[];
  meetingKinds: MeetingKind[];
  meetingStatuses: MeetingStatus[];
  amountMin: string;
  amountMax: string;
};

const fresh = (source: KpiSource = "DEALS"): Agg => ({
  source,
  function: "COUNT",
  field: "",
  date: "",
  dealStages: [],
  meetingKinds: [],
  meetingStatuses: [],
  amountMin: "",
  amountMax: "",
});

function input(a: Agg): KpiAggregateInput {
  const filter = {
    ...(a.dealStages.length ? { dealStages: a.dealStages } : {}),
    ...(a.meetingKinds.length ? { meetingKinds: a.meetingKinds } : {}),
    ...(a.meetingStatuses.length ? { meetingStatuses: a.meetingStatuses } : {}),
    ...(a.amountMin.trim() ? { amountMin: a.amountMin.trim() } : {}),
    ...(a.amountMax.trim() ? { amountMax: a.amountMax.trim() } : {}),
  };
  return {
    source: a.source,
    function: a.function,
    ...(a.field ? { field: a.field } : {}),
    ...(a.date ? { date: a.date } : {}),
    ...(Object.keys(filter).length ? { filter } : {}),
  };
}

// Errs finds the API's error for a field path, or for a part below it
// shown at that path (definition.aggregate.filter.dealStages at the filter).
type Errs = (path: string) => string | undefined;

export function KPIForm({ onCreated, onCancel }: { onCreated: (name: string) => void; onCancel: () => void }) {
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [unit, setUnit] = useState<KpiUnit>("COUNT");
  const [direction, setDirection] = useState<KpiDirection>("HIGHER_IS_BETTER");
  const [minSample, setMinSample] = useState("0");
  const [market, setMarket] = useState<"" | "yes" | "no">("");
  const [ratio, setRatio] = useState(false);
  const [agg, setAgg] = useState<Agg>(fresh());
  const [num, setNum] = useState<Agg>(fresh());
  const [den, setDen] = useState<Agg>(fresh("MEETINGS"));
  const [create, { loading, error }] = useMutation(CreateKpiDocument, { refetchQueries: ["AdminKPIs"], awaitRefetchQueries: true });
  const all = fieldErrors(error);
  const errs: Errs = (path) => all[path];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const n = Number(minSample);
    const kpi: CreateKpiInput = {
      key: key.trim(),
      name: name.trim(),
      description: description.trim() || undefined,
      unit,
      direction,
      minSample: minSample.trim() === "" ? undefined : Number.isInteger(n) ? n : -1,
      definition: ratio ? { numerator: input(num), denominator: input(den) } : { aggregate: input(agg) },
      ...(market ? { marketFactorApplies: market === "yes" } : {}),
    };
    try {
      await create({ variables: { input: kpi } });
      onCreated(kpi.name);
    } catch {
      // shown beside the fields
    }
  };

  const keyErr = errs("key");
  const nameErr = errs("name");
  const unitErr = errs("unit");
  const minErr = errs("minSample");
  const defErr = errs("definition");
  const parts = ratio ? (
    <>
      <AggregateEditor title="Numerator" path="definition.numerator" a={num} set={setNum} errs={errs} />
      <AggregateEditor title="Denominator" path="definition.denominator" a={den} set={setDen} errs={errs} />
    </>
  ) : (
    <AggregateEditor title="Aggregate" path="definition.aggregate" a={agg} set={setAgg} errs={errs} />
  );
  // What names no field the form shows goes under the form.
  const shown = new Set(["key", "name", "unit", "minSample", "definition", ...(ratio ? ["definition.numerator", "definition.denominator"] : ["definition.aggregate"]).flatMap(partPaths)]);
  const rest = Object.keys(all).filter((f) => !shown.has(f));
  return (
    <form className="card form" aria-label="Define a custom KPI" onSubmit={submit} data-testid="kpi-form">
      <h2>Define a custom KPI</h2>
      <div className="row">
        <Field label="Key" id={pid("key")} error={keyErr} hint="2 to 64 upper-case letters, digits and underscores.">
          <input value={key} onChange={(e) => setKey(e.target.value.toUpperCase())} required placeholder="ENTERPRISE_WINS" {...fieldAttrs(pid("key"), keyErr, true)} />
        </Field>
        <Field label="Name" id={pid("name")} error={nameErr}>
          <input value={name} onChange={(e) => setName(e.target.value)} required {...fieldAttrs(pid("name"), nameErr)} />
        </Field>
      </div>
      <label>
        Description
        <input value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <div className="row">
        <Field label="Unit" id={pid("unit")} error={unitErr}>
          <select value={unit} onChange={(e) => setUnit(e.target.value as KpiUnit)} {...fieldAttrs(pid("unit"), unitErr)}>
            <Options items={units} />
          </select>
        </Field>
        <Select label="Better when" value={direction} onChange={setDirection} items={directions} />
        <Field label="Minimum sample" id={pid("minSample")} error={minErr}>
          <input inputMode="numeric" value={minSample} onChange={(e) => setMinSample(e.target.value)} {...fieldAttrs(pid("minSample"), minErr)} />
        </Field>
        <Select label="Market factor applies" value={market} onChange={setMarket} items={["yes", "no"] as const} none="By unit (counts and money)" />
      </div>
      <fieldset className="choice">
        <legend>Computed as</legend>
        <label className="inline-choice">
          <input type="radio" name="kind" checked={!ratio} onChange={() => setRatio(false)} /> An aggregate
        </label>
        <label className="inline-choice">
          <input type="radio" name="kind" checked={ratio} onChange={() => setRatio(true)} /> A ratio of two aggregates
        </label>
        <FieldProblem id={`${pid("definition")}-problem`} text={defErr} />
      </fieldset>
      {parts}
      <FormButtons submit="Define the KPI" busy={loading} onCancel={onCancel} />
      <Problem error={rest.length ? { message: rest.map((f) => all[f]).join("; ") } : null} />
    </form>
  );
}

const partFields = ["source", "function", "field", "date", "filter", "filter.dealStages", "filter.meetingKinds", "filter.meetingStatuses", "filter.amountMin", "filter.amountMax"];
const partPaths = (path: string) => [path, ...partFields.map((f) => `${path}.${f}`)];

const pid = (path: string) => `kpi-${path.replace(/\./g, "-")}`;

function AggregateEditor({ title, path, a, set, errs }: { title: string; path: string; a: Agg; set: (a: Agg) => void; errs: Errs }) {
  const e = {
    part: errs(path),
    source: errs(`${path}.source`),
    function: errs(`${path}.function`),
    field: errs(`${path}.field`),
    date: errs(`${path}.date`),
    filter: errs(`${path}.filter`),
    dealStages: errs(`${path}.filter.dealStages`),
    meetingKinds: errs(`${path}.filter.meetingKinds`),
    meetingStatuses: errs(`${path}.filter.meetingStatuses`),
    amountMin: errs(`${path}.filter.amountMin`),
    amountMax: errs(`${path}.filter.amountMax`),
  };
  const problem = (k: keyof typeof e) => <FieldProblem id={`${pid(path)}-${k}-problem`} text={e[k]} />;
  const toggle = <T,>(list: T[], v: T, on: boolean) => (on ? [...list, v] : list.filter((x) => x !== v));
  return (
    <fieldset className="card aggregate" data-testid={`aggregate-${path.split(".").pop()}`}>
      <legend>{title}</legend>
      {problem("part")}
      <div className="row">
        <Field label={`${title}: source`} id={`${pid(path)}-source`} error={e.source}>
          <select
            value={a.source}
            onChange={(ev) => {
              const source = ev.target.value as KpiSource;
              set({ ...fresh(source), function: a.function });
            }}
            {...fieldAttrs(`${pid(path)}-source`, e.source)}
          >
            <option value="DEALS">Deals</option>
            <option value="MEETINGS">Meetings</option>
          </select>
        </Field>
        <Field label={`${title}: function`} id={`${pid(path)}-function`} error={e.function}>
          <select value={a.function} onChange={(ev) => set({ ...a, function: ev.target.value as KpiFunction, field: ev.target.value === "COUNT" ? "" : a.field || fields[a.source][0] })} {...fieldAttrs(`${pid(path)}-function`, e.function)}>
            <option value="COUNT">Count</option>
            <option value="SUM">Sum</option>
            <option value="AVG">Average</option>
          </select>
        </Field>
        <Field label={`${title}: field`} id={`${pid(path)}-field`} error={e.field}>
          <select value={a.field} onChange={(ev) => set({ ...a, field: ev.target.value as KpiField | "" })} {...fieldAttrs(`${pid(path)}-field`, e.field)}>
            <Options items={fields[a.source]} none="None (count rows)" />
          </select>
        </Field>
        <Field label={`${title}: date`} id={`${pid(path)}-date`} error={e.date}>
          <select value={a.date} onChange={(ev) => set({ ...a, date: ev.target.value as KpiDate | "" })} {...fieldAttrs(`${pid(path)}-date`, e.date)}>
            <Options items={dates[a.source]} none={`Default (${words(dates[a.source][0])})`} />
          </select>
        </Field>
      </div>
      <Checks legend={`${title}: deal stages`} all={stages} on={a.dealStages} set={(v, on) => set({ ...a, dealStages: toggle(a.dealStages, v, on) })} problem={problem("dealStages")} />
      {a.source === "MEETINGS" ? (
        <>
          <Checks legend={`${title}: meeting kinds`} all={kinds} on={a.meetingKinds} set={(v, on) => set({ ...a, meetingKinds: toggle(a.meetingKinds, v, on) })} problem={problem("meetingKinds")} />
          <Checks
            legend={`${title}: meeting statuses`}
            all={statuses}
            on={a.meetingStatuses}
            set={(v, on) => set({ ...a, meetingStatuses: toggle(a.meetingStatuses, v, on) })}
            problem={problem("meetingStatuses")}
          />
        </>
      ) : (
        <div className="row">
          <Field label={`${title}: amount at least`} id={`${pid(path)}-amountMin`} error={e.amountMin}>
            <input inputMode="decimal" value={a.amountMin} onChange={(ev) => set({ ...a, amountMin: ev.target.value })} {...fieldAttrs(`${pid(path)}-amountMin`, e.amountMin)} />
          </Field>
          <Field label={`${title}: amount at most`} id={`${pid(path)}-amountMax`} error={e.amountMax}>
            <input inputMode="decimal" value={a.amountMax} onChange={(ev) => set({ ...a, amountMax: ev.target.value })} {...fieldAttrs(`${pid(path)}-amountMax`, e.amountMax)} />
          </Field>
        </div>
      )}
      {problem("filter")}
    </fieldset>
  );
}

function Checks<T extends string>({ legend, all, on, set, problem }: { legend: string; all: T[]; on: T[]; set: (v: T, on: boolean) => void; problem: React.ReactNode }) {
  return (
    <fieldset className="checks">
      <legend>{legend} (none: every one)</legend>
      {all.map((v) => (
        <label key={v} className="inline-choice">
          <input type="checkbox" checked={on.includes(v)} onChange={(e) => set(v, e.target.checked)} /> {words(v)}
        </label>
      ))}
      {problem}
    </fieldset>
  );
}
