// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// What EEZ calls for proof system k of a batch:
/// `IProofSystem(proofSystems[k]).verify(proofs[k], publicInputsHash_k)`.
interface IProofSystem {
    function verify(bytes calldata proof, bytes32 publicInputsHash) external view returns (bool);
}

/// Test proof system that really checks something: a "proof" is a 65-byte
/// ECDSA signature (r ‖ s ‖ v, v ∈ {27, 28}, low s) by the trusted prover key
/// over the RAW 32-byte `publicInputsHash` (no eth-signed-message prefix: the
/// hash is already a domain-specific digest, never a user-readable message).
///
/// It also stores the verification key per rollup (`vkOf`), standing in for
/// the vk the real EEZ contract folds into publicInputsHash. The prover builds
/// its hash with the vk read from here; changing it (`setVk`) is "the vk
/// changed on L1": proofs made from then on match the new vk, and a node that
/// rebuilds the hash with its pinned (old) vk finds the signature does not
/// verify for its hash, so it abstains.
contract EcdsaProofSystem is IProofSystem {
    error NotOwner();
    error MalformedProof();

    event VkSet(uint256 indexed rollupId, bytes32 vk);
    event SignerSet(address signer);

    // secp256k1 n / 2: signatures with a larger s are the malleable twin.
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    address public immutable owner;
    address public signer;
    mapping(uint256 rollupId => bytes32) public vkOf;

    constructor(address signer_) {
        owner = msg.sender;
        signer = signer_;
        emit SignerSet(signer_);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    function setVk(uint256 rollupId, bytes32 vk) external onlyOwner {
        vkOf[rollupId] = vk;
        emit VkSet(rollupId, vk);
    }

    function setSigner(address signer_) external onlyOwner {
        signer = signer_;
        emit SignerSet(signer_);
    }

    /// A wrongly sized proof reverts (like a real verifier fed garbage); a
    /// well-formed signature by anyone but `signer` returns false.
    function verify(bytes calldata proof, bytes32 publicInputsHash) external view returns (bool) {
        if (proof.length != 65) revert MalformedProof();
        bytes32 r = bytes32(proof[0:32]);
        bytes32 s = bytes32(proof[32:64]);
        uint8 v = uint8(proof[64]);
        if (uint256(s) > HALF_N || (v != 27 && v != 28)) return false;
        address got = ecrecover(publicInputsHash, v, r, s);
        return got != address(0) && got == signer;
    }
}
