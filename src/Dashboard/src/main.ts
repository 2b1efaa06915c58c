// Composes the dashboard: the fleet overview (home) or a machine page, the picker beside them, one
// SignalR connection, a sample store, and a render loop at the user's cadence (samples are always
// stored; redraws happen every 1/3/5 s). The URL names the page (route.ts).
// Live "sample" and replayed "backfill" messages go the same way: inserted into the store by
// timestamp (history lands in place, duplicates are dropped) and drawn at the next tick.
//
// Test hooks for the browser end-to-end test (keep stable; also listed in README.md):
//   [data-machine-id="<id>"]       a picker entry; click opens the machine
//   #connection-state              text "Connected" | "Reconnecting…" | "Disconnected" (+ data-state)
//   [data-testid="machine-title"]  the open machine's hostname (its id until api/machines knows it)
//   [data-testid="cpu-chart"]      CPU chart wrapper; data-points = points in the total-CPU dataset
//   [data-testid="process-rows"]   the process table's <tbody>
//   ?machine=<id> or #/machine/<id> opens a machine directly; #/ (with ?sort=&desc=&q=&status=) the fleet
//   fleet page hooks: see fleetPage.ts
import 'bootstrap/dist/css/bootstrap.min.css';
import './styles.css';
import { pollMachines } from './api';
import { refreshChartTheme, setTimeSelectHandlers, setTimeWindow } from './charts/common';
import { ComparePage, type CompareQuery, compareHash } from './compare';
import { byId, setText } from './dom';
import { FleetModel, type FleetQuery } from './fleet';
import { FleetPage } from './fleetPage';
import { formatClock, formatDuration } from './format';
import {
  fetchHistory,
  fetchProcessesAt,
  rangeLabel,
  rangeQuery,
  rangeWindow,
  type TimeRange,
} from './history';
import { MonitorHub } from './hub';
import { MachinePage } from './machinePage';
import { timed } from './perf';
import { Picker } from './picker';
import { acceptSample, RenderLoop } from './renderLoop';
import { fleetHash, parseRoute } from './route';
import {
  loadRefreshSeconds,
  machineHash,
  parseRefreshSeconds,
  type RefreshSeconds,
  saveRefreshSeconds,
} from './settings';
import { SampleStore } from './store';
import { applyStoredTheme, initThemeToggle } from './theme';
import type { ConnectionState, Machine, Sample } from './types';

applyStoredTheme();

const store = new SampleStore(600);
const hub = new MonitorHub();
const machines = new Map<string, Machine>();
let page: MachinePage | null = null;
let current: string | null = null;

const picker = new Picker(byId('picker'), (id) => navigate(id));
const fleet = new FleetModel();
const fleetPage = new FleetPage(
  byId('fleet-view'),
  fleet,
  (id) => navigate(id),
  (q) => rememberFleetQuery(q),
);
const comparePage = new ComparePage(byId('compare-view'), (q) => rememberCompareQuery(q));
hub.onFleet((entries) => {
  fleet.applyFleet(entries);
  fleetPage.schedule();
});

// ---- connection state ----
const STATE_TEXT: Record<ConnectionState, string> = {
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  disconnected: 'Disconnected',
};
const STATE_CLASS: Record<ConnectionState, string> = {
  connected: 'text-bg-success',
  reconnecting: 'text-bg-warning',
  disconnected: 'text-bg-danger',
};
const BANNER_TEXT: Record<ConnectionState, string> = {
  connected: '',
  reconnecting: 'Connection to the hub lost. Reconnecting… Charts are paused.',
  disconnected: 'Not connected to the hub. Retrying… Charts are paused.',
};
function showConnectionState(state: ConnectionState): void {
  const badge = byId('connection-state');
  setText(badge, STATE_TEXT[state]);
  badge.className = `badge ${STATE_CLASS[state]}`;
  badge.dataset.state = state;
  const banner = byId('connection-banner');
  banner.hidden = state === 'connected';
  banner.className = `alert ${state === 'reconnecting' ? 'alert-warning' : 'alert-danger'} rounded-0 mb-0 py-2 small`;
  setText(banner, BANNER_TEXT[state]);
}
hub.onState(showConnectionState);
showConnectionState(hub.connectionState);

// ---- samples and rendering ----
const loop = new RenderLoop(
  () => {
    const machinePage = page;
    const id = current;
    if (!machinePage || !id) return;
    if (historySamples) {
      // History does not change with live samples: draw it once per load.
      const samples = historySamples;
      if (!historyDrawn) timed('machine', () => drawMachine(machinePage, samples));
      historyDrawn = true;
    } else {
      const samples = store.samples(id);
      timed('machine', () => drawMachine(machinePage, samples));
    }
  },
  () => page?.renderLive(),
);
const render = () => loop.drawNow();
function drawMachine(machinePage: MachinePage, samples: readonly Sample[]): boolean {
  machinePage.render(samples);
  return samples.length > 0;
}
// A burst of backfill only marks the page dirty: one redraw per tick however many arrive.
hub.onSample((s) => acceptSample(store, loop, s, current));

let refreshSeconds: RefreshSeconds = loadRefreshSeconds();
function startRenderLoop(): void {
  loop.start(refreshSeconds * 1000);
}
const refreshSelect = byId<HTMLSelectElement>('refresh-interval');
refreshSelect.value = String(refreshSeconds);
refreshSelect.addEventListener('change', () => {
  refreshSeconds = parseRefreshSeconds(refreshSelect.value);
  saveRefreshSeconds(refreshSeconds);
  startRenderLoop();
  render();
});
startRenderLoop();

// ---- pages ----
function open(id: string, nextRange: TimeRange = { name: 'live' }): void {
  fleetPage.hide();
  comparePage.hide();
  void hub.unsubscribeFleet();
  byId('machine-page-host').hidden = false;
  if (id === current) {
    if (rangeQuery(nextRange) !== rangeQuery(range)) applyRange(id, nextRange);
    return;
  }
  if (current) void hub.unsubscribe(current);
  current = id;
  picker.setSelected(id);
  if (!page) page = new MachinePage(byId('machine-page-host'), (r) => current && navigate(current, r));
  page.show(id, machines.get(id));
  document.title = `${machines.get(id)?.hostname || id} · SysMon`;
  applyRange(id, nextRange);
  void hub.subscribe(id);
}

// ---- the machine page's time range: live (streamed, started from recent history) or history ----
/** Named ranges reload this often, so "the last hour" stays the last hour. */
const HISTORY_REFRESH_MS = 30_000;
let range: TimeRange = { name: 'live' };
let historySamples: Sample[] | null = null;
let historyDrawn = false;
let historyRequest: AbortController | undefined;
let historyTimer: ReturnType<typeof setInterval> | undefined;

function applyRange(id: string, next: TimeRange): void {
  range = next;
  historyRequest?.abort();
  clearInterval(historyTimer);
  historySamples = null;
  setTimeWindow(null);
  page?.setRange(next, next.name === 'live' ? 'Live: every sample as it arrives' : 'Loading history…');
  void loadHistory(id, next);
  if (next.name !== 'live' && next.name !== 'custom') {
    historyTimer = setInterval(() => void loadHistory(id, range), HISTORY_REFRESH_MS);
  }
  render();
}

async function loadHistory(id: string, r: TimeRange): Promise<void> {
  const request = new AbortController();
  historyRequest = request;
  const { fromMs, toMs } = rangeWindow(r, Date.now());
  try {
    // Live starts from the raw last minutes (1 s steps), so an opened machine never shows an empty chart.
    const samples = await fetchHistory(id, fromMs, toMs, r.name === 'live' ? 1 : undefined, request.signal);
    if (request.signal.aborted || id !== current) return;
    if (r.name === 'live') {
      for (const sample of samples) store.add(sample);
      render();
      return;
    }
    historySamples = samples;
    historyDrawn = false;
    setTimeWindow({ fromMs, toMs });
    const step = samples.length > 0 ? ` · ${formatDuration(samples[0].intervalSeconds)} steps` : '';
    page?.setRange(
      r,
      samples.length === 0
        ? `${rangeLabel(r)}: no history stored in this range`
        : `${rangeLabel(r)}: ${formatClock(fromMs)} – ${formatClock(toMs)}${step} · drag across a chart to zoom`,
    );
    render();
  } catch (e) {
    if (request.signal.aborted) return;
    console.warn('history request failed', e);
    page?.setRange(r, 'Could not load history from the hub; retrying…');
  }
}

// Dragging across any chart zooms to that window; clicking one in history shows the processes of that moment.
setTimeSelectHandlers({
  select: (fromMs, toMs) => {
    if (current && toMs - fromMs >= 10_000) navigate(current, { name: 'custom', fromMs, toMs });
  },
  pick: (atMs) => {
    const id = current;
    if (!id || range.name === 'live' || !page) return;
    fetchProcessesAt(id, atMs)
      .then((snapshot) => {
        if (id === current) page?.showProcessSnapshot(snapshot, atMs);
      })
      .catch((e) => console.warn('processes request failed', e));
  },
});

/** Leaves the machine page (if open) for another page: no more samples, history requests or reloads for it. */
function closeMachine(): void {
  if (current) void hub.unsubscribe(current);
  current = null;
  historyRequest?.abort();
  clearInterval(historyTimer);
  picker.setSelected(null);
  byId('machine-page-host').hidden = true;
}

function showFleet(query: FleetQuery): void {
  closeMachine();
  document.title = 'Fleet · SysMon';
  comparePage.hide();
  fleetPage.show(query);
  void hub.subscribeFleet();
}

/** Opens a machine and records it in the URL (so reload, back/forward and shared links work). */
function navigate(id: string, nextRange: TimeRange = { name: 'live' }): void {
  const hash = machineHash(id, rangeQuery(nextRange));
  if (location.hash !== hash || location.search) {
    history.pushState(null, '', `${location.pathname}${hash}`);
  }
  open(id, nextRange);
}

function showCompare(query: CompareQuery): void {
  closeMachine();
  fleetPage.hide();
  void hub.unsubscribeFleet();
  document.title = 'Compare · SysMon';
  comparePage.setMachines([...machines.values()]);
  comparePage.show(query);
}

/** Choices on the compare page replace the URL, like the fleet's. */
function rememberCompareQuery(query: CompareQuery): void {
  history.replaceState(null, '', `${location.pathname}${compareHash(query)}`);
}

/** Sorting and filtering the fleet replace the URL (no history entry per keystroke). */
function rememberFleetQuery(query: FleetQuery): void {
  history.replaceState(null, '', `${location.pathname}${fleetHash(query)}`);
}

function openFromUrl(): void {
  const route = parseRoute(location.search, location.hash);
  if (route.page === 'machine') open(route.id, route.range);
  else if (route.page === 'compare') showCompare(route.query);
  else showFleet(route.query);
}
window.addEventListener('hashchange', openFromUrl);
window.addEventListener('popstate', openFromUrl);

// ---- machine list ----
pollMachines(
  (list) => {
    machines.clear();
    for (const m of list) machines.set(m.id, m);
    picker.setMachines(list);
    fleet.applyMachines(list);
    comparePage.setMachines(list);
    fleetPage.schedule();
    byId('machines-error').hidden = true;
    if (page && current) page.setMachine(machines.get(current));
  },
  (e) => {
    console.warn('GET api/machines failed', e);
    const err = byId('machines-error');
    err.hidden = false;
    setText(err, 'Could not load the machine list; retrying.');
  },
);

initThemeToggle(byId<HTMLButtonElement>('theme-toggle'), refreshChartTheme);
openFromUrl();
hub.start();
