// Composes the dashboard: picker + machine page, one SignalR connection, a sample store, and a
// render loop at the user's cadence (samples are always stored; redraws happen every 1/3/5 s).
// Live "sample" and replayed "backfill" messages go the same way: inserted into the store by
// timestamp (history lands in place, duplicates are dropped) and drawn at the next tick.
//
// Test hooks for the browser end-to-end test (keep stable; also listed in README.md):
//   [data-machine-id="<id>"]       a picker entry; click opens the machine
//   #connection-state              text "Connected" | "Reconnecting…" | "Disconnected" (+ data-state)
//   [data-testid="machine-title"]  the open machine's hostname (its id until api/machines knows it)
//   [data-testid="cpu-chart"]      CPU chart wrapper; data-points = points in the total-CPU dataset
//   [data-testid="process-rows"]   the process table's <tbody>
//   ?machine=<id> or #/machine/<id> opens a machine directly
import 'bootstrap/dist/css/bootstrap.min.css';
import './styles.css';
import { pollMachines } from './api';
import { refreshChartTheme } from './charts/common';
import { byId, setText } from './dom';
import { MonitorHub } from './hub';
import { MachinePage } from './machinePage';
import { Picker } from './picker';
import { acceptSample, RenderLoop } from './renderLoop';
import {
  loadRefreshSeconds,
  machineFromUrl,
  machineHash,
  parseRefreshSeconds,
  type RefreshSeconds,
  saveRefreshSeconds,
} from './settings';
import { SampleStore } from './store';
import { applyStoredTheme, initThemeToggle } from './theme';
import type { ConnectionState, Machine } from './types';

applyStoredTheme();

const store = new SampleStore(600);
const hub = new MonitorHub();
const machines = new Map<string, Machine>();
let page: MachinePage | null = null;
let current: string | null = null;

const picker = new Picker(byId('picker'), (id) => navigate(id));

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
    if (page && current) page.render(store.samples(current));
  },
  () => page?.renderLive(),
);
const render = () => loop.drawNow();
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

// ---- opening a machine ----
function open(id: string): void {
  if (id === current) return;
  if (current) void hub.unsubscribe(current);
  current = id;
  picker.setSelected(id);
  byId('empty-state').hidden = true;
  if (!page) page = new MachinePage(byId('machine-page-host'));
  page.show(id, machines.get(id));
  render();
  void hub.subscribe(id);
}

/** Opens a machine and records it in the URL (so reload and back/forward work). */
function navigate(id: string): void {
  const hash = machineHash(id);
  if (location.hash !== hash || location.search) {
    history.pushState(null, '', `${location.pathname}${hash}`);
  }
  open(id);
}

function openFromUrl(): void {
  const id = machineFromUrl(location.search, location.hash);
  if (id) open(id);
}
window.addEventListener('hashchange', openFromUrl);
window.addEventListener('popstate', openFromUrl);

// ---- machine list ----
pollMachines(
  (list) => {
    machines.clear();
    for (const m of list) machines.set(m.id, m);
    picker.setMachines(list);
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
