// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// What verifiers BLS-sign (docs/spec.md §3); its EIP-712 digest is the observationRoot.
struct Observation {
    bytes32 stream;
    uint64 slot;
    uint64 l1BlockNumber;
    bytes32 l1BlockHash;
    bytes32 schema;
    bytes32 tableDigest;
    uint32 entryCount;
}

/// Result of `anchor`: a fresh anchor, a replay of the anchored observation (no-op),
/// or a valid certificate for a different observation (recorded as a conflict).
enum AnchorOutcome {
    Anchored,
    AlreadyAnchored,
    Conflicted
}

/// OcpAnchor: records BLS-certified observations per (stream, slot) for rollups
/// to check with `isFinal` (docs/spec.md §7).
interface IOcpAnchor {
    // --- events ---
    event Anchored(
        bytes32 indexed stream,
        uint64 indexed slot,
        bytes32 observationRoot,
        bytes32 tableDigest,
        uint256 signedWeight,
        bytes signers
    );
    event Conflicted(bytes32 indexed stream, uint64 indexed slot, bytes32 anchoredRoot, bytes32 conflictingRoot);
    /// OCP v1.0.0 record event; digest = observationRoot.
    event Recorded(bytes32 indexed digest, address indexed recorder);
    /// `pubkey` is the 48-byte compressed key, `pop` the 256-byte EIP-2537 proof of possession.
    event KeyRegistered(uint32 indexed index, bytes pubkey, bytes pop);
    /// One chunk of a set being built; `pubkeys` are 48-byte compressed keys, in set order.
    event SetMembersAdded(uint64 indexed epoch, uint32 firstIndex, bytes pubkeys, uint64[] weights);
    event SetRegistered(
        uint64 indexed epoch,
        bytes32 setId,
        uint64 activationSlot,
        uint64 quorumNumerator,
        uint64 quorumDenominator,
        uint32 size,
        uint256 totalWeight
    );
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event SlotClockSet(uint64 genesisTime, uint64 secondsPerSlot, uint64 activationLeadSlots);

    // --- errors: anchor ---
    /// The pairing check failed: the signature is not the signers' signature over observationRoot.
    error BadSignature();
    /// The signature or the signers' aggregate key is the point at infinity.
    error InfinityPoint();
    /// Signed weight is not strictly above the quorum fraction of the total weight.
    error BelowQuorum(uint256 signedWeight, uint256 totalWeight);
    error UnknownSet(uint64 epoch);
    /// The set exists but does not govern the observation's slot.
    error WrongSetForSlot(uint64 epoch, uint64 slot);
    error BitfieldLength(uint256 got, uint256 expected);
    error BitfieldHighBits();
    /// A point encoding is not canonical EIP-2537 (padding, coordinate >= p, wrong length),
    /// or the precompile refused it (not on the curve, not in the subgroup).
    error MalformedPoint();
    error L1BlockHashMismatch(uint64 l1BlockNumber, bytes32 expected, bytes32 got);
    error L1BlockNotInPast(uint64 l1BlockNumber);

    // --- errors: registry and sets ---
    error NotOwner();
    error KeyAlreadyRegistered(uint256 index);
    error KeyNegationRegistered(uint256 index);
    error InvalidProofOfPossession(uint256 index);
    error KeyNotRegistered(uint256 index);
    error DuplicateKeyInSet(uint256 index);
    error InvalidQuorum(uint64 numerator, uint64 denominator);
    error ZeroWeight(uint256 index);
    error InvalidSetSize(uint256 size);
    error EpochOutOfOrder(uint64 epoch, uint64 expected);
    error ActivationNotIncreasing(uint64 activationSlot, uint64 previous);
    /// A set after the first must activate at least `activationLeadSlots` after the current slot.
    error ActivationTooSoon(uint64 activationSlot, uint64 earliest);
    error ZeroActivationLead();
    error ZeroAddress();
    error NotPendingOwner();
    error NoPendingSet();
    error SetIncomplete(uint256 count, uint256 size);
    error TooManyMembers(uint256 count, uint256 size);
    error LengthMismatch();

    // --- anchoring ---
    /// Verifies a certificate and records it. `signers` is the docs/spec.md §3 bitfield over the
    /// set of `epoch`; `signature` the aggregate G2 signature in the EIP-2537 256-byte form.
    /// No key data is passed: non-signer keys are read from the set's code chunks.
    function anchor(Observation calldata o, uint64 epoch, bytes calldata signers, bytes calldata signature)
        external
        returns (AnchorOutcome);

    // --- registry and sets (owner) ---
    /// `pubkeys`: n × 128-byte EIP-2537 G1 keys; `pops`: n × 256-byte EIP-2537 G2 proofs over
    /// the 48-byte compressed key (DST BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_).
    function registerKeys(bytes calldata pubkeys, bytes calldata pops) external;
    function beginSet(uint64 epoch, uint64 activationSlot, uint64 numerator, uint64 denominator, uint32 size)
        external;
    /// Appends up to `MAX_MEMBERS_PER_CALL` registered keys (128-byte form) with weights.
    function addSetMembers(bytes calldata pubkeys, uint64[] calldata weights) external;
    function finalizeSet() external returns (bytes32 setId);
    /// Starts a two-step transfer; the zero address is refused. `newOwner` completes it.
    function transferOwnership(address newOwner) external;
    function acceptOwnership() external;
    /// The slot clock of the activation lead: beacon time (`secondsPerSlot` > 0) or, with 0,
    /// this chain's block number; `leadSlots` ≥ 1.
    function setSlotClock(uint64 genesisTime, uint64 secondsPerSlot, uint64 leadSlots) external;

    // --- views ---
    function isFinal(bytes32 stream, uint64 slot, bytes32 tableDigest) external view returns (bool);
    /// The anchored observationRoot, or zero when nothing is anchored for (stream, slot).
    function anchored(bytes32 stream, uint64 slot) external view returns (bytes32 observationRoot);
    function conflicted(bytes32 stream, uint64 slot) external view returns (bool);
    /// Zero when the epoch has no finalized set.
    function setIdOf(uint64 epoch) external view returns (bytes32);
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
        );
    /// The member's key (128-byte EIP-2537 form) and weight.
    function verifierAt(uint64 epoch, uint256 index) external view returns (bytes memory pubkey, uint64 weight);
    function governingEpoch(uint64 slot) external view returns (bool found, uint64 epoch);
    function latestEpoch() external view returns (bool exists, uint64 epoch);
    function observationRoot(Observation calldata o) external view returns (bytes32);
    function domainSeparator() external view returns (bytes32);
    function keyCount() external view returns (uint32);
    /// Registry index of a key given in 128-byte form, or -1 when it is not registered.
    function keyIndex(bytes calldata pubkey) external view returns (int256);
    function owner() external view returns (address);
    function pendingOwner() external view returns (address);
    function currentSlot() external view returns (uint64);
    function activationLeadSlots() external view returns (uint64);
    function l1ChainId() external view returns (uint256);
}
