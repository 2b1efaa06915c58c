// The one SignalR connection to the hub (hubs/monitor, JSON protocol).
// - withAutomaticReconnect() handles drops of an established connection; a failed first start
//   or a connection that gave up reconnecting is retried here with a capped backoff.
// - The server does not restore group membership after a reconnect, so every machine in
//   `subscribed` is re-subscribed in onreconnected (and after a fresh start).
import { type HubConnection, HubConnectionBuilder, HubConnectionState, LogLevel } from '@microsoft/signalr';
import type { ConnectionState, Sample } from './types';

const RETRY_MS = [0, 2000, 5000, 10_000, 30_000];

export class MonitorHub {
  private readonly connection: HubConnection;
  private readonly subscribed = new Set<string>();
  private readonly sampleHandlers = new Set<(s: Sample) => void>();
  private readonly stateHandlers = new Set<(s: ConnectionState) => void>();
  private state: ConnectionState = 'disconnected';
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(url = new URL('hubs/monitor', document.baseURI).href) {
    this.connection = new HubConnectionBuilder()
      .withUrl(url)
      .withAutomaticReconnect()
      .configureLogging(LogLevel.Warning)
      .build();
    this.connection.on('sample', (s: Sample) => {
      if (!s || typeof s.machineId !== 'string' || typeof s.timestampUnixMs !== 'number') return;
      for (const h of this.sampleHandlers) h(s);
    });
    this.connection.onreconnecting(() => this.setState('reconnecting'));
    this.connection.onreconnected(() => {
      this.setState('connected');
      void this.resubscribeAll();
    });
    this.connection.onclose(() => {
      this.setState('disconnected');
      this.scheduleStart();
    });
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  onSample(handler: (s: Sample) => void): () => void {
    this.sampleHandlers.add(handler);
    return () => this.sampleHandlers.delete(handler);
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
    if (this.stopped || this.connection.state !== HubConnectionState.Disconnected) return;
    try {
      await this.connection.start();
    } catch (e) {
      console.warn('SignalR start failed; retrying', e);
      this.setState('disconnected');
      this.scheduleStart();
      return;
    }
    this.attempt = 0;
    this.setState('connected');
    await this.resubscribeAll();
  }

  private async resubscribeAll(): Promise<void> {
    await Promise.all([...this.subscribed].map((id) => this.invoke('Subscribe', id)));
  }

  private async invoke(method: 'Subscribe' | 'Unsubscribe', machineId: string): Promise<void> {
    try {
      await this.connection.invoke(method, machineId);
    } catch (e) {
      console.warn(`${method}(${machineId}) failed`, e);
    }
  }
}
