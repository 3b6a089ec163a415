// The node dashboard: a live view of one node over its public API only
// (server-sent events plus read routes). Plain DOM, no dependencies.

const MAX_SLOTS = 24;
/** Slots read back from the head at page load (the API allows up to 64). */
const BACKFILL_SCAN = 64;
const $ = (id) => document.getElementById(id);

/** slot (decimal string) → what this page has learned about it. */
const slots = new Map();
const evidence = [];
let identity = null;
let sets = [];
let ownKeys = new Set();
let streamId = null;
let renderQueued = false;

function slotState(slot) {
  let s = slots.get(slot);
  if (!s) {
    s = {
      slot,
      firstSeenMs: Date.now(),
      tableSeen: false,
      decision: null,
      signers: new Set(),
      certSigners: null,
      signedWeight: null,
      certAtMs: null,
      anchored: false,
      equivocators: new Set(),
      viewPending: false,
      backfilled: false,
    };
    slots.set(slot, s);
    // Bounded: the oldest slots leave the page.
    const keys = sortedSlots();
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_SLOTS * 2))) slots.delete(k);
  }
  return s;
}

function sortedSlots() {
  return [...slots.keys()].sort((a, b) => {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** The set governing `slot`: the greatest activation slot not after it. */
function setFor(slot) {
  let best = null;
  for (const s of sets) if (BigInt(s.activationSlot) <= BigInt(slot)) best = s;
  return best ?? sets[0] ?? null;
}

function bitfieldIndices(hex) {
  const out = new Set();
  const bytes = hex.slice(2);
  for (let i = 0; i < bytes.length / 2; i++) {
    const b = Number.parseInt(bytes.slice(i * 2, i * 2 + 2), 16);
    for (let j = 0; j < 8; j++) if ((b >> j) & 1) out.add(i * 8 + j);
  }
  return out;
}

async function getJson(path) {
  const r = await fetch(path, { headers: { accept: "application/json" } });
  if (!r.ok) return null;
  return r.json();
}

// ------------------------------------------------------------------ events

function onCommitment(c) {
  const s = slotState(c.commitment.observation.slot);
  s.tableSeen = true;
  queue();
}

function onAttestation(a) {
  const s = slotState(a.observation.slot);
  s.tableSeen = true;
  s.signers.add(a.verifierIndex);
  queue();
}

function onCertificate(ev) {
  const cert = ev.certificate;
  const s = slotState(cert.observation.slot);
  s.tableSeen = true;
  const weight = BigInt(ev.signedWeight);
  if (s.signedWeight === null || weight > s.signedWeight) {
    s.signedWeight = weight;
    s.certSigners = bitfieldIndices(cert.signers);
  }
  s.certAtMs ??= Date.now();
  // The decision and anchoring come from the slot's read route.
  refreshSlot(s.slot, 300);
  queue();
}

function onAnchored(ev) {
  const s = slotState(ev.slot);
  if (ev.outcome === "anchored" || ev.outcome === "already-anchored" || ev.outcome === "skipped") {
    s.anchored = true;
  }
  queue();
}

function onEvidence(e) {
  evidence.unshift(e);
  if (evidence.length > 50) evidence.pop();
  if (e.kind === "verifier") {
    const s = slotState(e.slot);
    s.equivocators.add(e.evidence.a.verifierIndex);
  }
  queue();
}

function connectEvents() {
  const es = new EventSource("/v1/events");
  const on = (topic, fn) =>
    es.addEventListener(topic, (m) => {
      fn(JSON.parse(m.data));
    });
  on("commitment", onCommitment);
  on("attestation", onAttestation);
  on("certificate", onCertificate);
  on("anchored", onAnchored);
  on("evidence", onEvidence);
  es.onopen = () => {
    $("stream-state").textContent = "live";
  };
  es.onerror = () => {
    // EventSource reconnects by itself.
    $("stream-state").textContent = "reconnecting";
  };
}

// ------------------------------------------------------------------ polling

async function refreshSlot(slot, delayMs = 0) {
  const s = slots.get(slot);
  if (!s || s.viewPending || !streamId) return;
  s.viewPending = true;
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  try {
    const v = await getJson(`/v1/streams/${streamId}/slots/${slot}`);
    if (v) applyView(s, v);
  } finally {
    s.viewPending = false;
  }
}

/** What a slot view (the slot read route) tells about a slot. */
function applyView(s, v) {
  if (v.commitments.length > 0 || v.observation || v.certificate) s.tableSeen = true;
  if (v.observation) s.decision = v.observation.decision;
  if (v.certificate) {
    const signers = bitfieldIndices(v.certificate.signers);
    const set = setFor(s.slot);
    let w = 0n;
    if (set) for (const i of signers) w += BigInt(set.verifiers[i]?.weight ?? "0");
    if (s.signedWeight === null || w > s.signedWeight) {
      s.signedWeight = w;
      s.certSigners = signers;
    }
    // A slot read at page load has no arrival time here: no latency.
    if (!s.backfilled) s.certAtMs ??= Date.now();
  }
  if (v.anchor?.anchored) s.anchored = true;
  queue();
}

/**
 * Fills the page with the recent past on load, so a page opened late shows the
 * same timeline and heatmap as one open all along (participation from the
 * certificates' signers; no latency, the page did not see them arrive).
 */
async function backfill() {
  if (!streamId) return;
  const views =
    (await getJson(`/v1/streams/${streamId}/slots?limit=${BACKFILL_SCAN}`).catch(() => null)) ?? [];
  for (const v of views.slice(0, MAX_SLOTS)) {
    if (slots.has(v.slot)) continue;
    const s = slotState(v.slot);
    s.backfilled = true;
    applyView(s, v);
  }
  queue();
}

async function pollHealth() {
  const h = await getJson("/v1/node/health").catch(() => null);
  if (h) {
    $("head").textContent = h.headSlot ?? "–";
    $("certified").textContent = h.lastCertifiedSlot ?? "–";
    $("peer-count").textContent = String(h.peers);
    $("backlog").textContent = h.anchorBacklog === null ? "not an anchorer" : String(h.anchorBacklog);
  }
  // Slots still changing: decision unknown, or certified but not anchored yet.
  for (const k of sortedSlots().slice(-MAX_SLOTS)) {
    const s = slots.get(k);
    if (s.tableSeen && (s.decision === null || (s.certSigners !== null && !s.anchored))) refreshSlot(k);
  }
}

async function pollPeers() {
  const peers = await getJson("/v1/node/peers").catch(() => null);
  if (!peers) return;
  const body = $("peers").tBodies[0];
  body.replaceChildren(
    ...peers
      .sort((a, b) => b.score - a.score)
      .map((p) =>
        row([
          code(short(p.peerId, 8, 6)),
          text(p.direction),
          text(p.score.toFixed(1)),
          text(p.status?.headSlot ?? "–"),
          text(p.status?.latestCertifiedSlot ?? "–"),
        ]),
      ),
  );
}

// ------------------------------------------------------------------ render

function queue() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function text(t) {
  return document.createTextNode(String(t));
}

function code(t) {
  const c = document.createElement("code");
  c.textContent = t;
  return c;
}

function short(hex, head = 6, tail = 4) {
  return hex.length > head + tail + 1 ? `${hex.slice(0, head)}…${hex.slice(-tail)}` : hex;
}

function row(cells, attrs = {}) {
  const tr = document.createElement("tr");
  for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
  for (const c of cells) {
    const td = document.createElement("td");
    if (c instanceof Node) td.append(c);
    else {
      td.className = c.className ?? "";
      for (const [k, v] of Object.entries(c.attrs ?? {})) td.setAttribute(k, v);
      td.append(...c.children);
    }
    tr.append(td);
  }
  return tr;
}

function statusOf(s) {
  if (s.anchored) return "anchored";
  if (s.certSigners !== null) return "certified";
  return "seen";
}

function weightBar(s) {
  const set = setFor(s.slot);
  const span = document.createElement("span");
  if (!set || s.signedWeight === null) {
    span.textContent = "–";
    return span;
  }
  const total = Number(set.totalWeight);
  const signed = Number(s.signedWeight);
  const quorum = (total * set.quorum.numerator) / set.quorum.denominator;
  const bar = document.createElement("span");
  bar.className = "bar";
  bar.title = `signed ${signed} of ${total}; quorum needs more than ${quorum.toFixed(2)}`;
  const fill = document.createElement("i");
  fill.style.width = `${Math.min(100, (signed / total) * 100)}%`;
  const mark = document.createElement("b");
  mark.style.left = `${(quorum / total) * 100}%`;
  bar.append(fill, mark);
  span.append(bar, text(`${signed}/${total}`));
  return span;
}

function renderTimeline() {
  const body = $("timeline").tBodies[0];
  const keys = sortedSlots()
    .filter((k) => slots.get(k).tableSeen)
    .slice(-MAX_SLOTS)
    .reverse();
  body.replaceChildren(
    ...keys.map((k) => {
      const s = slots.get(k);
      const status = statusOf(s);
      const latency = s.certAtMs === null ? "–" : `${Math.max(0, s.certAtMs - s.firstSeenMs)} ms`;
      return row(
        [
          text(k),
          text(s.tableSeen ? "yes" : "–"),
          text(s.decision ?? "–"),
          weightBar(s),
          { className: "status", attrs: { "data-status": status }, children: [text(status)] },
          text(latency),
        ],
        { "data-slot": k },
      );
    }),
  );
}

function cellState(s, i) {
  if (s.equivocators.has(i)) return "equivocated";
  if (s.signers.has(i) || s.certSigners?.has(i)) return "signed";
  if (s.certSigners !== null) return "missed";
  return "pending";
}

function renderHeatmap() {
  const grid = $("heatmap");
  const keys = sortedSlots()
    .filter((k) => slots.get(k).tableSeen)
    .slice(-MAX_SLOTS);
  const set = keys.length > 0 ? setFor(keys[keys.length - 1]) : sets[sets.length - 1];
  if (!set) {
    grid.replaceChildren(text("no verifier set"));
    return;
  }
  grid.style.gridTemplateColumns = `max-content repeat(${keys.length}, 14px)`;
  const nodes = [document.createElement("span")];
  for (const k of keys) {
    const h = document.createElement("span");
    h.className = "slot";
    h.textContent = k;
    nodes.push(h);
  }
  set.verifiers.forEach((v, i) => {
    const label = document.createElement("span");
    const own = ownKeys.has(v.pubkey);
    label.className = own ? "label own" : "label";
    label.textContent = `#${i} ${short(v.pubkey)}${own ? " (this node)" : ""}`;
    label.title = v.pubkey;
    nodes.push(label);
    for (const k of keys) {
      const state = cellState(slots.get(k), i);
      const c = document.createElement("span");
      c.className = `cell ${state}`;
      c.dataset.verifier = String(i);
      c.dataset.slot = k;
      c.dataset.state = state;
      c.title = `verifier #${i}, slot ${k}: ${state}`;
      nodes.push(c);
    }
  });
  grid.replaceChildren(...nodes);
}

function renderEvidence() {
  const list = $("evidence");
  if (evidence.length === 0) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "none";
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(
    ...evidence.map((e) => {
      const li = document.createElement("li");
      const who =
        e.kind === "verifier"
          ? `verifier #${e.evidence.a.verifierIndex}`
          : `builder ${short(e.evidence.a.commitment.builder)}`;
      li.textContent = `slot ${e.slot}: ${who} signed two observations`;
      return li;
    }),
  );
}

function render() {
  renderTimeline();
  renderHeatmap();
  renderEvidence();
}

// ------------------------------------------------------------------ start

async function main() {
  identity = await getJson("/v1/node/identity");
  sets = (await getJson("/v1/sets")) ?? [];
  if (identity) {
    $("network").textContent = `${identity.network} · ${short(identity.peerId, 8, 6)}`;
    ownKeys = new Set(identity.verifierPubkeys);
    streamId = identity.streams[0]?.id ?? null;
  }
  for (const e of (await getJson("/v1/evidence?limit=50")) ?? []) onEvidence(e);
  connectEvents();
  await backfill();
  // Health and peers in one cycle, so the header's peer count and the peers table agree.
  const poll = () => Promise.all([pollHealth(), pollPeers()]);
  await poll();
  setInterval(poll, 2000);
  render();
}

main();
