// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// A benchmark fixture, not part of Guild's interface.
// solhint-disable use-natspec

/// @notice Benchmark-only: emits events with the same signatures as JobEscrow's money events, in bulk,
/// so a history of 100,000 events costs a hundred transactions to build.
contract LogEmitter {
    event JobFunded(uint256 indexed jobId, address indexed client, address indexed token, uint256 amount);
    event PaymentReleased(uint256 indexed jobId, address indexed provider, address indexed token, uint256 amount);

    function emitBatch(uint256 firstJobId, uint256 count) external {
        for (uint256 i = 0; i < count; ++i) {
            if (i % 2 == 0) emit JobFunded(firstJobId + i, msg.sender, address(0), 1e15 + i);
            else emit PaymentReleased(firstJobId + i, msg.sender, address(0), 1e15 + i);
        }
    }
}
