// Long loops on the main thread that share it with I/O under way (a full reconcile's file writes):
// each runs a slice of about SLICE_MS, then lets the event loop run what is ready (a completed
// write starts the next) before it goes on. A loop that held the thread for seconds left the disk
// idle meanwhile.
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Main-thread time a slice runs before the loop gives way. */
export const SLICE_MS = 2;

/** Slices of one loop: `if (slices.due()) await slices.next();` once per item. */
export class Slices {
  private began = performance.now();
  private items = 0;

  /** Whether this slice has run its time (the clock is read every 16 items: reading it costs more than most items). */
  due(): boolean {
    return (++this.items & 15) === 0 && performance.now() - this.began >= SLICE_MS;
  }

  /** Lets the event loop run what is ready, then starts the next slice. */
  async next(): Promise<void> {
    await nextTurn();
    this.began = performance.now();
  }
}
