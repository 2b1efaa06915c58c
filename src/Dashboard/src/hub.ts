// The one SignalR connection to the hub (hubs/monitor, JSON protocol).
// - Messages: "sample" (live) and "backfill" (replayed history) both go to the sample handlers,
//   with their kind; "reconnect" (no arguments) means this hub is shutting down: the connection is
//   stopped and started again at once (the page sits behind a load balancer, so the same URL
//   reaches another hub), showing "reconnecting" meanwhile.
// - withAutomaticReconnect() handles drops of an established connection. Whenever the connection
//   closes anyway (a failed start, a graceful close by the server, automatic reconnect giving up,
//   a hand-over), it is started again here with a capped backoff, for as long as the page lives.
//   The backoff resets only after a connection that stayed up for STABLE_MS, so a hub that accepts
//   and then drops (or hands over) every connection is not hammered.
// - The server does not restore group membership after a reconnect, so every machine in
//   `subscribed` is re-subscribed in onreconnected and after every fresh start.
import {
  HttpTransportType,
  type HubConnection,
  HubConnectionBuilder,
  HubConnectionState,
  LogLevel,
} from '@microsoft/signalr';
import { parseFleetBatch } from './fleet';
import type { ConnectionState, FleetEntry, HubMethod, Sample, SampleKind } from './types';

/** Delays before the 1st, 2nd, … start attempt after a close; the last one repeats. */
export const RETRY_MS = [0, 2000, 5000, 10_000, 30_000];
/** A connection that stayed up this long resets the backoff (the next start is immediate). */
export const STABLE_MS = 10_000;
/** After a hand-over, this many failed starts turn "reconnecting" into "disconnected" (retries go on). */
export const HANDOVER_TRIES = 3;

/** The part of HubConnection used here (tests pass a fake). */
export type HubConnectionLike = Pick<
  HubConnection,
  'state' | 'start' | 'stop' | 'on' | 'onclose' | 'onreconnecting' | 'onreconnected' | 'invoke'
>;

export interface MonitorHubOptions {
  /** Defaults to hubs/monitor relative to the page. */
  url?: string;
  /** Defaults to a new HubConnection to `url`. */
  connection?: HubConnectionLike;
  /** Clock in ms; defaults to Date.now. */
  now?: () => number;
}

function isSample(s: unknown): s is Sample {
  if (!s || typeof s !== 'object') return false;
  const x = s as Partial<Sample>;
  return (
    typeof x.machineId === 'string' &&
    typeof x.timestampUnixMs === 'number' &&
    Number.isFinite(x.timestampUnixMs)
  );
}

export class MonitorHub {
  private readonly connection: HubConnectionLike;
  private readonly now: () => number;
  private readonly subscribed = new Set<string>();
  private readonly sampleHandlers = new Set<(s: Sample, kind: SampleKind) => void>();
  private readonly stateHandlers = new Set<(s: ConnectionState) => void>();
  private readonly fleetHandlers = new Set<(entries: FleetEntry[]) => void>();
  /** Whether the fleet stream is wanted: re-subscribed after every (re)connection, like machines. */
  private fleetWanted = false;
  private state: ConnectionState = 'disconnected';
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  /** When the current connection was established; undefined while not connected. */
  private connectedAt: number | undefined;
  /** True from a hub's "reconnect" until the next connection is up (or HANDOVER_TRIES starts failed). */
  private handingOver = false;
  private handoverFailures = 0;

  constructor(options: MonitorHubOptions = {}) {
    this.now = options.now ?? (() => Date.now());
    this.connection =
      options.connection ??
      new HubConnectionBuilder()
        // WebSockets straight away, without the negotiate round trip: negotiation is a separate request
        // that a load balancer without sticky sessions may send to another hub than the WebSocket,
        // which then does not know the connection. Any hub accepts a WebSocket on its own.
        .withUrl(options.url ?? new URL('hubs/monitor', document.baseURI).href, {
          skipNegotiation: true,
          transport: HttpTransportType.WebSockets,
        })
        .withAutomaticReconnect()
        .configureLogging(LogLevel.Warning)
        .build();
    this.connection.on('sample', (s: unknown) => this.deliver(s, 'live'));
    this.connection.on('backfill', (s: unknown) => this.deliver(s, 'backfill'));
    this.connection.on('fleet', (batch: unknown) => this.deliverFleet(batch));
    this.connection.on('reconnect', () => void this.handOver());
    this.connection.onreconnecting(() => {
      this.noteDown();
      this.setState('reconnecting');
    });
    this.connection.onreconnected(() => {
      this.connectedAt = this.now();
      this.setState('connected');
      void this.resubscribeAll();
    });
    this.connection.onclose(() => {
      // Whatever the reason (graceful close, automatic reconnect gave up, hand-over): start again.
      this.noteDown();
      this.setState(this.handingOver && !this.stopped ? 'reconnecting' : 'disconnected');
      this.scheduleStart();
    });
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Called with every valid "sample" (kind "live") and "backfill" (kind "backfill"). */
  onSample(handler: (s: Sample, kind: SampleKind) => void): () => void {
    this.sampleHandlers.add(handler);
    return () => this.sampleHandlers.delete(handler);
  }

  /** Called with every "fleet" message: the valid records of it (a snapshot or an update). */
  onFleet(handler: (entries: FleetEntry[]) => void): () => void {
    this.fleetHandlers.add(handler);
    return () => this.fleetHandlers.delete(handler);
  }

  /** Starts the fleet stream now if connected, and on every later (re)connection (a fresh snapshot each time). */
  async subscribeFleet(): Promise<void> {
    this.fleetWanted = true;
    if (this.connection.state === HubConnectionState.Connected) await this.invoke('SubscribeFleet');
  }

  async unsubscribeFleet(): Promise<void> {
    this.fleetWanted = false;
    if (this.connection.state === HubConnectionState.Connected) await this.invoke('UnsubscribeFleet');
  }

  /** Called with every state change (not with the current one). */
  onState(handler: (s: ConnectionState) => void): () => void {
    this.stateHandlers.add(handler);
    return () => this.stateHandlers.delete(handler);
  }

  start(): void {
    this.stopped = false;
    this.scheduleStart();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.handingOver = false;
    clearTimeout(this.retryTimer);
    await this.connection.stop();
  }

  /** Joins the machine's group now if connected, and on every later (re)connection. */
  async subscribe(machineId: string): Promise<void> {
    this.subscribed.add(machineId);
    if (this.connection.state === HubConnectionState.Connected) await this.invoke('Subscribe', machineId);
  }

  async unsubscribe(machineId: string): Promise<void> {
    this.subscribed.delete(machineId);
    if (this.connection.state === HubConnectionState.Connected) await this.invoke('Unsubscribe', machineId);
  }

  private deliverFleet(batch: unknown): void {
    if (!Array.isArray(batch)) return;
    const entries = parseFleetBatch(batch);
    for (const h of this.fleetHandlers) h(entries);
  }

  private deliver(s: unknown, kind: SampleKind): void {
    if (!isSample(s)) return;
    for (const h of this.sampleHandlers) h(s, kind);
  }

  /** The hub is going away: stop now; onclose starts the connection again at once. */
  private async handOver(): Promise<void> {
    if (this.stopped || this.handingOver) return;
    this.handingOver = true;
    this.handoverFailures = 0;
    this.setState('reconnecting');
    try {
      await this.connection.stop();
    } catch (e) {
      console.warn('SignalR stop for a hand-over failed', e);
    }
  }

  /** The connection is no longer up: a connection that lasted resets the backoff. */
  private noteDown(): void {
    if (this.connectedAt !== undefined && this.now() - this.connectedAt >= STABLE_MS) this.attempt = 0;
    this.connectedAt = undefined;
  }

  private setState(s: ConnectionState): void {
    if (s === this.state) return;
    this.state = s;
    for (const h of this.stateHandlers) h(s);
  }

  private scheduleStart(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const delay = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt++;
    this.retryTimer = setTimeout(() => void this.tryStart(), delay);
  }

  private async tryStart(): Promise<void> {
    // Connecting / Reconnecting / Disconnecting all end in onreconnected or onclose, which take over.
    if (this.stopped || this.connection.state !== HubConnectionState.Disconnected) return;
    try {
      await this.connection.start();
    } catch (e) {
      if (this.stopped) return;
      console.warn('SignalR start failed; retrying', e);
      if (this.handingOver && ++this.handoverFailures >= HANDOVER_TRIES) this.handingOver = false;
      this.setState(this.handingOver ? 'reconnecting' : 'disconnected');
      this.scheduleStart();
      return;
    }
    this.handingOver = false;
    this.connectedAt = this.now();
    this.setState('connected');
    await this.resubscribeAll();
  }

  private async resubscribeAll(): Promise<void> {
    const calls = [...this.subscribed].map((id) => this.invoke('Subscribe', id));
    if (this.fleetWanted) calls.push(this.invoke('SubscribeFleet'));
    await Promise.all(calls);
  }

  private async invoke(method: HubMethod, machineId?: string): Promise<void> {
    try {
      if (machineId === undefined) await this.connection.invoke(method);
      else await this.connection.invoke(method, machineId);
    } catch (e) {
      console.warn(`${method}(${machineId ?? ''}) failed`, e);
    }
  }
}
