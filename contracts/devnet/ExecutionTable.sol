// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import "../eez/EezTypes.sol";

/// Devnet stand-in for the EEZ L1 contract: same entry point, same `calldata`
/// parameter and the same hashing as EEZ (docs/spec.md §4.1), no proofs or
/// execution. It computes on chain the entry hashes, lookup hashes and the
/// `shared` batch digest EEZ feeds into its proof systems, returns them and
/// emits them, so tests compare ocp's digest with the contract's own. Being a
/// `calldata` parameter, the batch is read by Solidity's lazy calldata
/// accessors, exactly as EEZ reads it: hostile encodings EEZ accepts are
/// accepted here too.
///
/// Test hook: a batch with `transientExecutionEntryCount == type(uint256).max`
/// reverts with `RejectedForTest()`, so tests can produce failed calls (which a
/// table excludes) with otherwise valid calldata.
contract ExecutionTable {
    event BatchPosted(uint256 indexed rollupCount);
    /// The values EEZ computes for the batch; `shared` is what enters tableDigest.
    event BatchDigest(
        bytes32 indexed shared, bytes32[] entryHashes, bytes32[] lookupHashes, bytes32[] blobHashes
    );

    error RejectedForTest();

    uint256 public batchCount;
    uint256 public entryCount;

    function postAndVerifyBatch(ProofSystemBatchPerVerificationEntries calldata batch)
        external
        returns (bytes32 shared, bytes32[] memory entryHashes, bytes32[] memory lookupHashes)
    {
        if (batch.transientExecutionEntryCount == type(uint256).max) revert RejectedForTest();
        // Same reads, same order as EEZ: blobs, entries, lookups, callData, interactions.
        bytes32[] memory blobHashes = new bytes32[](batch.blobIndices.length);
        for (uint256 i = 0; i < batch.blobIndices.length; i++) {
            blobHashes[i] = blobhash(batch.blobIndices[i]);
        }
        entryHashes = new bytes32[](batch.entries.length);
        for (uint256 i = 0; i < batch.entries.length; i++) {
            entryHashes[i] = keccak256(abi.encode(batch.entries[i]));
        }
        lookupHashes = new bytes32[](batch.l1ToL2lookupCalls.length);
        for (uint256 i = 0; i < batch.l1ToL2lookupCalls.length; i++) {
            lookupHashes[i] = keccak256(abi.encode(batch.l1ToL2lookupCalls[i]));
        }
        shared = keccak256(
            abi.encodePacked(
                abi.encode(entryHashes),
                abi.encode(lookupHashes),
                abi.encode(blobHashes),
                keccak256(batch.callData),
                batch.crossProofSystemInteractions
            )
        );
        batchCount += 1;
        entryCount += entryHashes.length;
        emit BatchDigest(shared, entryHashes, lookupHashes, blobHashes);
        // Like EEZ: the event carries the number of rollups in the batch.
        emit BatchPosted(batch.rollupIdsWithProofSystems.length);
    }
}
