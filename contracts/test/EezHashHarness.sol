// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import "../eez/EezTypes.sol";

/// Test oracle for the `ocp.eez.v1` schema: computes the EEZ hashes with
/// Solidity's own ABI decoder and encoder. The batch is a `memory` parameter,
/// so the full (strict) ABI decoder runs over the whole struct.
contract EezHashHarness {
    error BlobHashesLength();
    error RollupsNotSorted();
    error VksLength();

    function entryHashes(ProofSystemBatchPerVerificationEntries memory batch)
        public
        pure
        returns (bytes32[] memory hashes)
    {
        hashes = new bytes32[](batch.entries.length);
        for (uint256 i = 0; i < batch.entries.length; i++) {
            hashes[i] = keccak256(abi.encode(batch.entries[i]));
        }
    }

    function lookupHashes(ProofSystemBatchPerVerificationEntries memory batch)
        public
        pure
        returns (bytes32[] memory hashes)
    {
        hashes = new bytes32[](batch.l1ToL2lookupCalls.length);
        for (uint256 i = 0; i < batch.l1ToL2lookupCalls.length; i++) {
            hashes[i] = keccak256(abi.encode(batch.l1ToL2lookupCalls[i]));
        }
    }

    /// `blobHashes[i]` stands for `blobhash(batch.blobIndices[i])`.
    function shared(ProofSystemBatchPerVerificationEntries memory batch, bytes32[] memory blobHashes)
        public
        pure
        returns (bytes32)
    {
        if (blobHashes.length != batch.blobIndices.length) revert BlobHashesLength();
        return keccak256(
            abi.encodePacked(
                abi.encode(entryHashes(batch)),
                abi.encode(lookupHashes(batch)),
                abi.encode(blobHashes),
                keccak256(batch.callData),
                batch.crossProofSystemInteractions
            )
        );
    }

    /// publicInputsHash for proof system `k`; `vks[r]` is the verification key of
    /// `batch.rollupIdsWithProofSystems[r]` for proof system k (ignored when the
    /// rollup does not list k). Rollups must be strictly increasing by id.
    function publicInputsHash(
        ProofSystemBatchPerVerificationEntries memory batch,
        bytes32[] memory blobHashes,
        uint64 k,
        bytes32[] memory vks,
        bytes32 blockHash,
        uint256 timestamp
    ) external pure returns (bytes32) {
        RollupIdWithProofSystems[] memory rollups = batch.rollupIdsWithProofSystems;
        if (vks.length != rollups.length) revert VksLength();
        bytes32 acc = bytes32(0);
        for (uint256 r = 0; r < rollups.length; r++) {
            if (r > 0 && rollups[r].rollupId <= rollups[r - 1].rollupId) revert RollupsNotSorted();
            bool listed = false;
            for (uint256 j = 0; j < rollups[r].proofSystemIndex.length; j++) {
                if (rollups[r].proofSystemIndex[j] == k) listed = true;
            }
            if (!listed) continue;
            acc = keccak256(abi.encode(acc, rollups[r].rollupId, vks[r], blockHash, timestamp));
        }
        return keccak256(abi.encodePacked(shared(batch, blobHashes), acc));
    }
}
