import { randomInt } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import type { UsagePlanConfig } from './usage-plans/schema.js';
import { type DeclaredKeyConfig, KEY_VALUE_RE } from './declared-keys.js';
import { checkPlan, KeyError, parseExpiry } from './key-rules.js';
import { generateKeyValue, hashesMatch, hashKey, sealValue, unsealValue } from './secret.js';

export { KeyError } from './key-rules.js';

/** What is stored for an API key. Never the value: only its keyed hash. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  /** ISO time after which the key is refused, or null. */
  expiresAt: string | null;
  /** Usage plans the key belongs to, by name. */
  plans: string[];
  /** HMAC-SHA256 of the value under <dataDir>/api-key.secret. */
  hash: string;
  /**
   * 'generated' by the gateway, 'imported' (a known value given to the admin API), or 'config':
   * declared under apiKeys in the config file, which alone changes it (the admin API refuses to).
   */
  source: 'generated' | 'imported' | 'config';
  /** A config key declared without a value: the gateway generated it (sealed in GENERATED until shown once). */
  valueGenerated?: true;
  createdAt: string;
  updatedAt: string;
}

/** A key as the admin API shows it (no hash). */
export type ApiKeyView = Omit<ApiKeyRecord, 'hash'>;

export interface CreateKeyInput {
  name: string;
  description?: string;
  /** A known value to import; else one is generated. */
  value?: string;
  plans?: string[];
  enabled?: boolean;
  expiresAt?: string | null;
}

const KEYS = 'apiKeys';
const HASHES = 'apiKeyHashes';
/** Generated values of config keys not shown yet, by key id, sealed (secret.ts sealValue). */
const GENERATED = 'apiKeyGeneratedValues';
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const NAME_RE = /^[\x20-\x7e]{1,128}$/;

export function viewOf(r: ApiKeyRecord): ApiKeyView {
  const { hash: _hash, ...view } = r;
  return view;
}

function newId(): string {
  let id = '';
  for (let i = 0; i < 10; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/**
 * API keys: durable in the store, indexed in memory by hash so a request's lookup is one HMAC and
 * one Map get. Mutations write the store first, then the index.
 */
export class KeyRegistry {
  #store: Store;
  #secret: Buffer;
  #clock: Clock;
  #byHash = new Map<string, ApiKeyRecord>();
  #byId = new Map<string, ApiKeyRecord>();

  private constructor(store: Store, secret: Buffer, clock: Clock) {
    this.#store = store;
    this.#secret = secret;
    this.#clock = clock;
  }

  static async open(store: Store, secret: Buffer, clock: Clock): Promise<KeyRegistry> {
    const r = new KeyRegistry(store, secret, clock);
    for (const { value } of await store.list<ApiKeyRecord>(KEYS)) r.#index(value);
    // A shared store (Redis, the workers' primary) tells us about keys changed by other nodes.
    store.onChange?.((collection, id) => {
      if (collection === KEYS) void r.#refresh(id);
      else if (collection === '*') void r.#refresh(undefined);
    });
    return r;
  }

  /** While this returns true, every lookup fails (store.failure.keys closed during an outage). */
  refuseWhile: (() => boolean) | undefined;

  /** Re-reads one key (or all, for undefined) from the store after another node changed it. */
  async #refresh(id: string | undefined): Promise<void> {
    try {
      if (id !== undefined) {
        const rec = await this.#store.get<ApiKeyRecord>(KEYS, id);
        if (rec) this.#index(rec);
        else {
          const old = this.#byId.get(id);
          if (old) this.#byHash.delete(old.hash);
          this.#byId.delete(id);
        }
        return;
      }
      const all = await this.#store.list<ApiKeyRecord>(KEYS);
      const byId = new Map<string, ApiKeyRecord>();
      const byHash = new Map<string, ApiKeyRecord>();
      for (const { value } of all) {
        byId.set(value.id, value);
        byHash.set(value.hash, value);
      }
      this.#byId = byId;
      this.#byHash = byHash;
    } catch {
      // The store is unreachable: the resync after it reconnects catches up.
    }
  }

  #index(rec: ApiKeyRecord): void {
    const old = this.#byId.get(rec.id);
    if (old) this.#byHash.delete(old.hash);
    this.#byId.set(rec.id, rec);
    this.#byHash.set(rec.hash, rec);
  }

  /** The key a presented value belongs to, or undefined. Lookup by keyed hash, then a constant-time compare. */
  lookup(value: string): ApiKeyRecord | undefined {
    if (this.refuseWhile?.()) return undefined;
    const h = hashKey(this.#secret, value);
    const rec = this.#byHash.get(h);
    return rec && hashesMatch(rec.hash, h) ? rec : undefined;
  }

  /** Is the key usable now (enabled, not expired)? */
  isActive(rec: ApiKeyRecord): boolean {
    return rec.enabled && (rec.expiresAt === null || Date.parse(rec.expiresAt) > this.#clock.now());
  }

  list(): ApiKeyRecord[] {
    return [...this.#byId.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** By id, else by name if exactly one key has it. */
  get(idOrName: string): ApiKeyRecord {
    const byId = this.#byId.get(idOrName);
    if (byId) return byId;
    const named = [...this.#byId.values()].filter((k) => k.name === idOrName);
    if (named.length === 1) return named[0] as ApiKeyRecord;
    if (named.length > 1)
      throw new KeyError(
        409,
        `${named.length} keys are named "${idOrName}"; use the id (${named.map((k) => k.id).join(', ')})`,
      );
    throw new KeyError(404, `no API key with id or name "${idOrName}"`);
  }

  async create(
    input: CreateKeyInput,
    plans: Readonly<Record<string, UsagePlanConfig>>,
  ): Promise<{ key: ApiKeyRecord; value: string }> {
    if (typeof input.name !== 'string' || !NAME_RE.test(input.name))
      throw new KeyError(400, 'name: expected 1-128 printable characters');
    if (input.description !== undefined && (typeof input.description !== 'string' || input.description.length > 1024)) {
      throw new KeyError(400, 'description: expected a string of at most 1024 characters');
    }
    if (input.value !== undefined && (typeof input.value !== 'string' || !KEY_VALUE_RE.test(input.value))) {
      throw new KeyError(400, 'value: expected 20-128 printable ASCII characters without spaces');
    }
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean')
      throw new KeyError(400, 'enabled: expected true or false');
    const expiresAt = parseExpiry(input.expiresAt);
    const wanted = input.plans ?? [];
    if (!Array.isArray(wanted) || wanted.some((p) => typeof p !== 'string'))
      throw new KeyError(400, 'plans: expected a list of plan names');
    for (const p of wanted)
      checkPlan(
        p,
        [...new Set(wanted)].filter((q) => q !== p),
        plans,
      );
    const value = input.value ?? generateKeyValue();
    const hash = hashKey(this.#secret, value);
    const now = new Date(this.#clock.now()).toISOString();
    let id = newId();
    while (this.#byId.has(id)) id = newId();
    if (!(await this.#store.insert(HASHES, hash, id)))
      throw new KeyError(409, 'value: another API key already has this value');
    const key: ApiKeyRecord = {
      id,
      name: input.name,
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      expiresAt,
      plans: [...new Set(wanted)],
      hash,
      source: input.value === undefined ? 'generated' : 'imported',
      createdAt: now,
      updatedAt: now,
    };
    await this.#store.put(KEYS, id, key);
    this.#index(key);
    return { key, value };
  }

  /** A key the admin API may change: not one declared in the config file. */
  #mutable(id: string): ApiKeyRecord {
    const cur = this.get(id);
    if (cur.source === 'config') {
      throw new KeyError(
        409,
        `API key "${cur.name}" is managed by the config file (apiKeys.${cur.name}); change or remove it there and reload`,
      );
    }
    return cur;
  }

  async #update(id: string, change: (r: ApiKeyRecord) => ApiKeyRecord): Promise<ApiKeyRecord> {
    const cur = this.#mutable(id);
    const next = { ...change(cur), updatedAt: new Date(this.#clock.now()).toISOString() };
    await this.#store.put(KEYS, next.id, next);
    this.#index(next);
    return next;
  }

  setEnabled(id: string, enabled: boolean): Promise<ApiKeyRecord> {
    return this.#update(id, (r) => ({ ...r, enabled }));
  }

  setExpiry(id: string, expiresAt: string | null): Promise<ApiKeyRecord> {
    const e = parseExpiry(expiresAt);
    return this.#update(id, (r) => ({ ...r, expiresAt: e }));
  }

  async addPlan(id: string, plan: string, plans: Readonly<Record<string, UsagePlanConfig>>): Promise<ApiKeyRecord> {
    const cur = this.#mutable(id);
    if (cur.plans.includes(plan)) return cur;
    checkPlan(plan, cur.plans, plans);
    return this.#update(cur.id, (r) => ({ ...r, plans: [...r.plans, plan] }));
  }

  async removePlan(id: string, plan: string): Promise<ApiKeyRecord> {
    const cur = this.#mutable(id);
    if (!cur.plans.includes(plan)) throw new KeyError(404, `API key ${cur.id} is not in usage plan "${plan}"`);
    return this.#update(cur.id, (r) => ({ ...r, plans: r.plans.filter((p) => p !== plan) }));
  }

  /** A new value (generated, or the one given); the old value stops working at once. */
  async rotate(id: string, value?: string): Promise<{ key: ApiKeyRecord; value: string }> {
    const cur = this.#mutable(id);
    if (value !== undefined && (typeof value !== 'string' || !KEY_VALUE_RE.test(value))) {
      throw new KeyError(400, 'value: expected 20-128 printable ASCII characters without spaces');
    }
    const next = value ?? generateKeyValue();
    const hash = hashKey(this.#secret, next);
    if (!(await this.#store.insert(HASHES, hash, cur.id)))
      throw new KeyError(409, 'value: another API key already has this value');
    const key = await this.#update(cur.id, (r) => ({
      ...r,
      hash,
      source: value === undefined ? 'generated' : 'imported',
    }));
    await this.#store.delete(HASHES, cur.hash);
    return { key, value: next };
  }

  async delete(id: string): Promise<ApiKeyRecord> {
    return this.#remove(this.#mutable(id));
  }

  /**
   * Makes the config-declared keys in the store (source 'config', id "cfg-NAME") match `declared`:
   * creates missing ones, updates changed ones, deletes those no longer declared. Keys created at
   * runtime are never touched. A value another key already has is refused before anything is
   * written. A key declared without a value gets a generated one the first time (kept while it stays
   * without one), sealed in the store until takeGeneratedValue shows it. Idempotent, so nodes sharing
   * a store may all run it.
   */
  async reconcile(declared: Readonly<Record<string, DeclaredKeyConfig>>): Promise<ReconcileResult> {
    const wanted = Object.entries(declared).map(([name, k]) => ({
      name,
      k,
      id: declaredKeyId(name),
      hash: k.value === undefined ? undefined : hashKey(this.#secret, k.value),
    }));
    const ids = new Set(wanted.map((w) => w.id));
    const stale = [...this.#byId.values()].filter((r) => r.source === 'config' && !ids.has(r.id));
    for (const w of wanted) {
      const holder = w.hash === undefined ? undefined : this.#byHash.get(w.hash);
      if (holder && holder.id !== w.id && !stale.includes(holder)) throw new DeclaredKeyConflict(w.name, holder);
    }
    const result: ReconcileResult = { created: [], updated: [], deleted: [], generated: [] };
    for (const r of stale) {
      await this.#remove(r);
      result.deleted.push(r.name);
    }
    const now = new Date(this.#clock.now()).toISOString();
    for (const { name, k, id, hash: declaredHash } of wanted) {
      let cur = this.#byId.get(id);
      let hash = declaredHash;
      let generated: string | undefined;
      if (hash === undefined) {
        // Another node sharing the store may have generated it already.
        cur ??= await this.#store.get<ApiKeyRecord>(KEYS, id);
        if (cur?.valueGenerated) hash = cur.hash;
        else hash = hashKey(this.#secret, (generated = generateKeyValue()));
      }
      const plans = [...new Set(k.usagePlans)];
      const same =
        cur &&
        cur.hash === hash &&
        cur.enabled === k.enabled &&
        cur.description === k.description &&
        cur.plans.join('\n') === plans.join('\n');
      if (same) {
        this.#index(cur as ApiKeyRecord);
        continue;
      }
      if (cur?.hash !== hash && !(await this.#store.insert(HASHES, hash, id))) {
        // Another node may have just done the same; anyone else holding the value is a conflict.
        const owner = await this.#store.get<string>(HASHES, hash);
        if (owner !== id) throw new DeclaredKeyConflict(name, owner === undefined ? undefined : this.#byId.get(owner));
      }
      const rec: ApiKeyRecord = {
        id,
        name,
        description: k.description,
        enabled: k.enabled,
        expiresAt: null,
        plans,
        hash,
        source: 'config',
        ...(declaredHash === undefined ? { valueGenerated: true as const } : {}),
        createdAt: cur?.createdAt ?? now,
        updatedAt: now,
      };
      if (generated !== undefined) await this.#store.put(GENERATED, id, sealValue(this.#secret, generated));
      else if (cur?.valueGenerated && declaredHash !== undefined) await this.#store.delete(GENERATED, id);
      await this.#store.put(KEYS, id, rec);
      if (cur && cur.hash !== hash) await this.#store.delete(HASHES, cur.hash);
      this.#index(rec);
      (cur ? result.updated : result.created).push(name);
      if (generated !== undefined) result.generated.push(name);
    }
    return result;
  }

  /** The generated value of a config key, once: the sealed copy is deleted as it is read. */
  async takeGeneratedValue(id: string): Promise<string | undefined> {
    const sealed = await this.#store.get<string>(GENERATED, id);
    if (sealed === undefined || !(await this.#store.delete(GENERATED, id))) return undefined;
    return unsealValue(this.#secret, sealed);
  }

  /** Ids of the keys whose generated value has not been shown yet. */
  async generatedNotShown(): Promise<Set<string>> {
    return new Set((await this.#store.list(GENERATED)).map((e) => e.id));
  }

  async #remove(cur: ApiKeyRecord): Promise<ApiKeyRecord> {
    await this.#store.delete(KEYS, cur.id);
    await this.#store.delete(HASHES, cur.hash);
    if (cur.valueGenerated) await this.#store.delete(GENERATED, cur.id);
    await this.#store.deleteUsage(cur.id);
    this.#byId.delete(cur.id);
    this.#byHash.delete(cur.hash);
    return cur;
  }
}

/** The id of the key declared as apiKeys.NAME: stable, so every node and every reload agree on it. */
export function declaredKeyId(name: string): string {
  return `cfg-${name}`;
}

export interface ReconcileResult {
  created: string[];
  updated: string[];
  deleted: string[];
  /** Keys declared without a value that got a generated one (names only). */
  generated: string[];
}

/** A declared key's value is already another key's. Names the key, never the value. */
export class DeclaredKeyConflict extends Error {
  readonly keyName: string;
  constructor(keyName: string, holder: ApiKeyRecord | undefined) {
    const who = holder
      ? `API key ${holder.id} "${holder.name}"${holder.source === 'config' ? '' : ' (created at runtime)'}`
      : 'another API key';
    super(`${who} already has this value; key values must be unique`);
    this.keyName = keyName;
  }
}
