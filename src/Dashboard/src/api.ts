// REST client for the hub: GET api/machines (relative to the page, so the app works under any base path).
import { finite as num } from './coerce';
import { parseFleetBatch } from './fleet';
import { problemOf } from './session';
import type { FleetEntry, Machine } from './types';

/** Polling period for the machine list. */
export const MACHINES_POLL_MS = 5000;

function str(v: unknown): string {
  return typeof v === 'string' ? v : v == null ? '' : String(v);
}

/** Coerces one JSON entry into a Machine (missing fields become defaults); null without an id. */
export function toMachine(raw: unknown): Machine | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const id = str(r.id);
  if (!id) return null;
  return {
    id,
    hostname: str(r.hostname),
    os: str(r.os),
    osVersion: str(r.osVersion),
    kernelVersion: str(r.kernelVersion),
    architecture: str(r.architecture),
    cpuModel: str(r.cpuModel),
    logicalCores: num(r.logicalCores),
    physicalCores: num(r.physicalCores),
    memoryTotalBytes: num(r.memoryTotalBytes),
    agentVersion: str(r.agentVersion),
    bootTime: str(r.bootTime),
    online: r.online === true,
    lastSeen: str(r.lastSeen),
    tags: Array.isArray(r.tags) ? r.tags.filter((t): t is string => typeof t === 'string').slice(0, 32) : [],
  };
}

export async function fetchMachines(signal?: AbortSignal): Promise<Machine[]> {
  const res = await fetch('api/machines', {
    headers: { Accept: 'application/json' },
    signal,
    cache: 'no-store',
  });
  if (!res.ok) throw problemOf(res.status, await res.json().catch(() => null));
  const body: unknown = await res.json();
  if (!Array.isArray(body)) throw new Error('GET api/machines: expected a JSON array');
  return body.map(toMachine).filter((m): m is Machine => m !== null);
}

/** GET api/fleet: every machine's latest numbers, the same records as the hub's first "fleet" message. */
export async function fetchFleet(signal?: AbortSignal): Promise<FleetEntry[]> {
  const res = await fetch('api/fleet', {
    headers: { Accept: 'application/json' },
    signal,
    cache: 'no-store',
  });
  if (!res.ok) throw problemOf(res.status, await res.json().catch(() => null));
  return parseFleetBatch(await res.json());
}

/**
 * Calls fetchMachines now and every MACHINES_POLL_MS (never overlapping); returns a stop function.
 */
export function pollMachines(onMachines: (m: Machine[]) => void, onError: (e: unknown) => void): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const controller = new AbortController();
  const tick = async () => {
    try {
      const machines = await fetchMachines(controller.signal);
      if (!stopped) onMachines(machines);
    } catch (e) {
      if (!stopped) onError(e);
    }
    if (!stopped) timer = setTimeout(tick, MACHINES_POLL_MS);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller.abort();
  };
}
