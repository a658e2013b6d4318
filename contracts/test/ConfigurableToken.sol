// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// A test double, not part of Guild's interface.
// solhint-disable use-natspec

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test token whose behaviour a test switches at run time: it refuses transfers to or from
/// blocked accounts (like a stablecoin's blocklist), either by reverting or by returning false, and it
/// can start charging a transfer fee after jobs were funded.
contract ConfigurableToken is ERC20 {
    error TokenAccountBlocked(address account);

    mapping(address account => bool) public blocked;
    /// @notice When set, a transfer touching a blocked account returns false instead of reverting.
    bool public quietRefusal;
    /// @notice Fee burnt from every transfer between two accounts, in basis points.
    uint256 public feeBps;

    constructor() ERC20("Configurable Token", "CFG") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function setQuietRefusal(bool quiet) external {
        quietRefusal = quiet;
    }

    function setFeeBps(uint256 bps) external {
        feeBps = bps;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (quietRefusal && (blocked[msg.sender] || blocked[to])) return false;
        return super.transfer(to, value);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert TokenAccountBlocked(from);
        if (blocked[to]) revert TokenAccountBlocked(to);
        if (feeBps != 0 && from != address(0) && to != address(0)) {
            uint256 fee = value * feeBps / 10_000;
            super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}
