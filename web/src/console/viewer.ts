// The signed-in viewer and what the role may do: the console hides what a
// role cannot do (the API refuses it all the same).
import { createContext, useContext } from "react";
import type { SessionViewerFragment } from "./generated/graphql";

export type Viewer = SessionViewerFragment;

export const ViewerContext = createContext<Viewer | null>(null);

export function useViewer(): Viewer {
  const v = useContext(ViewerContext);
  if (!v) throw new Error("useViewer outside a session");
  return v;
}

export const isManager = (v: Viewer) => v.role === "MANAGER" || v.role === "ADMIN";
export const isAdmin = (v: Viewer) => v.role === "ADMIN";
// Reps and managers propose targets (for themselves; managers for their teams too).
export const mayPropose = (v: Viewer) => v.role !== "ADMIN" || v.team != null;
