// OcpAnchor gas on a real anvil (EIP-7825 cap on): anchor cost by set size and
// participation, an ECDSA k-of-n baseline in the same run, their crossover, and
// the parts the anchor's gas goes to (hash-to-G2, pairing, keys, storage, calldata).
import { EcdsaQuorumBaseline, HashToG2Harness, OcpAnchor } from "@ocp/contracts";
import { startAnvil } from "@ocp/node/devnet";
import { g1ToEip2537, g2ToEip2537, getBls, observationRoot, toHex } from "@ocp/protocol";
import { createPublicClient, createWalletClient, http, keccak256, serializeSignature } from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { foundry } from "viem/chains";

const DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const CAP_GAS = (1n << 24n) - 1n;
const KEYS_PER_TX = 64;
const PER_CHUNK = 236;
const b32 = (label) => new Uint8Array(Buffer.from(keccak256(Buffer.from(label)).slice(2), "hex"));
const cat = (parts) => toHex(Buffer.concat(parts));

/** Calldata gas of a transaction input (EIP-2028: 16 per nonzero byte, 4 per zero byte). */
function calldataGas(hex) {
  let g = 0;
  for (let i = 2; i < hex.length; i += 2) g += hex.slice(i, i + 2) === "00" ? 4 : 16;
  return g;
}

// Deterministic PRNG for the non-signer positions.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export async function run() {
  const anvil = await startAnvil();
  try {
    const account = privateKeyToAccount(DEV_KEY);
    const transport = http(anvil.rpcUrl);
    const pub = createPublicClient({ chain: foundry, transport });
    const wallet = createWalletClient({ chain: foundry, transport, account });
    const chainId = await pub.getChainId();

    const deploy = async (artifact, args = []) => {
      const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args });
      const address = (await pub.waitForTransactionReceipt({ hash })).contractAddress;
      if (!address) throw new Error("deploy: no contract address");
      return address;
    };
    const send = async (address, abi, functionName, args, gas) => {
      const hash = await wallet.writeContract({ address, abi, functionName, args, gas });
      const r = await pub.waitForTransactionReceipt({ hash });
      if (r.status !== "success") throw new Error(`${functionName} reverted`);
      const tx = await pub.getTransaction({ hash });
      return { gas: Number(r.gasUsed), input: tx.input };
    };

    const anchor = await deploy(OcpAnchor, [account.address, 1n]);
    const harness = await deploy(HashToG2Harness);
    const domain = { chainId, verifyingContract: new Uint8Array(Buffer.from(anchor.slice(2), "hex")) };

    // 1,000 verifier keys, registered once; sets of every size reuse them.
    const bls = getBls();
    const vs = [];
    for (let i = 0; i < 1000; i++) {
      const sk = bls.keygen(b32(`bench-anchor:${i}`));
      const pubkey = bls.publicKeyToBytes(bls.publicKey(sk));
      vs.push({ sk, pk128: g1ToEip2537(pubkey), pop256: g2ToEip2537(bls.popProve(sk)) });
    }
    for (let i = 0; i < vs.length; i += KEYS_PER_TX) {
      const c = vs.slice(i, i + KEYS_PER_TX);
      await send(
        anchor,
        OcpAnchor.abi,
        "registerKeys",
        [cat(c.map((v) => v.pk128)), cat(c.map((v) => v.pop256))],
        CAP_GAS,
      );
    }

    let epoch = 0n;
    let activation = 0n;
    const newSet = async (n) => {
      const e = epoch;
      const act = activation;
      await send(anchor, OcpAnchor.abi, "beginSet", [e, act, 2n, 3n, n]);
      for (let i = 0; i < n; i += PER_CHUNK) {
        const m = vs.slice(i, Math.min(n, i + PER_CHUNK));
        await send(
          anchor,
          OcpAnchor.abi,
          "addSetMembers",
          [cat(m.map((v) => v.pk128)), m.map(() => 1n)],
          CAP_GAS,
        );
      }
      await send(anchor, OcpAnchor.abi, "finalizeSet", []);
      epoch += 1n;
      activation += 1000n;
      return { epoch: e, activation: act, n, nextSlot: act };
    };
    /** Anchors a fresh slot of `set` with ⌈n·pct/100⌉ random signers; returns gas and calldata gas. */
    const anchorGas = async (set, pct, seed = 1) => {
      const n = set.n;
      const k = Math.ceil((n * pct) / 100);
      const order = Array.from({ length: n }, (_, i) => i);
      const r = rng(seed * 7919 + n);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const signers = order.slice(0, k);
      const slot = set.nextSlot++;
      const o = {
        stream: b32("bench-stream"),
        slot: BigInt(slot),
        l1BlockNumber: BigInt(slot),
        l1BlockHash: b32(`block:${slot}`),
        schema: b32("ocp.merkle.v1"),
        tableDigest: b32(`table:${slot}`),
        entryCount: 12,
      };
      const root = observationRoot(domain, o);
      const bits = new Uint8Array((n + 7) >> 3);
      const sigs = signers.map((i) => {
        bits[i >> 3] |= 1 << (i & 7);
        return bls.signatureFromBytes(bls.sign(vs[i].sk, root));
      });
      const sig = g2ToEip2537(bls.signatureToBytes(bls.aggregateSignatures(sigs)));
      const obs = {
        stream: toHex(o.stream),
        slot: o.slot,
        l1BlockNumber: o.l1BlockNumber,
        l1BlockHash: toHex(o.l1BlockHash),
        schema: toHex(o.schema),
        tableDigest: toHex(o.tableDigest),
        entryCount: o.entryCount,
      };
      const res = await send(anchor, OcpAnchor.abi, "anchor", [obs, set.epoch, toHex(bits), toHex(sig)]);
      return { gas: res.gas, calldata: calldataGas(res.input), nonSigners: n - k };
    };

    const out = {};
    const detail = {};
    for (const n of [10, 100, 1000]) {
      const set = await newSet(n);
      await anchorGas(set, 100, 99); // warm-up: first anchor of a set
      for (const pct of n === 1000 ? [67, 90, 95, 100] : [67, 90, 100]) {
        const m = await anchorGas(set, pct);
        out[`anchor.gas.${n}.${pct}`] = m.gas;
        detail[`${n}.${pct}`] = m;
      }
    }

    // ECDSA k-of-n baseline: all s signers sign (100 % participation), threshold ⌈2s/3⌉.
    const ecdsaGas = async (s) => {
      const accts = Array.from({ length: s }, (_, i) => keccak256(Buffer.from(`ecdsa:${i}`)))
        .map((pk) => ({ pk, addr: privateKeyToAccount(pk).address }))
        .sort((a, b) => (BigInt(a.addr) < BigInt(b.addr) ? -1 : 1));
      const base = await deploy(EcdsaQuorumBaseline, [
        accts.map((a) => a.addr),
        BigInt(Math.ceil((2 * s) / 3)),
      ]);
      const o = {
        stream: b32("bench-stream"),
        slot: 1n,
        l1BlockNumber: 1n,
        l1BlockHash: b32("block:1"),
        schema: b32("ocp.merkle.v1"),
        tableDigest: b32("table:1"),
        entryCount: 12,
      };
      const root = observationRoot(
        { chainId, verifyingContract: new Uint8Array(Buffer.from(base.slice(2), "hex")) },
        o,
      );
      const sigs = [];
      for (const a of accts)
        sigs.push(serializeSignature(await sign({ hash: toHex(root), privateKey: a.pk })));
      const obs = {
        ...o,
        stream: toHex(o.stream),
        l1BlockHash: toHex(o.l1BlockHash),
        schema: toHex(o.schema),
        tableDigest: toHex(o.tableDigest),
      };
      const res = await send(base, EcdsaQuorumBaseline.abi, "anchor", [
        obs,
        `0x${sigs.map((x) => x.slice(2)).join("")}`,
      ]);
      return res.gas;
    };
    for (const s of [1, 10, 20, 40, 100]) out[`anchor.ecdsa_gas.${s}`] = await ecdsaGas(s);

    // Crossover: fewest signers s (100 % of an s-member set) with anchor < ECDSA; binary search.
    const blsAt = new Map();
    const blsGas = async (s) => {
      if (!blsAt.has(s)) {
        const set = await newSet(s);
        await anchorGas(set, 100, 98);
        blsAt.set(s, (await anchorGas(set, 100)).gas);
      }
      return blsAt.get(s);
    };
    const ecdsaAt = new Map();
    const ecdsa = async (s) => {
      if (!ecdsaAt.has(s)) ecdsaAt.set(s, out[`anchor.ecdsa_gas.${s}`] ?? (await ecdsaGas(s)));
      return ecdsaAt.get(s);
    };
    let lo = 1;
    let hi = 100;
    if ((await blsGas(hi)) >= (await ecdsa(hi))) throw new Error("no crossover below 100 signers");
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((await blsGas(mid)) < (await ecdsa(mid))) hi = mid;
      else lo = mid + 1;
    }
    out["anchor.ecdsa_crossover_signers"] = lo;
    out[`anchor.gas.${lo}.100`] = await blsGas(lo);
    out[`anchor.ecdsa_gas.${lo}`] = await ecdsa(lo);
    if (lo > 1) {
      out[`anchor.gas.${lo - 1}.100`] = await blsGas(lo - 1);
      out[`anchor.ecdsa_gas.${lo - 1}`] = await ecdsa(lo - 1);
    }

    // Where the gas goes (measured parts).
    const h2g = Number(
      await pub.readContract({
        address: harness,
        abi: HashToG2Harness.abi,
        functionName: "hashToG2Gas",
        args: [toHex(b32("m"))],
      }),
    );
    const hPoint = await pub.readContract({
      address: harness,
      abi: HashToG2Harness.abi,
      functionName: "hashToG2",
      args: [toHex(b32("m")), toHex(Buffer.from("BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"))],
    });
    const [pairGas, pairOk] = await pub.readContract({
      address: harness,
      abi: HashToG2Harness.abi,
      functionName: "pairingGas",
      args: [hPoint],
    });
    if (!pairOk) throw new Error("pairing harness failed");
    out["anchor.parts.hash_to_g2"] = h2g;
    out["anchor.parts.pairing"] = Number(pairGas);
    out["anchor.parts.calldata.100.90"] = detail["100.90"].calldata;
    out["anchor.parts.calldata.1000.95"] = detail["1000.95"].calldata;
    // Per non-signer: slope between 100 % and 90 % at 1,000 verifiers (100 keys read and added).
    out["anchor.parts.per_non_signer"] = Math.round(
      (detail["1000.90"].gas - detail["1000.100"].gas) /
        (detail["1000.90"].nonSigners - detail["1000.100"].nonSigners),
    );
    return out;
  } finally {
    await anvil.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await run());
}
