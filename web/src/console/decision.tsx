// The form of a decision that may take a new value, a reason and a comment:
// a target's actions (approve with changes, request changes, an adjustment…)
// and a review item's (keep, adjust) are one form. A comment the rules
// require is required here too: the button waits for it.
import { useState, type FormEvent } from "react";
import type { ReasonCode } from "./generated/graphql";
import { words } from "./format";
import { Problem } from "./ui";

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
          {reasons && (
            <label>
              Reason
              <select value={reason} onChange={(e) => setReason(e.target.value as ReasonCode)}>
                {reasons.map((r) => (
                  <option key={r} value={r}>
                    {words(r)}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
      )}
      {comment && (
        <label>
          Comment{comment === "required" ? " (required)" : ""}
          <textarea name="comment" rows={2} value={text} onChange={(e) => setText(e.target.value)} required={comment === "required"} />
        </label>
      )}
      <div className="row">
        <button type="submit" className={danger ? "danger primary" : "primary"} disabled={busy || (comment === "required" && !text.trim())}>
          {submitLabel}
        </button>
        <button type="button" className="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <Problem error={error} />
    </form>
  );
}
