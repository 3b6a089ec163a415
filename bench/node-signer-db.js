// Signer and database costs: a slashing-protected signature (fsync included)
// against a bare BLS sign, and LevelDB batch throughput for attestations.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeDb, SlashingProtection, ValidatorStore } from "@ocp/node";
import { blstBls, observationRoot } from "@ocp/protocol";

const DOMAIN = { chainId: 31337, verifyingContract: new Uint8Array(20).fill(0xaa) };
const STREAM = new Uint8Array(32).fill(0x11);

function obs(slot) {
  return {
    stream: STREAM,
    slot,
    l1BlockNumber: slot,
    l1BlockHash: new Uint8Array(32).fill(2),
    schema: new Uint8Array(32).fill(3),
    tableDigest: new Uint8Array(32).fill(4),
    entryCount: 1,
  };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), "ocp-bench-"));
  const db = new NodeDb({ path: join(dir, "db") });
  await db.start();
  try {
    const sk = blstBls.secretKeyFromBytes(Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : i)));
    const store = new ValidatorStore(
      { verifyAfterSign: false },
      { bls: blstBls, slashingProtection: new SlashingProtection({ db: db.database }) },
    );
    store.addKey(sk);
    const N = 200;
    // Warm up.
    for (let s = 0n; s < 20n; s++) await store.signObservation(0, DOMAIN, obs(s));
    const bare = [];
    const guarded = [];
    for (let i = 0; i < N; i++) {
      const o = obs(1000n + BigInt(i));
      const root = observationRoot(DOMAIN, o);
      let t = performance.now();
      blstBls.sign(sk, root);
      bare.push(performance.now() - t);
      t = performance.now();
      await store.signObservation(0, DOMAIN, o);
      guarded.push(performance.now() - t);
    }

    // Attestation batches of 100 (one slot's votes), not synced.
    const att = (slot, i) => ({
      domain: DOMAIN,
      observation: obs(slot),
      setId: new Uint8Array(32).fill(5),
      verifierIndex: i,
      signature: new Uint8Array(96).fill(6),
    });
    const batches = 50;
    const t0 = performance.now();
    for (let b = 0; b < batches; b++) {
      const ops = [];
      for (let i = 0; i < 100; i++) ops.push(db.attestations.addOp(att(BigInt(b), i)));
      await db.batch(ops);
    }
    const attPerSec = (batches * 100) / ((performance.now() - t0) / 1000);

    for (let s = 0n; s < 1000n; s++) {
      await db.certificates.putBest({
        domain: DOMAIN,
        observation: obs(s),
        setId: new Uint8Array(32).fill(5),
        signers: Uint8Array.of(1),
        aggregateSignature: new Uint8Array(96).fill(6),
      });
    }
    const rangeMs = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await db.certificates.range(STREAM, BigInt(i * 10), 64);
      rangeMs.push(performance.now() - t);
    }

    return {
      "node.signer.bls_sign_ms": +median(bare).toFixed(3),
      "node.signer.protected_sign_ms": +median(guarded).toFixed(3),
      "node.signer.protected_over_bare_ratio": +(median(guarded) / median(bare)).toFixed(2),
      "node.db.attestation_puts_per_s": Math.round(attPerSec),
      "node.db.certificates_range64_ms": +median(rangeMs).toFixed(3),
    };
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
