// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// EEZ L1 structs (docs/spec.md Appendix A, from IEEZ.sol at
// eez-association/sync-rollups-protocol 5c51e02). The schema `ocp.eez.v1`
// pins exactly this layout; field order is the ABI order.

struct StateDelta {
    uint256 rollupId;
    bytes32 currentState;
    bytes32 newState;
    int256 etherDelta;
}

struct L2ToL1Call {
    address targetAddress;
    uint256 value;
    bytes data;
    address sourceAddress;
    uint256 sourceRollupId;
    uint256 revertSpan;
}

struct ExpectedL1ToL2Call {
    bytes32 crossChainCallHash;
    uint256 callCount;
    bytes returnData;
}

struct ExpectedLookup {
    bytes32 crossChainCallHash;
    bytes returnData;
    bool failed;
    uint64 l2ToL1CallNumber;
    uint64 lastL1ToL2CallConsumed;
    uint64 executingLookupIndex;
    L2ToL1Call[] l2ToL1Calls;
    ExpectedL1ToL2Call[] expectedL1ToL2Calls;
    uint256 callCount;
    bytes32 rollingHash;
}

struct ExecutionEntry {
    StateDelta[] stateDeltas;
    bytes32 proxyEntryHash;
    uint256 destinationRollupId;
    L2ToL1Call[] l2ToL1Calls;
    ExpectedL1ToL2Call[] expectedL1ToL2Calls;
    ExpectedLookup[] expectedLookups;
    uint256 callCount;
    bytes returnData;
    bytes32 rollingHash;
}

struct ExpectedStateRootPerRollup {
    uint256 rollupId;
    bytes32 stateRoot;
}

struct LookupCall {
    bytes32 crossChainCallHash;
    uint256 destinationRollupId;
    bytes returnData;
    bool failed;
    L2ToL1Call[] l2ToL1Calls;
    ExpectedL1ToL2Call[] expectedL1ToL2Calls;
    ExpectedLookup[] expectedLookups;
    uint256 callCount;
    bytes32 rollingHash;
    ExpectedStateRootPerRollup[] expectedStateRoots;
}

struct RollupIdWithProofSystems {
    uint256 rollupId;
    uint64[] proofSystemIndex;
}

struct ProofSystemBatchPerVerificationEntries {
    ExecutionEntry[] entries;
    LookupCall[] l1ToL2lookupCalls;
    uint256 transientExecutionEntryCount;
    uint256 transientLookupCallCount;
    address[] proofSystems;
    RollupIdWithProofSystems[] rollupIdsWithProofSystems;
    bytes32 crossProofSystemInteractions;
    uint256[] blobIndices;
    bytes callData;
    bytes[] proofs;
    uint64 blockNumber;
}
