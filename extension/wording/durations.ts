/** One "keep running" choice: how long, in words and in seconds (undefined: the host's default). */
export interface KeepChoice {
  label: string;
  description?: string;
  seconds?: number;
}

const HOUR = 3600;
/** "Until tomorrow" means until this hour of the next morning, local time. */
const MORNING_HOUR = 9;

/** Seconds from `now` until the next day's 09:00 local time. */
export function secondsUntilTomorrowMorning(now: Date): number {
  const morning = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, MORNING_HOUR, 0, 0, 0);
  return Math.ceil((morning.getTime() - now.getTime()) / 1000);
}

/** The durations "Berth: Keep Workspace Running" offers; the agent caps each at its maximum. */
export function keepChoices(now: Date): KeepChoice[] {
  return [
    { label: '1 hour', seconds: HOUR },
    { label: '4 hours', seconds: 4 * HOUR },
    { label: '8 hours', seconds: 8 * HOUR },
    { label: 'Until tomorrow', description: `09:00`, seconds: secondsUntilTomorrowMorning(now) },
    { label: "The host's default", description: 'as the agent is configured' },
  ];
}
