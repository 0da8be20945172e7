/** Refused by Slots.run: every slot is busy and the waiting line is full. */
export class SlotsFull extends Error {
  constructor() {
    super('every slot is busy and the waiting line is full');
    this.name = 'SlotsFull';
  }
}

/**
 * Runs at most `size` tasks at once; up to `maxWaiting` others wait, first come first served, and any more
 * are refused at once (SlotsFull): an unbounded line would hold requests, and their memory, without end.
 */
export class Slots {
  readonly #size: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number, maxWaiting = Number.POSITIVE_INFINITY) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`slots must be a positive integer, got ${size}`);
    if (!(maxWaiting === Number.POSITIVE_INFINITY || (Number.isInteger(maxWaiting) && maxWaiting >= 0))) {
      throw new RangeError(`maxWaiting must be a non-negative integer, got ${maxWaiting}`);
    }
    this.#size = size;
    this.#maxWaiting = maxWaiting;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for a slot now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#size) {
      if (this.#waiting.length >= this.#maxWaiting) throw new SlotsFull();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else this.#running++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so the count never drops below what runs.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
