// Output of `ocp devnet up`: a table redrawn in place on a terminal, plain
// lines when piped, or one JSON object per slot then a summary with --json.
import type { DevnetSummary, PendingView, SlotReport } from "./run.js";

export interface DevnetView {
  status(msg: string): void;
  slot(r: SlotReport): void;
  progress(pending: PendingView[]): void;
  summary(s: DevnetSummary): void;
}

const HEADER = ["slot", "entries", "sigs", "cert ms", "anchor tx", "gas", "evidence"];
const WIDTHS = [8, 7, 7, 8, 20, 9, 8];

function row(cells: string[]): string {
  return cells.map((c, i) => c.padEnd(WIDTHS[i]!)).join(" ");
}

function reportCells(r: SlotReport): string[] {
  return [
    r.slot,
    String(r.entries),
    `${r.signers}/${r.of}`,
    r.certificateMs === null ? "—" : String(r.certificateMs),
    r.tx === null ? "not anchored" : `${r.tx.slice(0, 10)}…${r.tx.slice(-6)}`,
    r.gas ?? "—",
    r.evidence > 0 ? `${r.evidence} !` : "0",
  ];
}

function summaryText(s: DevnetSummary): string {
  const ms = (v: number | null): string => (v === null ? "—" : `${v} ms`);
  return [
    `slots ${s.slots}, certified ${s.certified}, anchored ${s.anchored} (quorum ${s.quorum})`,
    `certificate latency p50 ${ms(s.certificateMsP50)}, p99 ${ms(s.certificateMsP99)}`,
    `anchoring gas total ${s.anchorGasTotal}, evidence ${s.evidence}`,
  ].join("\n");
}

export function jsonView(out: NodeJS.WritableStream, err: NodeJS.WritableStream): DevnetView {
  return {
    status: (m) => err.write(`${m}\n`),
    slot: (r) => out.write(`${JSON.stringify(r)}\n`),
    progress: () => {},
    summary: (s) => out.write(`${JSON.stringify({ summary: s })}\n`),
  };
}

export function plainView(out: NodeJS.WritableStream): DevnetView {
  let headed = false;
  return {
    status: (m) => out.write(`${m}\n`),
    slot: (r) => {
      if (!headed) out.write(`${row(HEADER)}\n`);
      headed = true;
      out.write(`${row(reportCells(r))}\n`);
    },
    progress: () => {},
    summary: (s) => out.write(`${summaryText(s)}\n`),
  };
}

/** Keeps the last rows and the in-flight slots on screen, redrawn with ANSI cursor moves. */
export function liveView(out: NodeJS.WriteStream, keepRows = 12): DevnetView {
  const done: string[] = [];
  let pending: PendingView[] = [];
  let drawn = 0;
  const draw = (): void => {
    const lines = [
      row(HEADER),
      ...done.slice(-keepRows),
      ...pending.map((p) =>
        row([p.slot, String(p.entries), "…", p.certified ? "✓" : "…", p.anchored ? "anchored" : "…", "", ""]),
      ),
    ];
    // Up to the first line of the previous frame, then clear to the end of the screen.
    let s = drawn > 0 ? `\x1b[${drawn}F\x1b[J` : "";
    s += `${lines.join("\n")}\n`;
    out.write(s);
    drawn = lines.length;
  };
  return {
    status: (m) => {
      // Status lines scroll above the table.
      if (drawn > 0) out.write(`\x1b[${drawn}F\x1b[J`);
      drawn = 0;
      out.write(`${m}\n`);
      if (done.length + pending.length > 0) draw();
    },
    slot: (r) => {
      done.push(row(reportCells(r)));
      draw();
    },
    progress: (p) => {
      pending = p;
      draw();
    },
    summary: (s) => {
      pending = [];
      draw();
      out.write(`${summaryText(s)}\n`);
    },
  };
}
