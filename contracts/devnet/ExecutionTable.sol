// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import "../eez/EezTypes.sol";

/// Devnet stand-in for the EEZ L1 contract: same entry point and event, no
/// proofs or execution. It decodes the whole batch (a `memory` parameter runs
/// Solidity's strict ABI decoder) and counts it.
///
/// Test hook: a batch with `transientExecutionEntryCount == type(uint256).max`
/// reverts with `RejectedForTest()`, so tests can produce failed calls (which a
/// table excludes) with otherwise valid calldata.
contract ExecutionTable {
    event BatchPosted(uint256 indexed rollupCount);

    error RejectedForTest();

    uint256 public batchCount;
    uint256 public entryCount;

    function postAndVerifyBatch(ProofSystemBatchPerVerificationEntries memory batch) external {
        if (batch.transientExecutionEntryCount == type(uint256).max) revert RejectedForTest();
        batchCount += 1;
        entryCount += batch.entries.length;
        // Like EEZ: the event carries the number of rollups in the batch.
        emit BatchPosted(batch.rollupIdsWithProofSystems.length);
    }
}
