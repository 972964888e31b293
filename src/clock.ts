/** The source of the current time, in milliseconds since the epoch. Tests replace it to reach expiry. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
