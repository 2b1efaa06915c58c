// Rendering at the user's cadence: samples (live or backfill) only mark the open machine's page
// dirty; a timer redraws at most once per tick. The one exception is the first sample of a
// machine with nothing stored yet, drawn at once so a freshly opened page fills without waiting a
// tick. A burst of hundreds of backfill samples therefore costs one redraw, not hundreds.
import type { SampleStore } from './store';
import type { Sample } from './types';

export class RenderLoop {
  private dirty = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param draw full redraw of the open machine (charts, table, header numbers)
   * @param idle cheap refresh between redraws (the "last sample … ago" line)
   */
  constructor(
    private readonly draw: () => void,
    private readonly idle: () => void = () => {},
  ) {}

  /** (Re)starts the timer at this period. */
  start(periodMs: number): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), periodMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Something changed: redraw at the next tick. */
  invalidate(): void {
    this.dirty = true;
  }

  /** Redraws now (and drops the pending redraw). */
  drawNow(): void {
    this.dirty = false;
    this.draw();
  }

  tick(): void {
    if (this.dirty) this.drawNow();
    else this.idle();
  }

  get pending(): boolean {
    return this.dirty;
  }
}

/**
 * Stores a sample ("sample" or "backfill"; both are inserted by timestamp) and schedules the
 * redraw it needs: none for a duplicate or another machine's sample, at once for the first sample
 * of the open machine, otherwise at the next tick.
 */
export function acceptSample(
  store: SampleStore,
  loop: RenderLoop,
  sample: Sample,
  openMachineId: string | null,
): void {
  if (!store.add(sample) || sample.machineId !== openMachineId) return;
  if (store.count(sample.machineId) === 1) loop.drawNow();
  else loop.invalidate();
}
