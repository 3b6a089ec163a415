// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// BLS12-381 over the EIP-2537 precompiles: canonical-encoding checks, point
/// compression, RFC 9380 hash-to-G2 and the 2-pair pairing check used for BLS.
/// Points are in EIP-2537 form: G1 128 bytes (x, y), G2 256 bytes (x.c0, x.c1,
/// y.c0, y.c1), each Fp as 64 bytes = 16 zero bytes + 48-byte big-endian value.
/// In words: an Fp is (hi, lo) with hi < 2^128 the first word, lo the second.
library Bls12381 {
    // EIP-2537 precompile addresses.
    uint256 internal constant G1ADD = 0x0b;
    uint256 internal constant G2ADD = 0x0d;
    uint256 internal constant PAIRING = 0x0f;
    uint256 internal constant MAP_FP2_TO_G2 = 0x11;
    uint256 internal constant SHA256 = 0x02;
    uint256 internal constant MODEXP = 0x05;

    /// Field modulus p split as (hi 128 bits, lo 256 bits).
    uint256 internal constant P_HI = 0x1a0111ea397fe69a4b1ba7b6434bacd7;
    uint256 internal constant P_LO = 0x64774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab;
    /// (p - 1) / 2: y is "lexicographically largest" (compressed sign flag) iff y > HALF.
    uint256 internal constant HALF_HI = 0x0d0088f51cbff34d258dd3db21a5d66b;
    uint256 internal constant HALF_LO = 0xb23ba5c279c2895fb39869507b587b120f55ffff58a9ffffdcff7fffffffd555;
    /// -G1 generator, EIP-2537 words.
    uint256 internal constant NEG_G1_X_HI = 0x17f1d3a73197d7942695638c4fa9ac0f;
    uint256 internal constant NEG_G1_X_LO = 0xc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb;
    uint256 internal constant NEG_G1_Y_HI = 0x114d1d6855d545a8aa7d76c8cf2e21f2;
    uint256 internal constant NEG_G1_Y_LO = 0x67816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca;

    /// EIP-2537 PAIRING_CHECK price for k pairs is 32600·k + 37700. A call given
    /// only (twice) this much gas burns at most that on a refused point, instead
    /// of 63/64 of the transaction's gas; twice leaves room for a repricing.
    uint256 internal constant PAIRING2_GAS_LIMIT = 2 * (2 * 32600 + 37700);

    bytes internal constant SIG_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
    bytes internal constant POP_DST = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

    /// Canonical Fp: zero padding (hi < 2^128) and value < p.
    function isCanonicalFp(uint256 hi, uint256 lo) internal pure returns (bool) {
        return hi < P_HI || (hi == P_HI && lo < P_LO);
    }

    /// Checks `n` consecutive Fp elements at memory `ptr`. Returns 0 if all are
    /// canonical and not all zero, 1 if one is malformed, 2 if all are zero (infinity).
    function checkFps(uint256 ptr, uint256 n) internal pure returns (uint256 status) {
        uint256 any;
        for (uint256 i = 0; i < n; ++i) {
            uint256 hi;
            uint256 lo;
            assembly ("memory-safe") {
                hi := mload(add(ptr, shl(6, i)))
                lo := mload(add(add(ptr, shl(6, i)), 32))
            }
            if (!isCanonicalFp(hi, lo)) return 1;
            any |= hi | lo;
        }
        return any == 0 ? 2 : 0;
    }

    /// The 48-byte compressed form (ZCash flags) of the G1 point (x, y), not infinity.
    function compressG1(uint256 xHi, uint256 xLo, uint256 yHi, uint256 yLo)
        internal
        pure
        returns (bytes16 hiOut, bytes32 loOut)
    {
        bool largest = yHi > HALF_HI || (yHi == HALF_HI && yLo > HALF_LO);
        // x < p < 2^381 leaves the top three bits free for the flags.
        uint256 flags = largest ? 0xa0 : 0x80;
        hiOut = bytes16(uint128(xHi | (flags << 120)));
        loOut = bytes32(xLo);
    }

    /// Writes -(x, y) of the G1 point at `src` to `dst` (both 128-byte EIP-2537 form).
    /// The point must not be infinity.
    function negateG1(uint256 src, uint256 dst) internal pure {
        assembly ("memory-safe") {
            let yHi := mload(add(src, 64))
            let yLo := mload(add(src, 96))
            mcopy(dst, src, 64)
            mstore(add(dst, 96), sub(P_LO, yLo))
            mstore(add(dst, 64), sub(sub(P_HI, yHi), lt(P_LO, yLo)))
        }
    }

    /// Hash-to-G2 (RFC 9380, BLS12381G2_XMD:SHA-256_SSWU_RO_) of `len` bytes at memory
    /// `msgPtr` under `dst` (≤ 255 bytes); writes the 256-byte point to `out`.
    /// expand_message_xmd with the SHA-256 precompile, each 64-byte chunk reduced mod p
    /// with MODEXP, MAP_FP2_TO_G2 (which clears the cofactor) twice, then G2ADD.
    function hashToG2(uint256 msgPtr, uint256 len, bytes memory dst, uint256 out) internal view {
        assembly ("memory-safe") {
            let ok := 1
            let dstLen := mload(dst)
            let buf := mload(0x40)
            // msg_prime = Z_pad(64) || msg || I2OSP(256, 2) || I2OSP(0, 1) || DST || I2OSP(len(DST), 1)
            mstore(buf, 0)
            mstore(add(buf, 32), 0)
            mcopy(add(buf, 64), msgPtr, len)
            let q := add(add(buf, 64), len)
            mstore(q, shl(232, 0x010000)) // 0x01 0x00 0x00
            mcopy(add(q, 3), add(dst, 32), dstLen)
            mstore8(add(add(q, 3), dstLen), dstLen)
            let primeLen := add(add(68, len), dstLen)
            let b0 := add(buf, and(add(primeLen, 63), not(31)))
            ok := and(ok, staticcall(gas(), SHA256, buf, primeLen, b0, 32))
            // b_i = H((b0 xor b_{i-1}) || I2OSP(i, 1) || DST_prime), b_0 xor "b_0" taken as b0 for i = 1.
            let bi := add(b0, 32)
            mcopy(add(bi, 33), add(dst, 32), dstLen)
            mstore8(add(add(bi, 33), dstLen), dstLen)
            let biLen := add(34, dstLen)
            let uni := add(bi, and(add(biLen, 63), not(31)))
            let prev := 0
            let b0v := mload(b0)
            for { let i := 1 } lt(i, 9) { i := add(i, 1) } {
                mstore(bi, xor(b0v, prev))
                mstore8(add(bi, 32), i)
                let dest := add(uni, shl(5, sub(i, 1)))
                ok := and(ok, staticcall(gas(), SHA256, bi, biLen, dest, 32))
                prev := mload(dest)
            }
            // MODEXP(base = 64-byte chunk, exp = 1, mod = p) = chunk mod p.
            let m := add(uni, 256)
            mstore(m, 64)
            mstore(add(m, 32), 1)
            mstore(add(m, 64), 48)
            mstore8(add(m, 160), 1)
            mstore(add(m, 161), shl(128, P_HI))
            mstore(add(m, 177), P_LO)
            let fp := add(m, 224)
            for { let k := 0 } lt(k, 4) { k := add(k, 1) } {
                mcopy(add(m, 96), add(uni, shl(6, k)), 64)
                mstore(add(fp, shl(6, k)), 0)
                ok := and(ok, staticcall(gas(), MODEXP, m, 209, add(add(fp, shl(6, k)), 16), 48))
            }
            // u0 = (e0, e1), u1 = (e2, e3) as Fp2 c0, c1.
            let pts := add(fp, 256)
            ok := and(ok, staticcall(gas(), MAP_FP2_TO_G2, fp, 128, pts, 256))
            ok := and(ok, staticcall(gas(), MAP_FP2_TO_G2, add(fp, 128), 128, add(pts, 256), 256))
            ok := and(ok, staticcall(gas(), G2ADD, pts, 512, out, 256))
            if iszero(ok) { revert(0, 0) }
        }
    }

    /// e(pk, h) · e(-g1, sig) == 1 over the 768-byte buffer [pk 128][h 256][-g1 128][sig 256];
    /// this writes the -g1 part. Returns (false, _) if the precompile refused an input
    /// (not on the curve or not in the subgroup; it checks both), else (true, equal).
    function pairingCheck(uint256 buf) internal view returns (bool wellFormed, bool valid) {
        assembly ("memory-safe") {
            let g := add(buf, 384)
            mstore(g, NEG_G1_X_HI)
            mstore(add(g, 32), NEG_G1_X_LO)
            mstore(add(g, 64), NEG_G1_Y_HI)
            mstore(add(g, 96), NEG_G1_Y_LO)
            mstore(0, 0)
            wellFormed := staticcall(PAIRING2_GAS_LIMIT, PAIRING, buf, 768, 0, 32)
            valid := and(wellFormed, eq(mload(0), 1))
        }
    }
}
