// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import "../eez/EezTypes.sol";
import "./ExecutionTable.sol";

/// Devnet orchestrator: posts batches to the table contract through internal
/// calls, as contracts do on EEZ, so observers must find them with a call tracer.
contract Orchestrator {
    ExecutionTable public immutable table;

    event InnerCallFailed(uint256 index);

    constructor(ExecutionTable table_) {
        table = table_;
    }

    function post(ProofSystemBatchPerVerificationEntries calldata batch) external {
        table.postAndVerifyBatch(batch);
    }

    /// Two batches in one transaction, in this order.
    function postTwo(
        ProofSystemBatchPerVerificationEntries calldata first,
        ProofSystemBatchPerVerificationEntries calldata second
    ) external {
        table.postAndVerifyBatch(first);
        table.postAndVerifyBatch(second);
    }

    /// Posts each batch inside try/catch: a reverting one is skipped (its call
    /// fails, the transaction succeeds).
    function postTolerant(ProofSystemBatchPerVerificationEntries[] calldata batches) external {
        for (uint256 i = 0; i < batches.length; i++) {
            try table.postAndVerifyBatch(batches[i]) {}
            catch {
                emit InnerCallFailed(i);
            }
        }
    }
}
