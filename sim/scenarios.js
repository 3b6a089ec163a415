// Named presets of `npm run sim`. Delays, jitter and loss are per path (host to
// host, one way); each host's access link gets half of a path's delay and the
// loss that makes a path's loss come out as given (harness/scenario.js makeLinks).
const internet = {
  hosts: 32,
  keysPerNode: 1,
  slotMs: 12_000,
  /** One-way delay of a path, drawn per host: [min, max]. */
  pathDelayMs: [50, 150],
  jitterMs: 10,
  pathLoss: 0.01,
  mbit: 20,
  /** Idle windows: the first right after start-up, the steady one later (harness/scenario.js). */
  idleSeconds: 10,
  idleSteadySeconds: 30,
  // Confirmation (1 block), decision, aggregation and the fallback anchorers (2 slots later).
  settleSlots: 4,
  seed: 1,
};

export const SCENARIOS = {
  baseline: { ...internet, name: "baseline", slots: 16 },
  /** A quarter of the hosts crash (SIGKILL) and come back 1–3 slots later, at random slots. */
  churn: { ...internet, name: "churn", slots: 16, churn: { fraction: 0.25, downSlots: [1, 3] } },
  /** 40 % of the hosts cut off from the rest for 10 slots, then healed. */
  partition: {
    ...internet,
    name: "partition",
    slots: 20,
    settleSlots: 6,
    partition: { fraction: 0.4, atSlot: 4, slots: 10 },
  },
  /** The builder posts its batches but never publishes a commitment: verifiers self-propose. */
  "no-builder": { ...internet, name: "no-builder", slots: 12, builder: false },
  /**
   * At the third slot two anchorers lose their anchor RPC (their nodes keep verifying): the other
   * anchorers' fallback must anchor the slots that were theirs.
   */
  "anchorer-down": {
    ...internet,
    name: "anchorer-down",
    slots: 14,
    anchorersDown: { atSlot: 2, hosts: [2, 3] },
  },
  /**
   * A live set rotation: at slot 2 the owner registers set 1 with `ocp anchor register-set`
   * (three keys leave, the keys of three hosts that have run outside the set join), activating
   * `leadSlots` after its registration; nodes read sets from OcpAnchor every `refreshSlots`
   * and are never restarted. The lead is short so that the run sees both sides of it.
   */
  rotation: {
    ...internet,
    name: "rotation",
    slots: 20,
    rotation: { atSlot: 2, leave: 3, join: 3, leadSlots: 4, refreshSlots: 2 },
  },
  /** CI's short version: 6 hosts, 5 slots of 2 s, with delay, jitter and loss. */
  smoke: {
    ...internet,
    name: "smoke",
    hosts: 6,
    slotMs: 2000,
    slots: 5,
    pathDelayMs: [20, 60],
    jitterMs: 4,
    pathLoss: 0.01,
    idleSeconds: 3,
    idleSteadySeconds: 0,
    settleSlots: 5,
  },
};

/** What `npm run sim` runs with no argument (smoke is CI's, run by name). */
export const DEFAULT_SCENARIOS = [
  "baseline",
  "churn",
  "partition",
  "rotation",
  "no-builder",
  "anchorer-down",
];
