// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// A test double, not part of Guild's interface; it re-enters, burns gas and bubbles reverts on purpose.
// solhint-disable use-natspec, avoid-low-level-calls, no-inline-assembly, no-complex-fallback, no-empty-blocks

/// @notice Test account contract that acts on the escrow or evaluator as client, provider or staker,
/// and on receiving native value either accepts, reverts, or calls back into a target (reentrancy).
contract ReceiverMock {
    enum Mode {
        Accept,
        Revert,
        Reenter,
        BurnGas
    }

    Mode public mode;
    address public target;
    bytes public callbackData;
    bool public callbackSucceeded;
    bytes public callbackRevertData;
    uint256 public received;

    error ReceiverRefused();

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function arm(address target_, bytes calldata data) external {
        target = target_;
        callbackData = data;
        mode = Mode.Reenter;
    }

    /// @notice Forwards a call (with value) as this contract, bubbling reverts.
    function execute(address to, uint256 value, bytes calldata data) external payable returns (bytes memory ret) {
        bool ok;
        (ok, ret) = to.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    receive() external payable {
        if (mode == Mode.Revert) revert ReceiverRefused();
        if (mode == Mode.BurnGas) {
            while (true) {}
        }
        if (mode == Mode.Reenter) {
            (bool ok, bytes memory ret) = target.call(callbackData);
            callbackSucceeded = ok;
            callbackRevertData = ret;
        }
        received += msg.value;
    }
}
