// Line charts with uPlot (small, fast, canvas; it styles its elements through
// the DOM, never inline style attributes or <style> elements, so the strict
// Content-Security-Policy holds). Categories (periods, review points) are
// placed at 0, 1, 2, … and labelled on the axis.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

// shortPeriod labels an axis tick: "FY2027 Q1" → "Q1 ’27", "FY2027" → "FY27".
export function shortPeriod(label: string): string {
  const m = /^FY\d\d(\d\d)(?: (.+))?$/.exec(label);
  return m ? (m[2] ? `${m[2]} ’${m[1]}` : `FY${m[1]}`) : label;
}

export type Series = {
  label: string;
  values: (number | null)[];
  color: string;
  dash?: boolean;
  points?: boolean;
  // Whether the line goes on across a period without a value (default
  // yes; a target line stops where no target was in force).
  spanGaps?: boolean;
};

export function LineChart({ labels, series, height = 160, title }: { labels: string[]; series: Series[]; height?: number; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = labels.map((_, i) => i);
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false } },
      axes: [
        {
          values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? labels[v] ?? "" : "")),
          stroke: "#5b6474",
          grid: { stroke: "#eef0f4" },
          incrs: [1],
        },
        {
          stroke: "#5b6474",
          grid: { stroke: "#eef0f4" },
          size: 52,
          values: (_u, splits) => splits.map((v) => compact.format(v)),
        },
      ],
      series: [
        { label: "" },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          dash: s.dash ? [6, 4] : undefined,
          points: { show: s.points ?? true, size: 6 },
          spanGaps: s.spanGaps ?? true,
        })),
      ],
    };
    const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 200), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [labels.join("|"), JSON.stringify(series), height]);
  return <div className="chart" ref={box} role="img" aria-label={title} />;
}
