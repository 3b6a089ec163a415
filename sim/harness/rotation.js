// The `rotation` scenario's live set rotation, done as the network's owner
// would on real hosts: mid-run, `ocp anchor register-set` registers set 1 on
// OcpAnchor (some keys removed, the keys of hosts that have been running
// outside the set added) with an activation slot the contract's lead ahead.
// Nobody restarts: nodes read sets from OcpAnchor. Afterwards every
// certificate the nodes hold is checked against the set that governs its slot.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { OcpAnchor } from "@ocp/contracts";
import {
  bitfieldIndices,
  buildVerifierSet,
  CertificateErrorCode,
  parseCertificateJson,
  toHex,
  VerifierSetRegistry,
  verifyCertificate,
} from "@ocp/protocol";
import { getJson } from "../../packages/cli/lib/devnet/http.js";
import { round, sumNodeMetrics } from "./measure.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Blocks `ocp anchor register-set` takes: registerKeys, beginSet, addSetMembers, finalizeSet. */
export const REGISTRATION_BLOCKS = 4;
/**
 * Blocks for registration transactions that miss their block (the builder's batch filled it, or
 * load). 2 was too few at 32 hosts on 2 cores (load average ~18): the CLI took more than 6 blocks
 * for its 4 transactions and `finalizeSet` reverted with ActivationTooSoon; the next run took 7.
 */
export const REGISTRATION_SLACK = 5;

/** A certificate's identity: two nodes holding the same one are checked once. */
const certKey = (json) => `${json.observation.slot}|${json.setId}|${json.signers}|${json.aggregateSignature}`;

export class RotationRun {
  /**
   * @param {import("./cluster.js").SimCluster} cluster
   * @param {{joining: number[], leaving: number[], atSlot: number, leadSlots: number, refreshSlots: number}} plan
   * @param {(msg: string) => void} log
   */
  constructor(cluster, plan, log) {
    this.cluster = cluster;
    this.plan = plan;
    this.log = log;
    this.set0 = buildVerifierSet(cluster.set);
    /** Every distinct certificate seen on any node (JSON form). */
    this.certs = new Map();
    /** host → ms when its node first held set 1. */
    this.learnt = new Map();
    this.polling = false;
  }

  /** Records a certificate a node streamed or served. */
  onCertificate(json) {
    const k = certKey(json);
    if (!this.certs.has(k)) this.certs.set(k, json);
  }

  /**
   * Starts the registration in the background (the builder keeps posting):
   * set 1 activates REGISTRATION_BLOCKS + REGISTRATION_SLACK + lead blocks
   * after the current head, so the contract's lead holds when it is finalized.
   */
  start(slotIndex) {
    const { cluster, plan } = this;
    this.task = (async () => {
      const head = await cluster.wallet.getBlockNumber({ cacheTime: 0 });
      const leaving = new Set(plan.leaving);
      const entries = (hosts) => hosts.flatMap((h) => cluster.entries[h]);
      const stay = cluster.entries.flatMap((_, h) =>
        leaving.has(h) || plan.joining.includes(h) ? [] : entries([h]),
      );
      this.data1 = {
        epoch: cluster.set.epoch + 1n,
        activationSlot: head + BigInt(REGISTRATION_BLOCKS + REGISTRATION_SLACK + plan.leadSlots),
        quorum: cluster.set.quorum,
        verifiers: [...stay, ...entries(plan.joining)],
      };
      this.set1 = buildVerifierSet(this.data1);
      this.registeredFrom = { slot: head, index: slotIndex, t: Date.now() };
      this.log(
        `slot ${head}: owner registers set ${this.data1.epoch} (hosts ${plan.leaving.join(",")} leave, ` +
          `${plan.joining.join(",")} join) activating at slot ${this.data1.activationSlot}`,
      );
      this.polling = true;
      this.poller = this.pollSets();
      const setId = await cluster.registerSetWithCli(this.data1);
      if (setId.toLowerCase() !== this.set1.setIdHex.toLowerCase())
        throw new Error(`register-set printed set id ${setId}, expected ${this.set1.setIdHex}`);
      // The block that finalized it: from then on a node's refresh can read it.
      const [ev] = await cluster.wallet.getContractEvents({
        address: cluster.anchor,
        abi: OcpAnchor.abi,
        eventName: "SetRegistered",
        args: { epoch: this.data1.epoch },
        fromBlock: head,
      });
      const at = ev?.blockNumber ?? (await cluster.wallet.getBlockNumber({ cacheTime: 0 }));
      this.registered = { slot: at };
      this.log(`slot ${at}: set ${this.data1.epoch} registered (${setId.slice(0, 10)}…)`);
    })();
    // Reported by finish(); not an unhandled rejection meanwhile.
    this.task.catch(() => undefined);
  }

  /** Follows which nodes hold set 1 (their /v1/sets), as an operator's monitoring would. */
  async pollSets() {
    const { cluster } = this;
    while (this.polling) {
      const want = this.set1.setIdHex.toLowerCase();
      await Promise.all(
        cluster.nodes
          .filter((nd) => nd.up && !this.learnt.has(nd.index))
          .map(async (nd) => {
            const sets = (await getJson(`${nd.api}/v1/sets`).catch(() => [])) ?? [];
            if (sets.some((s) => s.setId.toLowerCase() === want)) this.learnt.set(nd.index, Date.now());
          }),
      );
      if (this.learnt.size === cluster.nodes.length) break;
      await sleep(Math.min(1000, cluster.opts.slotMs / 4));
    }
  }

  /** Waits for the registration (throws if it failed) and stops following the nodes' sets. */
  async finish() {
    if (!this.task) throw new Error("the rotation never started (run shorter than its slot)");
    try {
      await this.task;
    } finally {
      this.polling = false;
      await this.poller;
    }
  }

  /**
   * The rotation's figures. `tabled` are the run's slots with a table,
   * `anchoredAt` slot → block of its Anchored event, `activationTime` when
   * the harness first saw the activation block, `seen` block → when the harness saw it.
   */
  async figures({ tabled, anchoredAt, activationTime, seen }) {
    const { cluster, plan, set0, set1 } = this;
    const A = set1.activationSlot;
    const slotMs = cluster.opts.slotMs;

    // Every certificate each running node holds at the end, besides those it streamed.
    const streamHex = toHex(cluster.stream);
    for (const nd of cluster.nodes.filter((x) => x.up))
      for (const { slot } of tabled) {
        const c = await getJson(`${nd.api}/v1/streams/${streamHex}/certificates/${slot}`).catch(
          () => undefined,
        );
        if (c) this.onCertificate(c);
      }
    // Checked independently of the nodes: against the two sets the harness registered.
    const registry = new VerifierSetRegistry([set0, set1]);
    const leavingKeys = new Set(plan.leaving.flatMap((h) => cluster.entries[h].map((e) => toHex(e.pubkey))));
    const joiningKeys = new Set(plan.joining.flatMap((h) => cluster.entries[h].map((e) => toHex(e.pubkey))));
    let wrongSet = 0;
    let invalid = 0;
    let leavingSigners = 0;
    const joinedSigners = new Set();
    const under = { before: { set0: 0, set1: 0 }, after: { set0: 0, set1: 0 } };
    for (const json of this.certs.values()) {
      const cert = parseCertificateJson(json);
      const r = verifyCertificate(cert, registry);
      if (!r.ok) {
        if (r.code === CertificateErrorCode.WRONG_SET_FOR_SLOT || r.code === CertificateErrorCode.UNKNOWN_SET)
          wrongSet++;
        else invalid++;
        this.log(`slot ${cert.observation.slot}: certificate fails under the governing set: ${r.code}`);
      }
      const set = registry.get(cert.setId);
      const after = cert.observation.slot >= A;
      if (set) under[after ? "after" : "before"][set === set1 ? "set1" : "set0"]++;
      if (!set || !after) continue;
      for (const i of bitfieldIndices(cert.signers)) {
        const key = toHex(set.verifiers[i].pubkey);
        if (leavingKeys.has(key)) leavingSigners++;
        if (joiningKeys.has(key)) joinedSigners.add(key);
      }
    }

    // The contract's refusals, as each anchorer logged them.
    let wrongSetRejections = 0;
    let rejections = 0;
    for (let i = 0; i < cluster.anchorers; i++) {
      const text = await readFile(join(cluster.opts.dir, `host-${i}`, "node.log"), "utf8").catch(() => "");
      for (const line of text.split("\n")) {
        if (!line.includes("certificate refused by OcpAnchor")) continue;
        rejections++;
        if (line.includes("WrongSetForSlot")) wrongSetRejections++;
      }
    }

    // Gossip penalties: a vote or certificate under a set a peer had not read yet must not cost anyone.
    const ignoredFor = (code) => [
      "ocp_gossip_validation_total",
      (l) => l.result === "ignore" && code.test(l.code ?? ""),
    ];
    const sets = await sumNodeMetrics(cluster.nodes, {
      setsNotCurrent: ignoredFor(/SETS_NOT_CURRENT$/),
      unknownSetIgnored: ignoredFor(/UNKNOWN_SET$/),
      held: ["ocp_gossip_set_hold_total", (l) => l.result === "held"],
    });

    const before = tabled.filter(({ slot }) => slot < A);
    const after = tabled.filter(({ slot }) => slot >= A);
    const from = this.registeredFrom.slot;
    const share = (xs) =>
      xs.length ? round(xs.filter(({ slot }) => anchoredAt.has(slot)).length / xs.length, 4) : null;
    const registeredT = seen.get(this.registered.slot);
    const learntSlots =
      registeredT === undefined
        ? []
        : [...this.learnt.values()].map((t) => Math.max(0, t - registeredT) / slotMs);
    const missingAtActivation = cluster.nodes.filter(
      (nd) => !(this.learnt.get(nd.index) <= (activationTime ?? Number.POSITIVE_INFINITY)),
    ).length;
    return {
      rotation_hosts_leaving: plan.leaving.length,
      rotation_hosts_joining: plan.joining.length,
      rotation_lead_slots: plan.leadSlots,
      rotation_refresh_slots: plan.refreshSlots,
      rotation_registered_at_slot_index: this.registeredFrom.index,
      rotation_registration_blocks: Number(this.registered.slot - from),
      rotation_activation_blocks_after_registration: Number(A - this.registered.slot),
      slots_before_activation: before.length,
      slots_after_activation: after.length,
      anchored_share_before_activation: share(before),
      anchored_share_after_activation: share(after),
      // Every slot with a table from the registration on that never got anchored.
      slots_lost_at_rotation: tabled.filter(({ slot }) => slot >= from && !anchoredAt.has(slot)).length,
      certificates_checked: this.certs.size,
      certificates_under_set0_before: under.before.set0,
      certificates_under_set1_after: under.after.set1,
      wrong_set_certificates: wrongSet,
      invalid_certificates: invalid,
      wrong_set_rejections: wrongSetRejections,
      anchor_rejections: rejections,
      leaving_key_signatures_after_activation: leavingSigners,
      joined_keys_signing_after_activation: joinedSigners.size,
      set_learnt_max_slots_after_registration: learntSlots.length ? round(Math.max(...learntSlots), 2) : null,
      nodes_without_new_set_at_activation: missingAtActivation,
      gossip_unknown_set_ignored: sets.unknownSetIgnored,
      gossip_sets_not_current_ignored: sets.setsNotCurrent,
      gossip_held_for_sets: sets.held,
      node_restarts: cluster.nodes.reduce((a, nd) => a + nd.pids.length - 1, 0),
    };
  }
}
