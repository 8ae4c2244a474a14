// The form of a decision that may take a new value, a reason and a comment:
// a target's actions (approve with changes, request changes, an adjustment…)
// and a review item's (keep, adjust) are one form. A comment the rules
// require is required here too: the button waits for it.
import { useState, type FormEvent } from "react";
import type { ReasonCode } from "./generated/graphql";
import { FormButtons, Problem, Select } from "./ui";

export type Decided = { value: string; reason: ReasonCode; comment: string };

export function DecisionForm({
  submitLabel,
  value,
  valueLabel = "Value",
  reasons,
  comment,
  danger,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  submitLabel: string;
  // The value offered first, when the decision takes one.
  value?: string;
  valueLabel?: string;
  // The reasons to choose from, the first chosen, when it takes one.
  reasons?: ReasonCode[];
  // Whether it takes a comment, and whether one is required.
  comment?: "required" | "optional";
  danger?: boolean;
  busy?: boolean;
  error?: unknown;
  onSubmit: (d: Decided) => Promise<unknown> | void;
  onCancel: () => void;
}) {
  const [v, setValue] = useState(value ?? "");
  const [reason, setReason] = useState<ReasonCode>(reasons?.[0] ?? "OTHER");
  const [text, setText] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void onSubmit({ value: v.trim(), reason, comment: text.trim() });
  };
  return (
    <form className="form" onSubmit={submit}>
      {(value !== undefined || reasons) && (
        <div className="row">
          {value !== undefined && (
            <label>
              {valueLabel}
              <input name="value" inputMode="decimal" value={v} onChange={(e) => setValue(e.target.value)} required pattern="\d+(\.\d+)?" />
            </label>
          )}
          {reasons && <Select label="Reason" value={reason} onChange={setReason} items={reasons} />}
        </div>
      )}
      {comment && (
        <label>
          Comment{comment === "required" ? " (required)" : ""}
          <textarea name="comment" rows={2} value={text} onChange={(e) => setText(e.target.value)} required={comment === "required"} />
        </label>
      )}
      <FormButtons submit={submitLabel} danger={danger} busy={busy} disabled={comment === "required" && !text.trim()} onCancel={onCancel} />
      <Problem error={error} />
    </form>
  );
}
