// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// A test double, not part of Guild's interface; it calls back into its target on purpose.
// solhint-disable use-natspec, avoid-low-level-calls

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test token that calls back into a target during every transfer, with calldata set by the test.
/// Records whether the callback succeeded so tests can see reentrancy was refused.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public callbackData;
    bool public attempted;
    bool public callbackSucceeded;
    bytes public callbackRevertData;

    constructor() ERC20("Reentrant Token", "REE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata data) external {
        target = target_;
        callbackData = data;
        attempted = false;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (target != address(0) && !attempted && from != address(0) && to != address(0)) {
            attempted = true;
            (bool ok, bytes memory ret) = target.call(callbackData);
            callbackSucceeded = ok;
            callbackRevertData = ret;
        }
    }
}
