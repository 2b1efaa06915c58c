// Mirrors protos/sysmon/v1/monitor.proto as the hub sends it over SignalR and /api:
// proto3 JSON names (lowerCamelCase), 64-bit integers as JSON numbers, every field present.
// Units are in the field names; see the proto for gauge / rate / counter semantics.

/** One entry of GET /api/machines (built by the hub from the agent's Hello + liveness). */
export interface Machine {
  id: string;
  hostname: string;
  /** e.g. "Debian GNU/Linux 12 (bookworm)" */
  os: string;
  osVersion: string;
  kernelVersion: string;
  architecture: string;
  cpuModel: string;
  logicalCores: number;
  physicalCores: number;
  memoryTotalBytes: number;
  agentVersion: string;
  /** ISO 8601 */
  bootTime: string;
  online: boolean;
  /** ISO 8601 */
  lastSeen: string;
  /** The tags its agent reports (--tags), e.g. "prod", "team:web". */
  tags: string[];
}

/** sysmon.v1.CpuSample */
export interface CpuSample {
  totalPercent: number;
  corePercent: number[];
  userPercent: number;
  systemPercent: number;
  iowaitPercent: number;
  stealPercent: number;
  idlePercent: number;
  coreFrequencyMhz: number[];
  frequencyAvgMhz: number;
  frequencyMinMhz: number;
  frequencyMaxMhz: number;
  load1m: number;
  load5m: number;
  load15m: number;
}

/** sysmon.v1.MemorySample */
export interface MemorySample {
  totalBytes: number;
  usedBytes: number;
  availableBytes: number;
  freeBytes: number;
  buffersBytes: number;
  cachedBytes: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
}

/** sysmon.v1.FilesystemSample */
export interface FilesystemSample {
  mountPoint: string;
  device: string;
  fsType: string;
  totalBytes: number;
  usedBytes: number;
  freeBytes: number;
}

/** sysmon.v1.DiskIoSample */
export interface DiskIoSample {
  device: string;
  readBytesPerSecond: number;
  writeBytesPerSecond: number;
  readsPerSecond: number;
  writesPerSecond: number;
  busyPercent: number;
}

/** sysmon.v1.NetworkInterfaceSample */
export interface NetworkInterfaceSample {
  name: string;
  rxBytesPerSecond: number;
  txBytesPerSecond: number;
  rxPacketsPerSecond: number;
  txPacketsPerSecond: number;
  rxErrorsPerSecond: number;
  txErrorsPerSecond: number;
  rxDropsPerSecond: number;
  txDropsPerSecond: number;
  rxErrorsTotal: number;
  txErrorsTotal: number;
  rxDropsTotal: number;
  txDropsTotal: number;
}

/** sysmon.v1.ProcessSample */
export interface ProcessSample {
  pid: number;
  name: string;
  user: string;
  /** % of ONE core, like top (can exceed 100) */
  cpuPercent: number;
  residentBytes: number;
  memoryPercent: number;
  threads: number;
  state: string;
  commandLine: string;
}

/** sysmon.v1.Sample */
export interface SampleBody {
  sequence: number;
  timestampUnixMs: number;
  uptimeSeconds: number;
  cpu: CpuSample;
  memory: MemorySample;
  filesystems: FilesystemSample[];
  disks: DiskIoSample[];
  networkInterfaces: NetworkInterfaceSample[];
  /** top N by CPU, highest first */
  processes: ProcessSample[];
  processCount: number;
  intervalSeconds: number;
  /**
   * True when the agent took the sample while it could not reach a hub (or its acknowledgement
   * was lost) and replayed it later: history, not a live point. Absent from hubs that predate it.
   */
  replayed?: boolean;
  /** counter since agent start: samples the agent dropped unsent because its replay buffer was full */
  bufferDroppedTotal?: number;
  /** hwmon and thermal zones, where the host has them (absent from older hubs) */
  temperatures?: TemperatureSample[];
  fans?: FanSample[];
  /** NVIDIA GPUs through NVML; empty without a driver */
  gpus?: GpuSample[];
  /** one per name the agent watches (--watch-processes), count 0 when none runs (absent from older hubs) */
  watchedProcesses?: WatchedProcessSample[];
}

/** sysmon.v1.WatchedProcessSample */
export interface WatchedProcessSample {
  name: string;
  count: number;
}

/** sysmon.v1.TemperatureSample */
export interface TemperatureSample {
  name: string;
  celsius: number;
  /** 0 when the sensor has no threshold */
  highCelsius: number;
  criticalCelsius: number;
}

/** sysmon.v1.FanSample */
export interface FanSample {
  name: string;
  rpm: number;
}

/** sysmon.v1.GpuSample */
export interface GpuSample {
  index: number;
  name: string;
  uuid: string;
  vendor: string;
  utilizationPercent: number;
  memoryUtilizationPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  temperatureCelsius: number;
  powerWatts: number;
  powerLimitWatts: number;
  fanPercent: number;
}

/**
 * The hub's "sample" and "backfill" messages: the proto's Sample plus the machine it came from.
 * Both carry the same shape; "backfill" is replayed history (replayed: true), older than the live
 * samples already sent, and may arrive in bursts of hundreds.
 */
export interface Sample extends SampleBody {
  machineId: string;
}

export type ConnectionState = 'connected' | 'reconnecting' | 'disconnected';

/** How a sample reached the dashboard: the hub's "sample" (live) or "backfill" (replayed history). */
export type SampleKind = 'live' | 'backfill';

// ---- SignalR /hubs/monitor names ----

/** Methods the dashboard invokes on the hub. */
export type HubMethod = 'Subscribe' | 'Unsubscribe' | 'SubscribeFleet' | 'UnsubscribeFleet';

/**
 * Messages the hub sends:
 * - `sample` (one {@link Sample}): a live sample of a subscribed machine;
 * - `backfill` (one {@link Sample}, `replayed: true`): replayed history of a subscribed machine;
 * - `reconnect` (no arguments): this hub is shutting down; stop and start the connection again
 *   (the load balancer sends the new one to another hub) and subscribe again;
 * - `fleet` (one {@link FleetWireEntry} array): the fleet summary, after SubscribeFleet().
 */
export type HubMessage = 'sample' | 'backfill' | 'reconnect' | 'fleet';

/**
 * One machine in the hub's "fleet" message as sent: a positional array, to keep a fleet of thousands
 * cheap (one argument: FleetWireEntry[]). fleet.ts parseFleetEntry checks it and names its fields.
 */
export type FleetWireEntry = [
  machineId: string,
  hostname: string,
  online: boolean,
  cpuPercent: number,
  memoryUsedPercent: number,
  diskUsedPercent: number,
  networkRxBytesPerSecond: number,
  networkTxBytesPerSecond: number,
  uptimeSeconds: number,
  timestampUnixMs: number,
  /** appended later: absent from older hubs */
  load1m?: number,
];

/** One machine of the fleet summary, with named fields. */
export interface FleetEntry {
  machineId: string;
  hostname: string;
  online: boolean;
  cpuPercent: number;
  memoryUsedPercent: number;
  diskUsedPercent: number;
  networkRxBytesPerSecond: number;
  networkTxBytesPerSecond: number;
  uptimeSeconds: number;
  timestampUnixMs: number;
  load1m?: number;
}
