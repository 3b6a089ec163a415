// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// Data kept as contract code (read with EXTCODECOPY: 2,600 gas cold, then
/// 3 gas per word) instead of storage (2,100 gas per cold word). The runtime
/// code is a STOP byte followed by the data, so calling it does nothing.
library CodeStore {
    /// EIP-170 limit minus the STOP prefix.
    uint256 internal constant MAX_DATA = 24_575;

    error CodeStoreTooLarge(uint256 size);
    error CodeStoreDeployFailed();

    /// Deploys `data` as code; `data` must be followed in memory by nothing we need
    /// (the init header is written in front of it in a fresh buffer).
    function write(bytes memory data) internal returns (address pointer) {
        uint256 n = data.length;
        if (n > MAX_DATA) revert CodeStoreTooLarge(n);
        // Init code: PUSH2 len, DUP1, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 0, RETURN; runtime = 0x00 || data.
        bytes memory init = abi.encodePacked(hex"61", uint16(n + 1), hex"80600c6000396000f3", hex"00", data);
        assembly ("memory-safe") {
            pointer := create(0, add(init, 32), mload(init))
        }
        if (pointer == address(0)) revert CodeStoreDeployFailed();
    }

    /// Copies `len` data bytes from `offset` of `pointer`'s data to memory `dst`.
    function copy(address pointer, uint256 offset, uint256 len, uint256 dst) internal view {
        assembly ("memory-safe") {
            extcodecopy(pointer, dst, add(offset, 1), len)
        }
    }

    function size(address pointer) internal view returns (uint256 n) {
        assembly ("memory-safe") {
            n := extcodesize(pointer)
            if n { n := sub(n, 1) }
        }
    }
}
