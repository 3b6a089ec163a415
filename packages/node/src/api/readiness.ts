// Readiness of a node for an orchestrator or load balancer (/readyz): each
// condition that fails is named, so an operator sees what to fix.

import type { ReadinessOptions } from "../options.js";
import { DoppelgangerState } from "../signer/doppelganger.js";
import type { Readiness } from "./interfaces.js";

export enum ReadinessCondition {
  NOT_RUNNING = "NOT_RUNNING",
  L1_HEAD_STALE = "L1_HEAD_STALE",
  KEYS_NOT_LOADED = "KEYS_NOT_LOADED",
  TOO_FEW_PEERS = "TOO_FEW_PEERS",
  DB_NOT_WRITABLE = "DB_NOT_WRITABLE",
  DOPPELGANGER_WINDOW = "DOPPELGANGER_WINDOW",
  DOPPELGANGER_DETECTED = "DOPPELGANGER_DETECTED",
}

export interface ReadinessFailure {
  condition: ReadinessCondition;
  detail: string;
}

/** What the readiness checks read from the node. */
export interface ReadinessSources {
  /** True between a completed start() and stop(). */
  readonly isRunning: boolean;
  /** Milliseconds since the L1 RPC last returned a head; undefined if it never did. */
  l1HeadAgeMs(): Promise<number | undefined>;
  /** Verifier keys given to the node. */
  expectedKeys: number;
  validators: { readonly size: number; readonly pubkeys: readonly Uint8Array[] };
  network: { getPeers(): readonly unknown[] };
  db: { meta: { putJson(key: string, value: unknown): Promise<void>; delete(key: string): Promise<void> } };
  doppelganger: { state(pubkey: Uint8Array): DoppelgangerState | undefined };
}

// A meta key no other code reads: the probe writes and deletes it.
const PROBE_KEY = "readinessProbe";

/** Checks every condition (none short-circuits), so the body lists them all. */
export async function checkReadiness(opts: ReadinessOptions, node: ReadinessSources): Promise<Readiness> {
  const failing: ReadinessFailure[] = [];
  const fail = (condition: ReadinessCondition, detail: string): void => {
    failing.push({ condition, detail });
  };
  if (!node.isRunning) {
    fail(ReadinessCondition.NOT_RUNNING, "the node is starting or stopping");
    return { ready: false, failing };
  }

  const age = await node.l1HeadAgeMs();
  if (age === undefined) fail(ReadinessCondition.L1_HEAD_STALE, "no L1 head read yet");
  else if (age > opts.l1HeadMaxAgeMs)
    fail(ReadinessCondition.L1_HEAD_STALE, `last L1 head ${age} ms ago (limit ${opts.l1HeadMaxAgeMs} ms)`);

  const wantKeys = opts.minKeys ?? node.expectedKeys;
  const keys = node.validators.size;
  if (keys < wantKeys)
    fail(ReadinessCondition.KEYS_NOT_LOADED, `${keys} of ${wantKeys} verifier keys loaded`);

  const peers = node.network.getPeers().length;
  if (peers < opts.minPeers) fail(ReadinessCondition.TOO_FEW_PEERS, `${peers} peers (need ${opts.minPeers})`);

  try {
    await node.db.meta.putJson(PROBE_KEY, Date.now());
    await node.db.meta.delete(PROBE_KEY);
  } catch (e) {
    fail(ReadinessCondition.DB_NOT_WRITABLE, e instanceof Error ? e.message : String(e));
  }

  let pending = 0;
  let detected = 0;
  for (const pk of node.validators.pubkeys) {
    const s = node.doppelganger.state(pk);
    if (s === DoppelgangerState.detected) detected++;
    else if (s === DoppelgangerState.pending) pending++;
  }
  if (detected > 0)
    fail(
      ReadinessCondition.DOPPELGANGER_DETECTED,
      `${detected} keys disabled: another process signs with them`,
    );
  if (pending > 0)
    fail(ReadinessCondition.DOPPELGANGER_WINDOW, `${pending} keys still listen for a doppelganger`);

  return { ready: failing.length === 0, failing };
}
