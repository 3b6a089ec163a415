// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AnchorOutcome, IOcpAnchor, Observation} from "./IOcpAnchor.sol";
import {Bls12381} from "./lib/Bls12381.sol";
import {CodeStore} from "./lib/CodeStore.sol";

/// Verifies ocp certificates (BLS12-381 over EIP-2537) and records the first
/// certified observation per (stream, slot); docs/spec.md §7.
///
/// Storage layout choices (gas, see contracts/GAS.md):
/// - Key registry: one word per key, keyed by keccak(x) so a key's negation
///   (same x) is found; value = high 224 bits of keccak(x, y) | (index + 1).
/// - A set is code: member chunks of 236 entries (x 48 B, y 48 B, weight 8 B)
///   and a header (setId, aggregate key, total weight, size, quorum, chunk
///   addresses). `anchor` starts from the aggregate key and subtracts the
///   non-signers, reading each with one EXTCODECOPY.
/// Subgroup membership: registered keys and signatures pass through
/// PAIRING_CHECK, which refuses points outside G1/G2's prime-order subgroup;
/// sums of registered keys (G1ADD, which does not check) stay in the subgroup;
/// MAP_FP2_TO_G2 clears the cofactor of the hashed message.
contract OcpAnchor is IOcpAnchor {
    /// 236 × 104 B + 1 STOP byte ≤ EIP-170's 24,576 B.
    uint256 public constant MEMBERS_PER_CHUNK = 236;
    uint256 private constant ENTRY_BYTES = 104;
    uint256 public constant MAX_SET_SIZE = 4096;
    /// EIP-2935 history contract and its serve window.
    address private constant HISTORY = 0x0000F90827F1C53a10cb7A02335B175320002935;
    uint256 private constant HISTORY_WINDOW = 8191;
    /// A new set activates at least this many slots ahead unless the owner sets another lead:
    /// every node refreshes its sets well within it (docs/spec.md §3, default refresh 32 slots).
    uint64 public constant DEFAULT_ACTIVATION_LEAD = 64;

    // Set header offsets (bytes, within the header's data).
    uint256 private constant H_SET_ID = 0;
    uint256 private constant H_AGG = 32;
    uint256 private constant H_TOTAL = 160;
    uint256 private constant H_SIZE = 192;
    uint256 private constant H_NUM = 224;
    uint256 private constant H_DEN = 256;
    uint256 private constant H_NCHUNKS = 288;
    uint256 private constant H_CHUNKS = 320;

    /// byte(lowbit mod 11) = bit index of a one-bit byte value (1..128 are distinct mod 11).
    uint256 private constant BIT_INDEX = 0x0000010002040007030605000000000000000000000000000000000000000000;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant OBSERVATION_TYPEHASH = keccak256(
        "Observation(bytes32 stream,uint64 slot,uint64 l1BlockNumber,bytes32 l1BlockHash,bytes32 schema,bytes32 tableDigest,uint32 entryCount)"
    );

    struct Record {
        bytes32 root;
        bytes32 tableDigest;
    }

    struct PendingSet {
        uint64 epoch;
        uint64 activationSlot;
        uint64 numerator;
        uint64 denominator;
        uint32 size;
        uint32 count;
        bool open;
        uint256 nonce;
        uint256 totalWeight;
        uint256[4] aggregate;
        address[] chunks;
    }

    uint256 public immutable l1ChainId;
    uint256 private immutable _deployChainId;
    bytes32 private immutable _deployDomainSeparator;

    address public owner;
    /// The owner named by `transferOwnership`, until it calls `acceptOwnership`.
    address public pendingOwner;
    uint32 public keyCount;
    /// Slot clock for the activation lead: slot = (timestamp − genesis) / secondsPerSlot,
    /// or this chain's block number when secondsPerSlot is 0 (the anchor chain is the L1
    /// in block-number mode, as on a devnet).
    uint64 public slotGenesisTime;
    uint64 public slotSeconds;
    uint64 public activationLeadSlots = DEFAULT_ACTIVATION_LEAD;
    mapping(bytes32 xKey => uint256) private _keys;

    /// epoch → header address | activationSlot << 160.
    mapping(uint64 epoch => uint256) private _sets;
    bool private _hasSets;
    uint64 private _firstEpoch;
    uint64 private _latestEpoch;
    PendingSet private _pending;
    mapping(uint256 nonce => mapping(uint256 word => uint256)) private _members;

    mapping(bytes32 recordKey => Record) private _records;
    mapping(bytes32 recordKey => bool) private _conflicted;

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// `l1ChainId_`: the chain whose blocks observations name; when it is this chain,
    /// `anchor` checks l1BlockHash against block history.
    constructor(address owner_, uint256 l1ChainId_) {
        if (owner_ == address(0)) revert ZeroAddress();
        owner = owner_;
        l1ChainId = l1ChainId_;
        _deployChainId = block.chainid;
        _deployDomainSeparator = _buildDomainSeparator();
        emit OwnershipTransferred(address(0), owner_);
    }

    // ------------------------------------------------------------------ anchoring

    function anchor(Observation calldata o, uint64 epoch, bytes calldata signers, bytes calldata signature)
        external
        returns (AnchorOutcome)
    {
        bytes32 root = _observationRoot(o);
        bytes32 rkey = _recordKey(o.stream, o.slot);
        bytes32 current = _records[rkey].root;
        // The anchored observation again: nothing to change, so nothing to verify.
        if (current == root) return AnchorOutcome.AlreadyAnchored;

        address header = _governingHeader(epoch, o.slot);
        _checkL1Block(o);
        uint256 signedWeight = _verify(header, signers, signature, root);

        if (current == bytes32(0)) {
            _records[rkey] = Record(root, o.tableDigest);
            emit Anchored(o.stream, o.slot, root, o.tableDigest, signedWeight, signers);
            emit Recorded(root, msg.sender);
            return AnchorOutcome.Anchored;
        }
        // A second quorum signed something else: evidence of equivocation, revokes nothing.
        _conflicted[rkey] = true;
        emit Conflicted(o.stream, o.slot, current, root);
        return AnchorOutcome.Conflicted;
    }

    function _governingHeader(uint64 epoch, uint64 slot) private view returns (address) {
        uint256 ref = _sets[epoch];
        // [REJECT] the set must exist
        if (ref == 0) revert UnknownSet(epoch);
        // [REJECT] the set must govern the slot: activation ≤ slot < next activation
        if (slot < uint64(ref >> 160)) revert WrongSetForSlot(epoch, slot);
        if (epoch != type(uint64).max) {
            uint256 next = _sets[epoch + 1];
            if (next != 0 && slot >= uint64(next >> 160)) revert WrongSetForSlot(epoch, slot);
        }
        return address(uint160(ref));
    }

    function _checkL1Block(Observation calldata o) private view {
        if (block.chainid != l1ChainId) return;
        uint64 bn = o.l1BlockNumber;
        // [REJECT] on the L1 itself, the observed block must exist
        if (bn >= block.number) revert L1BlockNotInPast(bn);
        uint256 age = block.number - bn;
        bytes32 h;
        if (age <= 256) {
            h = blockhash(bn);
        } else if (age <= HISTORY_WINDOW) {
            (bool ok, bytes memory ret) = HISTORY.staticcall(abi.encode(uint256(bn)));
            if (ok && ret.length == 32) h = abi.decode(ret, (bytes32));
        }
        // Outside the window (or no history contract) there is nothing to compare.
        if (h != bytes32(0) && h != o.l1BlockHash) revert L1BlockHashMismatch(bn, h, o.l1BlockHash);
    }

    /// Checks the certificate against the set in `header`; returns the signed weight.
    function _verify(address header, bytes calldata signers, bytes calldata signature, bytes32 root)
        private
        view
        returns (uint256 signedWeight)
    {
        uint256 hsize = CodeStore.size(header);
        uint256 hdr;
        uint256 pb; // pairing input [aggPk 128][H(m) 256][-g1 128][sig 256]
        uint256 ga; // G1ADD input [acc 128][key 128]
        assembly ("memory-safe") {
            hdr := mload(0x40)
            pb := add(hdr, and(add(hsize, 31), not(31)))
            ga := add(pb, 768)
            mstore(0x40, add(ga, 256))
        }
        CodeStore.copy(header, 0, hsize, hdr);
        uint256 n;
        uint256 total;
        uint256 num;
        uint256 den;
        assembly ("memory-safe") {
            n := mload(add(hdr, H_SIZE))
            total := mload(add(hdr, H_TOTAL))
            num := mload(add(hdr, H_NUM))
            den := mload(add(hdr, H_DEN))
        }
        // [REJECT] bitfield is exactly ceil(n/8) bytes, unused high bits zero
        uint256 expectedLen = (n + 7) >> 3;
        if (signers.length != expectedLen) revert BitfieldLength(signers.length, expectedLen);
        uint256 rem = n & 7;
        if (rem != 0 && (uint8(signers[expectedLen - 1]) >> rem) != 0) revert BitfieldHighBits();

        // [REJECT] signature is a canonical, non-infinity EIP-2537 G2 encoding
        if (signature.length != 256) revert MalformedPoint();
        assembly ("memory-safe") {
            calldatacopy(add(pb, 512), signature.offset, 256)
        }
        uint256 st = Bls12381.checkFps(pb + 512, 4);
        if (st == 1) revert MalformedPoint();
        if (st == 2) revert InfinityPoint();

        (uint256 missingWeight, uint256 missingCount) = _sumNonSigners(hdr, rem, signers, ga);
        signedWeight = total - missingWeight;
        // [REJECT] strict weighted quorum: signed·den > total·num
        if (signedWeight * den <= total * num) revert BelowQuorum(signedWeight, total);

        bool accInfinity;
        assembly ("memory-safe") {
            accInfinity := iszero(or(or(mload(ga), mload(add(ga, 32))), or(mload(add(ga, 64)), mload(add(ga, 96)))))
        }
        if (missingCount == 0 || accInfinity) {
            assembly ("memory-safe") {
                mcopy(pb, add(hdr, H_AGG), 128)
            }
        } else {
            // aggregate key of the signers = set aggregate − Σ non-signers
            Bls12381.negateG1(ga, ga + 128);
            assembly ("memory-safe") {
                mcopy(ga, add(hdr, H_AGG), 128)
                if iszero(staticcall(gas(), 0x0b, ga, 256, pb, 128)) { revert(0, 0) }
            }
        }
        bool keyInfinity;
        assembly ("memory-safe") {
            keyInfinity := iszero(or(or(mload(pb), mload(add(pb, 32))), or(mload(add(pb, 64)), mload(add(pb, 96)))))
            mstore(ga, root)
        }
        // [REJECT] the signers' aggregate key is not infinity
        if (keyInfinity) revert InfinityPoint();
        Bls12381.hashToG2(ga, 32, Bls12381.SIG_DST, pb + 128);
        (bool wellFormed, bool valid) = Bls12381.pairingCheck(pb);
        // [REJECT] signature on the curve and in G2's subgroup (checked by the precompile)
        if (!wellFormed) revert MalformedPoint();
        // [REJECT] signature verifies against the signers' aggregate key
        if (!valid) revert BadSignature();
    }

    /// Sums (G1ADD) the keys and weights of the verifiers whose bit is clear; the sum
    /// lands in ga[0..128]. Entries are read straight from the set's code chunks.
    function _sumNonSigners(uint256 hdr, uint256 rem, bytes calldata signers, uint256 ga)
        private
        view
        returns (uint256 missingWeight, uint256 missingCount)
    {
        assembly ("memory-safe") {
            mstore(ga, 0)
            mstore(add(ga, 32), 0)
            mstore(add(ga, 64), 0)
            mstore(add(ga, 96), 0)
            mstore(add(ga, 128), 0)
            let len := signers.length
            let chunks := add(hdr, H_CHUNKS)
            for { let ws := 0 } lt(ws, len) { ws := add(ws, 32) } {
                let w := calldataload(add(signers.offset, ws))
                // 256 signers at once; bytes past the end are only read when all real ones are 0xff.
                if iszero(not(w)) { continue }
                let end := sub(len, ws)
                if gt(end, 32) { end := 32 }
                for { let j := 0 } lt(j, end) { j := add(j, 1) } {
                    let z := and(not(byte(j, w)), 0xff)
                    if iszero(z) { continue }
                    let bi := add(ws, j)
                    if and(eq(bi, sub(len, 1)), gt(rem, 0)) { z := and(z, sub(shl(rem, 1), 1)) }
                    for {} z {} {
                        let low := and(z, sub(0, z))
                        z := xor(z, low)
                        let idx := add(shl(3, bi), byte(mod(low, 11), BIT_INDEX))
                        let chunk := mload(add(chunks, shl(5, div(idx, MEMBERS_PER_CHUNK))))
                        // entry → [x at ga+144][y at ga+192][weight at ga+240]
                        extcodecopy(chunk, add(ga, 144), add(1, mul(mod(idx, MEMBERS_PER_CHUNK), ENTRY_BYTES)), 104)
                        missingWeight := add(missingWeight, shr(192, mload(add(ga, 240))))
                        // move y to its EIP-2537 slot and zero its padding
                        mcopy(add(ga, 208), add(ga, 192), 48)
                        mstore(add(ga, 176), and(mload(add(ga, 176)), shl(128, not(0))))
                        if iszero(staticcall(gas(), 0x0b, ga, 256, ga, 128)) { revert(0, 0) }
                        missingCount := add(missingCount, 1)
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ key registry

    function registerKeys(bytes calldata pubkeys, bytes calldata pops) external onlyOwner {
        uint256 k = pubkeys.length >> 7;
        if (k == 0 || pubkeys.length != k << 7 || pops.length != k << 8) revert LengthMismatch();
        uint256 buf; // [pk 128][H 256][-g1 128][pop 256][compressed pk 48]
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(0x40, add(buf, 832))
        }
        uint32 next = keyCount;
        bytes memory popDst = Bls12381.POP_DST;
        for (uint256 i = 0; i < k; ++i) {
            uint256 xHi;
            uint256 xLo;
            uint256 yHi;
            uint256 yLo;
            bytes32 xKey;
            bytes32 pointHash;
            assembly ("memory-safe") {
                calldatacopy(buf, add(pubkeys.offset, shl(7, i)), 128)
                calldatacopy(add(buf, 512), add(pops.offset, shl(8, i)), 256)
                xHi := mload(buf)
                xLo := mload(add(buf, 32))
                yHi := mload(add(buf, 64))
                yLo := mload(add(buf, 96))
                xKey := keccak256(buf, 64)
                pointHash := keccak256(buf, 128)
            }
            // [REJECT] canonical, non-infinity key and proof
            uint256 st = Bls12381.checkFps(buf, 2);
            if (st == 1) revert MalformedPoint();
            if (st == 2) revert InfinityPoint();
            st = Bls12381.checkFps(buf + 512, 4);
            if (st == 1) revert MalformedPoint();
            if (st == 2) revert InfinityPoint();
            // [REJECT] a key registers once; its negation (same x) never
            uint256 v = _keys[xKey];
            if (v != 0) {
                if (v >> 32 == uint256(pointHash) >> 32) revert KeyAlreadyRegistered(uint32(v) - 1);
                revert KeyNegationRegistered(uint32(v) - 1);
            }
            (bytes16 cHi, bytes32 cLo) = Bls12381.compressG1(xHi, xLo, yHi, yLo);
            assembly ("memory-safe") {
                mstore(add(buf, 768), cHi)
                mstore(add(buf, 784), cLo)
            }
            Bls12381.hashToG2(buf + 768, 48, popDst, buf + 128);
            (bool wellFormed, bool valid) = Bls12381.pairingCheck(buf);
            // [REJECT] key in G1 and proof in G2 (precompile subgroup checks)
            if (!wellFormed) revert MalformedPoint();
            // [REJECT] proof of possession verifies
            if (!valid) revert InvalidProofOfPossession(i);
            _keys[xKey] = ((uint256(pointHash) >> 32) << 32) | (uint256(next) + 1);
            emit KeyRegistered(next, abi.encodePacked(cHi, cLo), pops[i << 8:(i + 1) << 8]);
            ++next;
        }
        keyCount = next;
    }

    // ------------------------------------------------------------------ sets

    function beginSet(uint64 epoch, uint64 activationSlot, uint64 numerator, uint64 denominator, uint32 size)
        external
        onlyOwner
    {
        // quorum ≥ 2/3 and reachable: 3·num ≥ 2·den, num < den
        if (denominator == 0 || numerator >= denominator || uint256(numerator) * 3 < uint256(denominator) * 2) {
            revert InvalidQuorum(numerator, denominator);
        }
        if (size == 0 || size > MAX_SET_SIZE) revert InvalidSetSize(size);
        if (_hasSets) {
            if (_latestEpoch == type(uint64).max || epoch != _latestEpoch + 1) {
                revert EpochOutOfOrder(epoch, _latestEpoch + 1);
            }
            uint64 prev = uint64(_sets[_latestEpoch] >> 160);
            if (activationSlot <= prev) revert ActivationNotIncreasing(activationSlot, prev);
            _checkActivationLead(activationSlot);
        }
        PendingSet storage p = _pending;
        p.epoch = epoch;
        p.activationSlot = activationSlot;
        p.numerator = numerator;
        p.denominator = denominator;
        p.size = size;
        p.count = 0;
        p.open = true;
        // A fresh nonce gives a fresh duplicate bitmap, so abandoned attempts leave no trace.
        p.nonce += 1;
        p.totalWeight = 0;
        delete p.aggregate;
        delete p.chunks;
    }

    function addSetMembers(bytes calldata pubkeys, uint64[] calldata weights) external onlyOwner {
        PendingSet storage p = _pending;
        if (!p.open) revert NoPendingSet();
        uint256 k = weights.length;
        if (pubkeys.length != k << 7 || k == 0 || k > MEMBERS_PER_CHUNK) revert LengthMismatch();
        uint256 count = p.count;
        uint256 size = p.size;
        if (count + k > size) revert TooManyMembers(count + k, size);
        // Chunks are full except the last, so member i lives in chunk i / 236.
        if (k != MEMBERS_PER_CHUNK && count + k != size) revert LengthMismatch();

        bytes memory data = new bytes(k * ENTRY_BYTES + 32);
        bytes memory compressed = new bytes(k * 48 + 32);
        uint256 ga; // [aggregate 128][key 128]
        assembly ("memory-safe") {
            mstore(data, mul(k, ENTRY_BYTES))
            mstore(compressed, mul(k, 48))
            ga := mload(0x40)
            mstore(0x40, add(ga, 256))
        }
        uint256[4] memory agg = p.aggregate;
        assembly ("memory-safe") {
            mcopy(ga, agg, 128)
        }
        uint256 nonce = p.nonce;
        uint256 total = p.totalWeight;
        for (uint256 i = 0; i < k; ++i) {
            uint256 xHi;
            uint256 xLo;
            uint256 yHi;
            uint256 yLo;
            bytes32 xKey;
            bytes32 pointHash;
            assembly ("memory-safe") {
                calldatacopy(add(ga, 128), add(pubkeys.offset, shl(7, i)), 128)
                xHi := mload(add(ga, 128))
                xLo := mload(add(ga, 160))
                yHi := mload(add(ga, 192))
                yLo := mload(add(ga, 224))
                xKey := keccak256(add(ga, 128), 64)
                pointHash := keccak256(add(ga, 128), 128)
            }
            // [REJECT] members are registered keys (exact point, not the negation)
            uint256 v = _keys[xKey];
            if (v == 0 || v >> 32 != uint256(pointHash) >> 32) revert KeyNotRegistered(count + i);
            uint256 idx = uint32(v) - 1;
            // [REJECT] no key twice in a set
            uint256 word = _members[nonce][idx >> 8];
            uint256 bit = 1 << (idx & 255);
            if (word & bit != 0) revert DuplicateKeyInSet(count + i);
            _members[nonce][idx >> 8] = word | bit;
            uint64 w = weights[i];
            if (w == 0) revert ZeroWeight(count + i);
            total += w;
            (bytes16 cHi, bytes32 cLo) = Bls12381.compressG1(xHi, xLo, yHi, yLo);
            assembly ("memory-safe") {
                let e := add(add(data, 32), mul(i, ENTRY_BYTES))
                mstore(e, shl(128, xHi))
                mstore(add(e, 16), xLo)
                mstore(add(e, 48), shl(128, yHi))
                mstore(add(e, 64), yLo)
                mstore(add(e, 96), shl(192, w))
                let c := add(add(compressed, 32), mul(i, 48))
                mstore(c, cHi)
                mstore(add(c, 16), cLo)
                if iszero(staticcall(gas(), 0x0b, ga, 256, ga, 128)) { revert(0, 0) }
            }
        }
        assembly ("memory-safe") {
            mcopy(agg, ga, 128)
        }
        p.aggregate = agg;
        p.totalWeight = total;
        p.count = uint32(count + k);
        p.chunks.push(CodeStore.write(data));
        emit SetMembersAdded(p.epoch, uint32(count), compressed, weights);
    }

    function finalizeSet() external onlyOwner returns (bytes32 setId) {
        PendingSet storage p = _pending;
        if (!p.open) revert NoPendingSet();
        uint256 n = p.size;
        if (p.count != n) revert SetIncomplete(p.count, n);
        uint256[4] memory agg = p.aggregate;
        // [REJECT] the set's aggregate key is not infinity
        if (agg[0] | agg[1] | agg[2] | agg[3] == 0) revert InfinityPoint();

        // keysHash over the 48-byte compressed keys, rebuilt from the chunks.
        address[] memory chunks = p.chunks;
        bytes memory keys = new bytes(n * 48 + 32);
        uint64[] memory weights = new uint64[](n);
        bytes memory chunkBuf = new bytes(MEMBERS_PER_CHUNK * ENTRY_BYTES);
        uint256 j;
        for (uint256 c = 0; c < chunks.length; ++c) {
            uint256 len = CodeStore.size(chunks[c]);
            uint256 base;
            assembly ("memory-safe") {
                base := add(chunkBuf, 32)
            }
            CodeStore.copy(chunks[c], 0, len, base);
            for (uint256 e = 0; e < len / ENTRY_BYTES; ++e) {
                uint256 xHi;
                uint256 xLo;
                uint256 yHi;
                uint256 yLo;
                uint256 w;
                assembly ("memory-safe") {
                    let q := add(base, mul(e, ENTRY_BYTES))
                    xHi := shr(128, mload(q))
                    xLo := mload(add(q, 16))
                    yHi := shr(128, mload(add(q, 48)))
                    yLo := mload(add(q, 64))
                    w := shr(192, mload(add(q, 96)))
                }
                (bytes16 cHi, bytes32 cLo) = Bls12381.compressG1(xHi, xLo, yHi, yLo);
                assembly ("memory-safe") {
                    let d := add(add(keys, 32), mul(j, 48))
                    mstore(d, cHi)
                    mstore(add(d, 16), cLo)
                }
                weights[j] = uint64(w);
                ++j;
            }
        }
        bytes32 keysHash;
        assembly ("memory-safe") {
            keysHash := keccak256(add(keys, 32), mul(n, 48))
        }
        uint64 epoch = p.epoch;
        uint64 num = p.numerator;
        uint64 den = p.denominator;
        setId = keccak256(abi.encode(epoch, keysHash, weights, num, den));

        bytes memory header = abi.encodePacked(
            setId, agg, p.totalWeight, n, uint256(num), uint256(den), chunks.length, _padAddresses(chunks)
        );
        address h = CodeStore.write(header);
        uint64 activation = p.activationSlot;
        // Checked again here: the set becomes visible to nodes only now.
        if (_hasSets) _checkActivationLead(activation);
        _sets[epoch] = uint256(uint160(h)) | (uint256(activation) << 160);
        if (!_hasSets) {
            _hasSets = true;
            _firstEpoch = epoch;
        }
        _latestEpoch = epoch;
        p.open = false;
        emit SetRegistered(epoch, setId, activation, num, den, uint32(n), p.totalWeight);
    }

    function _padAddresses(address[] memory a) private pure returns (uint256[] memory out) {
        out = new uint256[](a.length);
        for (uint256 i = 0; i < a.length; ++i) {
            out[i] = uint256(uint160(a[i]));
        }
    }

    /// [REJECT] a set after the first must activate at least `activationLeadSlots` ahead, so
    /// that no node has signed a slot it will govern (the first set has nothing before it).
    function _checkActivationLead(uint64 activationSlot) private view {
        uint256 earliest = uint256(currentSlot()) + activationLeadSlots;
        if (activationSlot < earliest) revert ActivationTooSoon(activationSlot, uint64(earliest));
    }

    function currentSlot() public view returns (uint64) {
        if (slotSeconds == 0) return uint64(block.number);
        if (block.timestamp < slotGenesisTime) return 0;
        return uint64((block.timestamp - slotGenesisTime) / slotSeconds);
    }

    function setSlotClock(uint64 genesisTime, uint64 secondsPerSlot, uint64 leadSlots) external onlyOwner {
        if (leadSlots == 0) revert ZeroActivationLead();
        slotGenesisTime = genesisTime;
        slotSeconds = secondsPerSlot;
        activationLeadSlots = leadSlots;
        emit SlotClockSet(genesisTime, secondsPerSlot, leadSlots);
    }

    /// Two steps: the new owner must accept, so a mistyped address cannot take the registry.
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(owner, newOwner);
    }

    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotPendingOwner();
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }

    // ------------------------------------------------------------------ views

    function isFinal(bytes32 stream, uint64 slot, bytes32 tableDigest) external view returns (bool) {
        Record storage r = _records[_recordKey(stream, slot)];
        return r.root != bytes32(0) && r.tableDigest == tableDigest;
    }

    function anchored(bytes32 stream, uint64 slot) external view returns (bytes32) {
        return _records[_recordKey(stream, slot)].root;
    }

    function conflicted(bytes32 stream, uint64 slot) external view returns (bool) {
        return _conflicted[_recordKey(stream, slot)];
    }

    function setIdOf(uint64 epoch) external view returns (bytes32 id) {
        uint256 ref = _sets[epoch];
        if (ref == 0) return bytes32(0);
        uint256 buf;
        assembly ("memory-safe") {
            buf := mload(0x40)
        }
        CodeStore.copy(address(uint160(ref)), H_SET_ID, 32, buf);
        assembly ("memory-safe") {
            id := mload(buf)
        }
    }

    function verifierSet(uint64 epoch)
        external
        view
        returns (
            bytes32 setId,
            uint64 activationSlot,
            uint32 size,
            uint256 totalWeight,
            uint64 quorumNumerator,
            uint64 quorumDenominator,
            bytes memory aggregateKey
        )
    {
        uint256 ref = _sets[epoch];
        if (ref == 0) revert UnknownSet(epoch);
        bytes memory h = _header(ref);
        aggregateKey = new bytes(128);
        uint256 n;
        uint256 num;
        uint256 den;
        assembly ("memory-safe") {
            let d := add(h, 32)
            setId := mload(add(d, H_SET_ID))
            mcopy(add(aggregateKey, 32), add(d, H_AGG), 128)
            totalWeight := mload(add(d, H_TOTAL))
            n := mload(add(d, H_SIZE))
            num := mload(add(d, H_NUM))
            den := mload(add(d, H_DEN))
        }
        activationSlot = uint64(ref >> 160);
        size = uint32(n);
        quorumNumerator = uint64(num);
        quorumDenominator = uint64(den);
    }

    function verifierAt(uint64 epoch, uint256 index) external view returns (bytes memory pubkey, uint64 weight) {
        uint256 ref = _sets[epoch];
        if (ref == 0) revert UnknownSet(epoch);
        bytes memory h = _header(ref);
        uint256 n;
        address chunk;
        assembly ("memory-safe") {
            let d := add(h, 32)
            n := mload(add(d, H_SIZE))
        }
        if (index >= n) revert InvalidSetSize(index);
        assembly ("memory-safe") {
            chunk := mload(add(add(add(h, 32), H_CHUNKS), shl(5, div(index, MEMBERS_PER_CHUNK))))
        }
        pubkey = new bytes(128);
        uint256 buf;
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(0x40, add(buf, 128))
        }
        CodeStore.copy(chunk, (index % MEMBERS_PER_CHUNK) * ENTRY_BYTES, ENTRY_BYTES, buf);
        assembly ("memory-safe") {
            let d := add(pubkey, 32)
            mstore(d, shr(128, mload(buf)))
            mstore(add(d, 32), mload(add(buf, 16)))
            mstore(add(d, 64), shr(128, mload(add(buf, 48))))
            mstore(add(d, 96), mload(add(buf, 64)))
            weight := shr(192, mload(add(buf, 96)))
        }
    }

    function governingEpoch(uint64 slot) external view returns (bool found, uint64 epoch) {
        if (!_hasSets) return (false, 0);
        for (uint64 e = _latestEpoch;; --e) {
            if (uint64(_sets[e] >> 160) <= slot) return (true, e);
            if (e == _firstEpoch) return (false, 0);
        }
    }

    function latestEpoch() external view returns (bool exists, uint64 epoch) {
        return (_hasSets, _latestEpoch);
    }

    function observationRoot(Observation calldata o) external view returns (bytes32) {
        return _observationRoot(o);
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator();
    }

    function keyIndex(bytes calldata pubkey) external view returns (int256) {
        if (pubkey.length != 128) revert MalformedPoint();
        bytes32 xKey = keccak256(pubkey[0:64]);
        bytes32 pointHash = keccak256(pubkey);
        uint256 v = _keys[xKey];
        if (v == 0 || v >> 32 != uint256(pointHash) >> 32) return -1;
        return int256(uint256(uint32(v) - 1));
    }

    // ------------------------------------------------------------------ internals

    function _header(uint256 ref) private view returns (bytes memory h) {
        address a = address(uint160(ref));
        uint256 len = CodeStore.size(a);
        h = new bytes(len);
        uint256 d;
        assembly ("memory-safe") {
            d := add(h, 32)
        }
        CodeStore.copy(a, 0, len, d);
    }

    function _recordKey(bytes32 stream, uint64 slot) private pure returns (bytes32 k) {
        assembly ("memory-safe") {
            mstore(0, stream)
            mstore(32, slot)
            k := keccak256(0, 64)
        }
    }

    function _observationRoot(Observation calldata o) private view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                OBSERVATION_TYPEHASH,
                o.stream,
                o.slot,
                o.l1BlockNumber,
                o.l1BlockHash,
                o.schema,
                o.tableDigest,
                o.entryCount
            )
        );
        return keccak256(abi.encodePacked(hex"1901", _domainSeparator(), structHash));
    }

    function _domainSeparator() private view returns (bytes32) {
        return block.chainid == _deployChainId ? _deployDomainSeparator : _buildDomainSeparator();
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("ocp"), keccak256("1"), block.chainid, address(this)));
    }
}
