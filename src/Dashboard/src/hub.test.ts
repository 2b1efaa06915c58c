import { HubConnectionState } from '@microsoft/signalr';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HANDOVER_TRIES, type HubConnectionLike, MonitorHub, RETRY_MS, STABLE_MS } from './hub';
import type { ConnectionState, Sample, SampleKind } from './types';

type Callback = (...args: unknown[]) => void;

/** A stand-in for HubConnection with the server's side exposed. */
class FakeConnection {
  state = HubConnectionState.Disconnected;
  starts = 0;
  stops = 0;
  /** Results of the next start() calls; 'ok' once it runs out. */
  startResults: ('ok' | 'fail')[] = [];
  readonly invoked: string[] = [];
  private readonly handlers = new Map<string, Callback>();
  private readonly closed: Callback[] = [];
  private readonly reconnecting: Callback[] = [];
  private readonly reconnected: Callback[] = [];

  on(name: string, h: Callback): void {
    this.handlers.set(name, h);
  }
  onclose(cb: Callback): void {
    this.closed.push(cb);
  }
  onreconnecting(cb: Callback): void {
    this.reconnecting.push(cb);
  }
  onreconnected(cb: Callback): void {
    this.reconnected.push(cb);
  }
  async start(): Promise<void> {
    expect(this.state).toBe(HubConnectionState.Disconnected);
    this.starts++;
    this.state = HubConnectionState.Connecting;
    await Promise.resolve();
    if ((this.startResults.shift() ?? 'ok') === 'fail') {
      this.state = HubConnectionState.Disconnected;
      throw new Error('refused');
    }
    this.state = HubConnectionState.Connected;
  }
  async stop(): Promise<void> {
    this.stops++;
    if (this.state === HubConnectionState.Disconnected) return;
    await Promise.resolve();
    this.close();
  }
  async invoke(method: string, arg?: string): Promise<void> {
    if (this.state !== HubConnectionState.Connected) throw new Error('not connected');
    this.invoked.push(`${method}(${arg ?? ''})`);
  }

  // ---- the server's side ----
  send(name: string, ...args: unknown[]): void {
    this.handlers.get(name)?.(...args);
  }
  close(error?: Error): void {
    this.state = HubConnectionState.Disconnected;
    for (const cb of this.closed) cb(error);
  }
  drop(): void {
    this.state = HubConnectionState.Reconnecting;
    for (const cb of this.reconnecting) cb(new Error('dropped'));
  }
  restore(): void {
    this.state = HubConnectionState.Connected;
    for (const cb of this.reconnected) cb('new-id');
  }
}

function setup() {
  const conn = new FakeConnection();
  const hub = new MonitorHub({ connection: conn as unknown as HubConnectionLike });
  const states: ConnectionState[] = [];
  hub.onState((s) => states.push(s));
  const got: [number, SampleKind][] = [];
  hub.onSample((s, kind) => got.push([s.timestampUnixMs, kind]));
  return { conn, hub, states, got };
}

const sample = (t: number) => ({ machineId: 'm1', timestampUnixMs: t }) as Sample;

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('MonitorHub', () => {
  it('connects, subscribes, and delivers sample and backfill messages with their kind', async () => {
    const { conn, hub, states, got } = setup();
    hub.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(states).toEqual(['connected']);
    await hub.subscribe('m1');
    expect(conn.invoked).toEqual(['Subscribe(m1)']);
    conn.send('sample', sample(2000));
    conn.send('backfill', { ...sample(1000), replayed: true });
    conn.send('sample', null);
    conn.send('backfill', { machineId: 'm1', timestampUnixMs: 'x' });
    conn.send('sample', { machineId: 'm1', timestampUnixMs: Number.NaN });
    expect(got).toEqual([
      [2000, 'live'],
      [1000, 'backfill'],
    ]);
  });

  it('subscribes to the fleet, delivers its valid records, and subscribes again after a reconnection', async () => {
    const { conn, hub } = setup();
    const batches: string[][] = [];
    hub.onFleet((entries) => batches.push(entries.map((e) => e.machineId)));
    await hub.subscribeFleet(); // before connecting: remembered
    hub.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.invoked).toEqual(['SubscribeFleet()']);

    conn.send('fleet', [
      ['a', 'h', true, 1, 2, 3, 4, 5, 6, 7],
      ['', 'bad'],
      'junk',
      ['b', 'h', false, 1, 2, 3, 4, 5, 6, 7, 0.5],
    ]);
    conn.send('fleet', { not: 'an array' });
    expect(batches).toEqual([['a', 'b']]);

    conn.invoked.length = 0;
    conn.drop();
    conn.restore();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.invoked).toEqual(['SubscribeFleet()']);

    await hub.unsubscribeFleet();
    conn.invoked.length = 0;
    conn.drop();
    conn.restore();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.invoked).toEqual([]);
  });

  it('on "reconnect" stops and starts again at once, shows reconnecting meanwhile, and re-subscribes', async () => {
    const { conn, hub, states } = setup();
    hub.start();
    await vi.advanceTimersByTimeAsync(0);
    await hub.subscribe('m1');
    await hub.subscribe('m2');
    await vi.advanceTimersByTimeAsync(STABLE_MS);
    conn.invoked.length = 0;

    conn.send('reconnect');
    expect(states.at(-1)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.stops).toBe(1);
    expect(conn.starts).toBe(2);
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    expect(conn.invoked.sort()).toEqual(['Subscribe(m1)', 'Subscribe(m2)']);
  });

  it('keeps "reconnecting" through a few failed starts after a hand-over, then retries on as "disconnected"', async () => {
    const { conn, hub, states } = setup();
    hub.start();
    await vi.advanceTimersByTimeAsync(STABLE_MS);
    await hub.subscribe('m1');
    conn.invoked.length = 0;
    conn.startResults = Array(HANDOVER_TRIES + 2).fill('fail');

    conn.send('reconnect');
    await vi.advanceTimersByTimeAsync(0);
    expect(states).toEqual(['connected', 'reconnecting']);
    // Failed starts at 0, 2 s, 7 s, …: the HANDOVER_TRIES-th one gives up "reconnecting".
    await vi.advanceTimersByTimeAsync(RETRY_MS.slice(1, HANDOVER_TRIES - 1).reduce((a, b) => a + b, 0));
    expect(states).toEqual(['connected', 'reconnecting']);
    await vi.advanceTimersByTimeAsync(RETRY_MS[HANDOVER_TRIES - 1]);
    expect(states).toEqual(['connected', 'reconnecting', 'disconnected']);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(states).toEqual(['connected', 'reconnecting', 'disconnected', 'connected']);
    expect(conn.invoked).toEqual(['Subscribe(m1)']);
  });

  it('starts again after the server closes the connection gracefully, and re-subscribes', async () => {
    const { conn, hub, states } = setup();
    hub.start();
    await vi.advanceTimersByTimeAsync(STABLE_MS);
    await hub.subscribe('m1');
    conn.invoked.length = 0;

    conn.close(); // no error: withAutomaticReconnect does not step in
    expect(states.at(-1)).toBe('disconnected');
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toBe('connected');
    expect(conn.invoked).toEqual(['Subscribe(m1)']);
  });

  it('starts again when automatic reconnect gives up, and re-subscribes after it succeeds', async () => {
    const { conn, hub, states } = setup();
    hub.start();
    await vi.advanceTimersByTimeAsync(STABLE_MS);
    await hub.subscribe('m1');
    conn.invoked.length = 0;

    conn.drop();
    conn.restore();
    await vi.advanceTimersByTimeAsync(0);
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    expect(conn.invoked).toEqual(['Subscribe(m1)']);

    conn.drop();
    conn.close(new Error('gave up'));
    expect(states.at(-1)).toBe('disconnected');
    await vi.advanceTimersByTimeAsync(RETRY_MS[1]);
    expect(states.at(-1)).toBe('connected');
    expect(conn.invoked).toEqual(['Subscribe(m1)', 'Subscribe(m1)']);
  });

  it('retries a failing start forever with a capped backoff', async () => {
    const { conn, hub, states } = setup();
    conn.startResults = Array(8).fill('fail');
    hub.start();
    const startsAt: number[] = [];
    for (let t = 0; t <= 200_000; t += 1000) {
      const before = conn.starts;
      await vi.advanceTimersByTimeAsync(t === 0 ? 0 : 1000);
      if (conn.starts > before) startsAt.push(t);
    }
    expect(startsAt).toEqual([0, 2000, 7000, 17_000, 47_000, 77_000, 107_000, 137_000, 167_000]);
    expect(states).toEqual(['connected']);
    expect(hub.connectionState).toBe('connected');
  });

  it('backs off when a hub keeps dropping or handing over fresh connections', async () => {
    const { conn, hub } = setup();
    hub.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.starts).toBe(1);
    // Closed right after it opened: not stable, so the next starts back off.
    conn.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.starts).toBe(1);
    await vi.advanceTimersByTimeAsync(RETRY_MS[1]);
    expect(conn.starts).toBe(2);
    conn.send('reconnect');
    await vi.advanceTimersByTimeAsync(RETRY_MS[2] - 1);
    expect(conn.starts).toBe(2);
    expect(hub.connectionState).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(1);
    expect(conn.starts).toBe(3);
    expect(hub.connectionState).toBe('connected');
    // A connection that lasted resets the backoff: the next hand-over is immediate.
    await vi.advanceTimersByTimeAsync(STABLE_MS);
    conn.send('reconnect');
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.starts).toBe(4);
  });

  it('stops retrying after stop()', async () => {
    const { conn, hub, states } = setup();
    hub.start();
    await vi.advanceTimersByTimeAsync(0);
    await hub.stop();
    expect(states.at(-1)).toBe('disconnected');
    conn.send('reconnect');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(conn.starts).toBe(1);
    expect(hub.connectionState).toBe('disconnected');
  });

  it('forgets an unsubscribed machine on the next connection', async () => {
    const { conn, hub } = setup();
    hub.start();
    await vi.advanceTimersByTimeAsync(STABLE_MS);
    await hub.subscribe('m1');
    await hub.subscribe('m2');
    await hub.unsubscribe('m1');
    conn.invoked.length = 0;
    conn.send('reconnect');
    await vi.advanceTimersByTimeAsync(0);
    expect(conn.invoked).toEqual(['Subscribe(m2)']);
  });
});
