// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOcpAnchor} from "../IOcpAnchor.sol";

/// The integration a rollup copies: a batch names the L1 slot and table digest it
/// consumed, and is finalized only once ocp has anchored that table for the slot.
contract ExampleRollup {
    struct Batch {
        uint64 slot;
        bytes32 tableDigest;
        bool finalized;
    }

    IOcpAnchor public immutable ocp;
    /// keccak256(abi.encode(l1ChainId, tableContract)), docs/spec.md §3.
    bytes32 public immutable stream;
    Batch[] public batches;

    event BatchSubmitted(uint256 indexed id, uint64 slot, bytes32 tableDigest);
    event BatchFinalized(uint256 indexed id);

    error UnknownBatch(uint256 id);
    error AlreadyFinalized(uint256 id);
    /// No certificate for (stream, slot) with this table digest is anchored yet.
    error NotFinal(uint256 id);
    /// Two quorums signed different observations for the slot: stop and escalate.
    error SlotConflicted(uint256 id);

    constructor(IOcpAnchor ocp_, bytes32 stream_) {
        ocp = ocp_;
        stream = stream_;
    }

    function submitBatch(uint64 slot, bytes32 tableDigest) external returns (uint256 id) {
        id = batches.length;
        batches.push(Batch(slot, tableDigest, false));
        emit BatchSubmitted(id, slot, tableDigest);
    }

    function finalizeBatch(uint256 id) external {
        if (id >= batches.length) revert UnknownBatch(id);
        Batch storage b = batches[id];
        if (b.finalized) revert AlreadyFinalized(id);
        if (!ocp.isFinal(stream, b.slot, b.tableDigest)) revert NotFinal(id);
        // isFinal stays true after a conflict; this rollup chooses to halt instead.
        if (ocp.conflicted(stream, b.slot)) revert SlotConflicted(id);
        b.finalized = true;
        emit BatchFinalized(id);
    }
}
