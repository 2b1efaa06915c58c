// Timings the dashboard keeps about itself, for bench/dashboard-perf.sh (and anyone with devtools):
// window.__sysmonPerf = { firstDataMs, fleet: [ms…], machine: [ms…] }. firstDataMs is when data was
// first on screen, in ms since navigation started; fleet and machine hold the script time of the
// last MAX_KEPT redraws of each page. Bounded ring buffers, not performance.measure entries, which
// the browser would keep for the life of the tab.
export const MAX_KEPT = 300;

export interface PerfRecord {
  firstDataMs: number | undefined;
  fleet: number[];
  machine: number[];
}

export const perf: PerfRecord = { firstDataMs: undefined, fleet: [], machine: [] };
(globalThis as { __sysmonPerf?: PerfRecord }).__sysmonPerf = perf;

/**
 * Runs a redraw and keeps how long it took; `hadData` marks the first time data reached the screen.
 * The end is taken in a microtask queued after the redraw, so drawing that the charts defer to a
 * microtask of their own (uPlot commits that way) is counted too.
 */
export function timed(kind: 'fleet' | 'machine', draw: () => boolean): void {
  const start = performance.now();
  const hadData = draw();
  queueMicrotask(() => {
    const end = performance.now();
    const kept = perf[kind];
    kept.push(end - start);
    if (kept.length > MAX_KEPT) kept.splice(0, kept.length - MAX_KEPT);
    if (hadData && perf.firstDataMs === undefined) perf.firstDataMs = end;
  });
}
