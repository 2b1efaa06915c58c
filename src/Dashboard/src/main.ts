// Composes the dashboard: the fleet overview (home), a machine page or the compare page, the picker
// beside them and one SignalR connection. The URL names the page (route.ts). The fleet page is in
// the first script; the machine page (machineView.ts) and the compare page, which need the chart
// library, are loaded on their first visit, so the usual first page draws sooner.
//
// Test hooks for the browser end-to-end test (keep stable; also listed in README.md):
//   [data-machine-id="<id>"]       a picker entry; click opens the machine
//   #connection-state              text "Connected" | "Reconnecting…" | "Disconnected" (+ data-state)
//   [data-testid="machine-title"]  the open machine's hostname (its id until api/machines knows it)
//   [data-testid="cpu-chart"]      CPU chart wrapper; data-points = points in the total-CPU dataset
//   [data-testid="process-rows"]   the process table's <tbody>
//   ?machine=<id> or #/machine/<id> opens a machine directly; #/ (with ?sort=&desc=&q=&status=) the fleet
//   fleet page hooks: see fleetPage.ts; sign-in, setup and account hooks: see signIn.ts, accountPage.ts, adminPage.ts
//
// GET api/session says who is looking. Someone who must sign in gets the sign-in form instead of the
// dashboard (and nothing else is asked of the hub); this host before the first user exists is shown
// the dashboard and a banner offering the one-time setup.
import 'bootstrap/dist/css/bootstrap.min.css';
import './styles.css';
import type { AccountPage } from './accountPage';
import type { AdminPage } from './adminPage';
import { AlertsPage, AlertsPanel } from './alerts';
import { fetchFleet, pollMachines } from './api';
import type { ComparePage } from './compare';
import { type CompareQuery, compareHash } from './compareQuery';
import { byId, setText } from './dom';
import { FleetModel, type FleetQuery } from './fleet';
import { FleetPage } from './fleetPage';
import { rangeQuery, type TimeRange } from './history';
import { MonitorHub } from './hub';
import type { MachineView } from './machineView';
import { Picker } from './picker';
import { fleetHash, parseRoute } from './route';
import { ApiError, loadSession, type Session } from './session';
import {
  loadRefreshSeconds,
  machineHash,
  parseRefreshSeconds,
  type RefreshSeconds,
  saveRefreshSeconds,
} from './settings';
import { showAccountBar, showSetup, showSignIn } from './signIn';
import { applyStoredTheme, initThemeToggle } from './theme';
import type { ConnectionState, Machine } from './types';

applyStoredTheme();

const hub = new MonitorHub();
const machines = new Map<string, Machine>();

// The machine list and the fleet's numbers are asked for first: the fleet page draws from them while
// the hub connection is still being set up, and its stream then keeps them current.
// The session is asked for at the same time rather than first, so a first visit costs no extra round trip.
const firstRoute = parseRoute(location.search, location.hash);
if (firstRoute.page === 'machine') void import('./machineView'); // fetched while the rest of this module runs
if (firstRoute.page === 'fleet') {
  fetchFleet().then(
    (entries) => {
      fleet.applyFleet(entries);
      fleetPage.schedule();
    },
    (e) => {
      if (!isSignInError(e)) console.warn('GET api/fleet failed', e);
    },
  );
}

// ---- who is looking ----
let isAdmin = false;
const alertsPanel = new AlertsPanel(
  byId('alerts-panel'),
  (id) => machines.get(id)?.hostname || id,
  () => isAdmin,
);
const sessionReady: Promise<Session | null> = loadSession().then(
  (s) => {
    if (s.kind === 'none') requireSignIn(s);
    else {
      showAccountBar(byId('account-bar'), byId('setup-banner'), s);
      isAdmin = s.role === 'admin';
      alertsPanel.start();
    }
    return s;
  },
  (e) => {
    console.warn('GET api/session failed', e);
    return null;
  },
);

function isSignInError(e: unknown): boolean {
  return e instanceof ApiError && e.status === 401;
}

/** Stops talking to the hub and shows the sign-in form in place of the dashboard. */
function requireSignIn(s: Session): void {
  stopPolling();
  alertsPanel.stop();
  void hub.stop();
  byId('app-row').hidden = true;
  byId('setup-banner').hidden = true;
  const auth = byId('auth-view');
  auth.hidden = false;
  showSignIn(auth, s);
}

const stopPolling = pollMachines(
  (list) => {
    machines.clear();
    for (const m of list) machines.set(m.id, m);
    picker.setMachines(list);
    fleet.applyMachines(list);
    comparePage?.setMachines(list);
    fleetPage.schedule();
    byId('machines-error').hidden = true;
    machineView?.machinesChanged();
  },
  (e) => {
    if (isSignInError(e)) {
      // The session ended (signed out everywhere, expired, deleted): ask the hub who we are now.
      void loadSession().then((s) => {
        if (s.kind === 'none') requireSignIn(s);
      });
      return;
    }
    console.warn('GET api/machines failed', e);
    const err = byId('machines-error');
    err.hidden = false;
    setText(err, 'Could not load the machine list; retrying.');
  },
);

const picker = new Picker(byId('picker'), (id) => navigate(id));
const fleet = new FleetModel();
const fleetPage = new FleetPage(
  byId('fleet-view'),
  fleet,
  (id) => navigate(id),
  (q) => rememberFleetQuery(q),
);
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

// ---- the update interval of the machine page ----
let refreshSeconds: RefreshSeconds = loadRefreshSeconds();
const refreshSelect = byId<HTMLSelectElement>('refresh-interval');
refreshSelect.value = String(refreshSeconds);
refreshSelect.addEventListener('change', () => {
  refreshSeconds = parseRefreshSeconds(refreshSelect.value);
  saveRefreshSeconds(refreshSeconds);
  machineView?.setRefreshSeconds(refreshSeconds);
});

// ---- pages loaded on their first visit ----
let machineView: MachineView | null = null;
let comparePage: ComparePage | null = null;
let accountPage: AccountPage | null = null;
let adminPage: AdminPage | null = null;
const alertsPage = new AlertsPage(byId('settings-view'), () => isAdmin);
/** Bumped on every page change, so a page whose module arrives after the user moved on stays closed. */
let visit = 0;

function whenLoaded<T>(load: () => Promise<T>, show: (page: T) => void): void {
  const mine = ++visit;
  load().then(
    (page) => {
      if (mine === visit) show(page);
    },
    (e) => console.warn('could not load the page', e),
  );
}

const loadMachineView = once(async () => {
  const { MachineView } = await import('./machineView');
  machineView = new MachineView({ hub, machine: (id) => machines.get(id), navigate }, refreshSeconds);
  return machineView;
});

const loadComparePage = once(async () => {
  const { ComparePage } = await import('./compare');
  comparePage = new ComparePage(byId('compare-view'), (q) => rememberCompareQuery(q));
  comparePage.setMachines([...machines.values()]);
  return comparePage;
});

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load();
    loading.catch(() => {
      loading = undefined; // a failed load (hub restarted with a new build) is retried on the next visit
    });
    return loading;
  };
}

const loadAccountPage = once(async () => {
  const { AccountPage } = await import('./accountPage');
  accountPage = new AccountPage(byId('settings-view'));
  return accountPage;
});

const loadAdminPage = once(async () => {
  const { AdminPage } = await import('./adminPage');
  adminPage = new AdminPage(byId('settings-view'));
  return adminPage;
});

function hideSettings(): void {
  accountPage?.hide();
  adminPage?.hide();
  alertsPage.hide();
  byId('auth-view').hidden = true;
  byId('app-row').hidden = false;
}

/** The account, admin and setup pages: shown once the session is known. */
function showSettings(page: 'account' | 'admin' | 'setup' | 'alerts'): void {
  closeMachine();
  fleetPage.hide();
  comparePage?.hide();
  void hub.unsubscribeFleet();
  hideSettings();
  alertsPanel.hide();
  const mine = ++visit;
  void sessionReady.then((s) => {
    // Someone who must sign in sees only the sign-in form, or the first-run setup when this host may do it.
    if (mine !== visit || !s || (s.kind === 'none' && !(page === 'setup' && s.setupAvailable))) return;
    if (page === 'setup') {
      document.title = 'Setup · SysMon';
      byId('app-row').hidden = true;
      const auth = byId('auth-view');
      auth.hidden = false;
      showSetup(auth, s);
    } else if (page === 'alerts') {
      document.title = 'Alerts · SysMon';
      alertsPage.show();
    } else if (page === 'account') {
      document.title = 'Account · SysMon';
      whenLoaded(loadAccountPage, (view) => view.show(s));
    } else {
      document.title = 'Admin · SysMon';
      whenLoaded(loadAdminPage, (view) => view.show());
    }
  });
}

function open(id: string, nextRange: TimeRange = { name: 'live' }): void {
  hideSettings();
  alertsPanel.setMachine(id);
  fleetPage.hide();
  comparePage?.hide();
  void hub.unsubscribeFleet();
  picker.setSelected(id);
  document.title = `${machines.get(id)?.hostname || id} · SysMon`;
  whenLoaded(loadMachineView, (view) => view.open(id, nextRange));
}

/** Leaves the machine page (if open) for another page. */
function closeMachine(): void {
  machineView?.close();
  picker.setSelected(null);
}

function showFleet(query: FleetQuery): void {
  visit++;
  hideSettings();
  alertsPanel.setMachine(null);
  closeMachine();
  document.title = 'Fleet · SysMon';
  comparePage?.hide();
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
  hideSettings();
  alertsPanel.setMachine(null);
  closeMachine();
  fleetPage.hide();
  void hub.unsubscribeFleet();
  document.title = 'Compare · SysMon';
  whenLoaded(loadComparePage, (page) => page.show(query));
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
  else if (route.page === 'fleet') showFleet(route.query);
  else showSettings(route.page);
}
window.addEventListener('hashchange', openFromUrl);
window.addEventListener('popstate', openFromUrl);

initThemeToggle(byId<HTMLButtonElement>('theme-toggle'));
openFromUrl();
// The live connection waits for the session's answer: one that must sign in would only be refused.
void sessionReady.then((s) => {
  if (s?.kind !== 'none') hub.start();
});
