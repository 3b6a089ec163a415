// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Bls12381} from "../lib/Bls12381.sol";

/// Exposes the on-chain hash-to-G2 and point compression for tests and the gas bench.
contract HashToG2Harness {
    function hashToG2(bytes memory message, bytes memory dst) external view returns (bytes memory out) {
        out = new bytes(256);
        uint256 m;
        uint256 o;
        assembly ("memory-safe") {
            m := add(message, 32)
            o := add(out, 32)
        }
        Bls12381.hashToG2(m, message.length, dst, o);
    }

    /// Gas of hashToG2 for a 32-byte message under the signature DST (measured inside).
    function hashToG2Gas(bytes32 message) external view returns (uint256 used) {
        bytes memory dst = Bls12381.SIG_DST;
        uint256 buf;
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(buf, message)
            mstore(0x40, add(buf, 288))
        }
        uint256 g = gasleft();
        Bls12381.hashToG2(buf, 32, dst, buf + 32);
        used = g - gasleft();
    }

    /// Gas of one 2-pair pairing check, valid inputs: e(g1, h) · e(-g1, h) == 1.
    function pairingGas(bytes calldata h256) external view returns (uint256 used, bool valid) {
        uint256 buf;
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(0x40, add(buf, 768))
            // g1 = -(-g1): same x, y = p - y
            mstore(buf, 0x17f1d3a73197d7942695638c4fa9ac0f)
            mstore(add(buf, 32), 0xc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb)
            mstore(add(buf, 64), 0x08b3f481e3aaa0f1a09e30ed741d8ae4)
            mstore(add(buf, 96), 0xfcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1)
            calldatacopy(add(buf, 128), h256.offset, 256)
            calldatacopy(add(buf, 512), h256.offset, 256)
        }
        uint256 g = gasleft();
        bool wf;
        (wf, valid) = Bls12381.pairingCheck(buf);
        used = g - gasleft();
        valid = valid && wf;
    }

    function compressG1(bytes calldata p128) external pure returns (bytes memory) {
        (bytes16 h, bytes32 l) = Bls12381.compressG1(
            uint256(bytes32(p128[0:32])), uint256(bytes32(p128[32:64])), uint256(bytes32(p128[64:96])),
            uint256(bytes32(p128[96:128]))
        );
        return abi.encodePacked(h, l);
    }
}
