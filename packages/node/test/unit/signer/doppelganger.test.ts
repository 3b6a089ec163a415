import { blstBls, ProtocolError } from "@ocp/protocol";
import { beforeEach, describe, expect, it } from "vitest";
import { DoppelgangerGuard, DoppelgangerState } from "../../../src/signer/doppelganger.js";
import { DoppelgangerErrorCode } from "../../../src/signer/errors.js";
import { SlashingProtection } from "../../../src/signer/slashingProtection.js";
import { ValidatorStore } from "../../../src/signer/validatorStore.js";
import { DOMAIN, observation, secret, useTempDb } from "./helpers.js";

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
}

describe("doppelganger guard", () => {
  const tmp = useTempDb("dg");
  let slot: bigint | null;
  const clock = { currentSlot: () => slot };
  beforeEach(() => {
    slot = 100n;
  });

  function setup(windowSlots = 2) {
    const guard = new DoppelgangerGuard({ windowSlots }, { clock });
    const store = new ValidatorStore(
      {},
      { bls: blstBls, slashingProtection: new SlashingProtection({ db: tmp.db }), doppelganger: guard },
    );
    const a = store.addKey(blstBls.secretKeyFromBytes(secret(0)));
    const b = store.addKey(blstBls.secretKeyFromBytes(secret(1)));
    return { guard, store, a, b };
  }

  it("refuses during the window, signs after it, and records nothing while pending", async () => {
    const { guard, store, a } = setup(2);
    expect(await codeOf(store.signObservation(0, DOMAIN, observation(100n)))).toBe(
      DoppelgangerErrorCode.PENDING,
    );
    slot = 102n;
    expect(guard.state(a)).toBe(DoppelgangerState.pending);
    expect(await codeOf(store.signObservation(0, DOMAIN, observation(102n)))).toBe(
      DoppelgangerErrorCode.PENDING,
    );
    slot = 103n;
    expect(guard.state(a)).toBe(DoppelgangerState.safe);
    // Slot 102 was refused before slashing protection, so a different root there is still signable.
    await store.signObservation(0, DOMAIN, observation(102n, 7));
    // After the window our own attestations are observed too; they must not disable the key.
    guard.observe(a, 103n);
    await store.signObservation(0, DOMAIN, observation(103n));
  });

  it("disables only the key seen signing inside the window and reports it", async () => {
    const { guard, store, a, b } = setup(3);
    const reports: bigint[] = [];
    guard.on("detected", (e) => reports.push(e.slot));
    // Attestations for the start slot may be our own previous run's: ignored.
    guard.observe(a, 100n);
    expect(guard.state(a)).toBe(DoppelgangerState.pending);
    slot = 101n;
    guard.observe(a, 101n);
    expect(reports).toEqual([101n]);
    slot = 110n;
    expect(guard.state(a)).toBe(DoppelgangerState.detected);
    expect(await codeOf(store.signObservation(a, DOMAIN, observation(110n)))).toBe(
      DoppelgangerErrorCode.DETECTED,
    );
    expect(guard.state(b)).toBe(DoppelgangerState.safe);
    await store.signObservation(b, DOMAIN, observation(110n));
  });

  it("waits for the clock when started before it knows a slot", async () => {
    slot = null;
    const { guard, a } = setup(1);
    expect(guard.state(a)).toBe(DoppelgangerState.pending);
    slot = 50n;
    expect(guard.state(a)).toBe(DoppelgangerState.pending);
    slot = 52n;
    expect(guard.state(a)).toBe(DoppelgangerState.safe);
  });

  it("can be disabled", () => {
    const guard = new DoppelgangerGuard({ enabled: false }, { clock });
    const pk = new Uint8Array(48).fill(1);
    guard.register(pk);
    expect(() => guard.assertCanSign(pk)).not.toThrow();
    guard.observe(pk, 101n);
    expect(guard.state(pk)).toBe(DoppelgangerState.safe);
  });
});
