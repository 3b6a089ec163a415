// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// Placeholder removed once real contracts land.
contract Noop {}
