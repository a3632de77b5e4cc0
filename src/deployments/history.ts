import type { Store } from '../store/store.js';
import type { DeploymentRecord, StageState } from './types.js';

/** Store collections: the deployments by zero-padded id (so the store's id order is numeric), and the stage state. */
export const DEPLOYMENTS_COLLECTION = 'deployments';
export const STATE_COLLECTION = 'deployment-stages';
const STATE_ID = 'current';
const SEQUENCE = 'deployments:next-id';
/** The id sequence counter never expires in practice (a store may forget an expired counter). */
const NEVER_MS = Date.UTC(9999, 0, 1);

const docId = (id: number): string => String(id).padStart(10, '0');

/**
 * The deployment history in the store (the Store's document operations, so embedded SQLite and
 * Redis both work). Ids come from a store counter, and a record is inserted only if its id is free,
 * so two nodes recording at once get two ids.
 */
export class History {
  readonly #store: Store;
  constructor(store: Store) {
    this.#store = store;
  }

  /** Every deployment, oldest first. */
  async list(): Promise<DeploymentRecord[]> {
    return (await this.#store.list<DeploymentRecord>(DEPLOYMENTS_COLLECTION)).map((d) => d.value);
  }

  get(id: number): Promise<DeploymentRecord | undefined> {
    return this.#store.get<DeploymentRecord>(DEPLOYMENTS_COLLECTION, docId(id));
  }

  /** Records a new deployment with the next free id. */
  async record(fields: Omit<DeploymentRecord, 'id'>): Promise<DeploymentRecord> {
    for (;;) {
      const id = await this.#store.increment(SEQUENCE, 1, NEVER_MS);
      const rec: DeploymentRecord = { id, ...fields };
      if (await this.#store.insert(DEPLOYMENTS_COLLECTION, docId(id), rec)) return rec;
      // The counter was behind the history (a store that lost its last second of counters): next one.
    }
  }

  state(): Promise<StageState | undefined> {
    return this.#store.get<StageState>(STATE_COLLECTION, STATE_ID);
  }

  /** Replaces the stage state; a shared store tells the other nodes (Store.onChange). */
  setState(state: StageState): Promise<void> {
    return this.#store.put(STATE_COLLECTION, STATE_ID, state);
  }
}
