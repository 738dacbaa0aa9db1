import type { EventData, EventName } from '../../protocol';

/** An event as the agent sends it. */
export type AgentEvent = { [E in EventName]: { event: E; data: EventData<E> } }[EventName];

/**
 * Receives every event with the owner of the workspace it concerns, so sessions can filter, and the
 * connection whose request caused it, if one did (request ids are unique per connection only).
 */
export type EventListener = (event: AgentEvent, owner: string, origin: number | undefined) => void;

/** Fan-out of workspace events to the connected sessions. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: AgentEvent, owner: string, origin?: number): void {
    for (const listener of this.listeners) listener(event, owner, origin);
  }
}
