// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Observation} from "../IOcpAnchor.sol";

/// Gas baseline: the same anchoring as OcpAnchor (EIP-712 observationRoot, first
/// certificate wins, same storage and events) but checked the way multisig
/// verifiers do today: k-of-n secp256k1 signatures, one ecrecover each, signers
/// in ascending address order (no duplicates), membership from a storage mapping.
contract EcdsaQuorumBaseline {
    bytes32 private constant OBSERVATION_TYPEHASH = keccak256(
        "Observation(bytes32 stream,uint64 slot,uint64 l1BlockNumber,bytes32 l1BlockHash,bytes32 schema,bytes32 tableDigest,uint32 entryCount)"
    );
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    struct Record {
        bytes32 root;
        bytes32 tableDigest;
    }

    mapping(address => bool) public isSigner;
    uint256 public immutable threshold;
    bytes32 private immutable _domainSeparator;
    mapping(bytes32 => Record) private _records;
    mapping(bytes32 => bool) private _conflicted;

    event Anchored(
        bytes32 indexed stream,
        uint64 indexed slot,
        bytes32 observationRoot,
        bytes32 tableDigest,
        uint256 signedWeight,
        bytes signers
    );
    event Conflicted(bytes32 indexed stream, uint64 indexed slot, bytes32 anchoredRoot, bytes32 conflictingRoot);
    event Recorded(bytes32 indexed digest, address indexed recorder);

    error BadSignature(uint256 index);
    error NotSignerOrUnordered(uint256 index);
    error BelowThreshold(uint256 count, uint256 threshold);

    constructor(address[] memory signers, uint256 threshold_) {
        for (uint256 i = 0; i < signers.length; ++i) {
            isSigner[signers[i]] = true;
        }
        threshold = threshold_;
        _domainSeparator =
            keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("ocp"), keccak256("1"), block.chainid, address(this)));
    }

    /// `signatures`: 65-byte r‖s‖v each, ordered by ascending signer address.
    function anchor(Observation calldata o, bytes calldata signatures) external returns (uint8) {
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
        bytes32 root = keccak256(abi.encodePacked(hex"1901", _domainSeparator, structHash));
        bytes32 rkey = keccak256(abi.encode(o.stream, o.slot));
        bytes32 current = _records[rkey].root;
        if (current == root) return 1;

        uint256 count = signatures.length / 65;
        address last;
        for (uint256 i = 0; i < count; ++i) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                let p := add(signatures.offset, mul(i, 65))
                r := calldataload(p)
                s := calldataload(add(p, 32))
                v := byte(0, calldataload(add(p, 64)))
            }
            if (uint256(s) > HALF_N) revert BadSignature(i);
            address a = ecrecover(root, v, r, s);
            if (a == address(0)) revert BadSignature(i);
            if (a <= last || !isSigner[a]) revert NotSignerOrUnordered(i);
            last = a;
        }
        if (count < threshold) revert BelowThreshold(count, threshold);

        if (current == bytes32(0)) {
            _records[rkey] = Record(root, o.tableDigest);
            emit Anchored(o.stream, o.slot, root, o.tableDigest, count, "");
            emit Recorded(root, msg.sender);
            return 0;
        }
        _conflicted[rkey] = true;
        emit Conflicted(o.stream, o.slot, current, root);
        return 2;
    }
}
